import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { applyEnvironment, configFromDocument } from '../../exporter/src/config/index.js';
import { startExporter } from '../../exporter/src/exporter.js';
import { freePort, launchBrowser, run, waitFor } from '../bed/index.js';
import { repoRoot } from '../../tools/paths.js';
import { buildPreviewBundle, startPreviewHost } from '../../tools/preview-host.js';

/**
 * The Fleet page of the Grafana app in Chromium, through the preview host, with 10,000 assets in
 * the twin (fed over OTLP/HTTP first): time to first render (navigation start → the first table
 * rows painted, over several loads), and frame times while the page (200 rows, the largest API
 * page the table shows) is scrolled through programmatically, one step per animation frame.
 * Also the built bundle sizes: the plugin's dist/ (what Grafana loads) and the preview bundle.
 * Targets: first render < 500 ms; no frame over 50 ms while scrolling.
 */

const fleetSize = 10_000;
const assetsPerRequest = 1_000;
const loads = 7;
const pluginDir = join(repoRoot, 'grafana-plugin');
const classes = ['pump', 'valve', 'conveyor'];

// Functions passed to page.evaluate run in the page; this project has Node's types, not the DOM's.
declare const document: {
  querySelector(selector: string): unknown;
  scrollingElement: { scrollHeight: number; scrollTop: number } | null;
};
declare const window: { innerHeight: number; scrollBy(x: number, y: number): void };
declare function requestAnimationFrame(callback: (time: number) => void): number;
declare const MutationObserver: new (callback: () => void) => {
  observe(target: unknown, options: { childList: boolean; subtree: boolean }): void;
  disconnect(): void;
};

/** One OTLP/JSON request: physical and twin values of one property for 1,000 assets. */
function otlpRequest(first: number, nowMs: number): string {
  const text = (key: string, value: string) => ({ key, value: { stringValue: value } });
  const ns = String(BigInt(nowMs) * 1_000_000n);
  const resourceMetrics = Array.from({ length: assetsPerRequest }, (_, i) => {
    const n = first + i;
    const assetClass = classes[n % classes.length]!;
    return {
      resource: {
        attributes: [
          text('twin.asset.id', `${assetClass}-${String(n).padStart(5, '0')}`),
          text('twin.asset.class', assetClass),
          text('twin.site', `site-${n % 20}`),
        ],
      },
      scopeMetrics: [
        {
          metrics: [
            {
              name: 'twin.value',
              gauge: {
                dataPoints: ['physical', 'twin'].map((source) => ({
                  timeUnixNano: ns,
                  asDouble: 50 + (n % 7),
                  attributes: [text('twin.source', source), text('twin.property', 'level')],
                })),
              },
            },
          ],
        },
      ],
    };
  });
  return JSON.stringify({ resourceMetrics });
}

function sizes(dir: string, pattern: RegExp): { files: number; bytes: number; gzip: number } {
  let bytes = 0;
  let gzip = 0;
  let files = 0;
  const walk = (path: string): void => {
    for (const entry of readdirSync(path)) {
      const full = join(path, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (pattern.test(entry)) {
        const content = readFileSync(full);
        files += 1;
        bytes += content.length;
        gzip += gzipSync(content).length;
      }
    }
  };
  walk(dir);
  return { files, bytes, gzip };
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

export async function pluginFleet(): Promise<string[]> {
  const lines: string[] = [];
  // Bundles first: the plugin as Grafana loads it, and the preview host's (cached by source hash).
  await run('npm', ['run', '--silent', 'build'], { cwd: pluginDir });
  await buildPreviewBundle();
  const module = readFileSync(join(pluginDir, 'dist', 'module.js'));
  const pluginJs = sizes(join(pluginDir, 'dist'), /\.js$/);
  const preview = readFileSync(join(pluginDir, 'preview', 'dist', 'preview.js'));
  const previewJs = sizes(join(pluginDir, 'preview', 'dist'), /\.js$/);
  lines.push(
    `bundle: dist/module.js ${kib(module.length)} (gzip ${kib(gzipSync(module).length)}); ` +
      `all of dist/ *.js: ${pluginJs.files} files, ${kib(pluginJs.bytes)} (gzip ${kib(pluginJs.gzip)})`,
    `bundle: preview/dist/preview.js ${kib(preview.length)} (gzip ${kib(gzipSync(preview).length)}), ` +
      `with React, @grafana/ui, data and runtime; all chunks: ${previewJs.files} files, ` +
      `${kib(previewJs.bytes)} (gzip ${kib(previewJs.gzip)})`,
  );

  const secret = randomBytes(24).toString('base64url');
  const ports = { otlp: await freePort(), metrics: await freePort(), api: await freePort() };
  const config = applyEnvironment(
    configFromDocument({
      server: {
        host: '127.0.0.1',
        otlpPort: ports.otlp,
        metricsPort: ports.metrics,
        apiPort: ports.api,
      },
      state: { snapshot: { path: ':memory:' } },
      sli: { freshness: { staleAfter: '1h' } },
      commands: { enabled: true, devices: 'simulated', ledgerPath: ':memory:' },
    }),
    { TWINOPS_PROXY_SECRET: secret },
  );
  const exporter = await startExporter(config);
  const { host, base: previewBase } = await startPreviewHost(exporter.urls.api, [], {
    TWINOPS_PROXY_SECRET: secret,
  });
  const browser = await launchBrowser();
  try {
    const fedAt = Date.now();
    for (let first = 0; first < fleetSize; first += assetsPerRequest) {
      const response = await fetch(`${exporter.urls.otlp}/v1/metrics`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: otlpRequest(first, Date.now()),
      });
      if (!response.ok) throw new Error(`OTLP ingest answered ${response.status}`);
    }
    await waitFor('10,000 assets in the twin', async () => {
      const page = (await (await fetch(`${exporter.urls.api}/api/v1/assets?limit=1`)).json()) as {
        total: number;
      };
      return page.total === fleetSize ? true : undefined;
    });
    lines.push(`fleet: ${fleetSize} assets fed over OTLP/HTTP JSON in ${Date.now() - fedAt} ms`);

    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    // Records when the first fleet row is in the DOM and painted (the frame after it appeared),
    // in ms since navigation start (performance.now()'s origin).
    await context.addInitScript(() => {
      const state = globalThis as unknown as { fleetRowsPaintedAt?: number };
      const observer = new MutationObserver(() => {
        if (document.querySelector('[data-testid="data-testid fleet-row"]')) {
          observer.disconnect();
          requestAnimationFrame(() => {
            state.fleetRowsPaintedAt = performance.now();
          });
        }
      });
      observer.observe(document, { childList: true, subtree: true });
    });
    const page = await context.newPage();
    const url = `${previewBase}/preview/fleet`;
    await page.goto(`${previewBase}/preview/login?user=viewer&next=/preview/fleet`);
    const firstRender: number[] = [];
    for (let i = 0; i < loads; i++) {
      await page.goto(url, { waitUntil: 'commit' });
      const at = await page.waitForFunction(
        () => (globalThis as unknown as { fleetRowsPaintedAt?: number }).fleetRowsPaintedAt,
        null,
        { timeout: 30_000 },
      );
      firstRender.push(Number(await at.jsonValue()));
    }
    const warm = firstRender.slice(1).sort((a, b) => a - b);
    const median = warm[Math.floor(warm.length / 2)]!;
    const worst = Math.max(...firstRender);
    lines.push(
      `first render (navigation start → first 50 rows painted, of 10,000 assets): first load ${firstRender[0]!.toFixed(0)} ms, ` +
        `then median ${median.toFixed(0)} ms, max ${Math.max(...warm).toFixed(0)} ms over ${loads - 1} loads ` +
        `(target < 500 ms: ${worst < 500 ? 'met' : 'NOT met'})`,
    );

    // The largest page the table shows: 200 rows, then scroll it through, one step per frame.
    await page.locator('input[type="radio"][id^="option-200-"]').click();
    await page.waitForFunction(
      () =>
        (
          document.querySelector('[data-testid="data-testid fleet-table"] tbody') as {
            children: { length: number };
          } | null
        )?.children.length === 200,
      null,
      { timeout: 30_000 },
    );
    const frames = await page.evaluate(async () => {
      const deltas: number[] = [];
      const scroller = document.scrollingElement!;
      scroller.scrollTop = 0;
      const step = 40;
      let last = await new Promise<number>((r) => requestAnimationFrame(r));
      for (let pass = 0; pass < 2; pass++) {
        const direction = pass === 0 ? 1 : -1;
        for (;;) {
          const before = scroller.scrollTop;
          window.scrollBy(0, direction * step);
          const now = await new Promise<number>((r) => requestAnimationFrame(r));
          deltas.push(now - last);
          last = now;
          if (scroller.scrollTop === before) break;
        }
      }
      return { deltas, height: scroller.scrollHeight, viewport: window.innerHeight };
    });
    const sorted = [...frames.deltas].sort((a, b) => a - b);
    const max = sorted[sorted.length - 1]!;
    lines.push(
      `scroll (200 rows, ${frames.height} px page, 40 px per frame, down and up): ${frames.deltas.length} frames, ` +
        `median ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, ` +
        `max ${max.toFixed(1)} ms (target no frame over 50 ms: ${max <= 50 ? 'met' : 'NOT met'})`,
    );
    await context.close();
  } finally {
    await browser.close();
    await host.stop();
    await exporter.close();
  }
  return lines;
}
