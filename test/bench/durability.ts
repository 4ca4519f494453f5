/**
 * The price and the limits of durability (`npm run bench -- durability`):
 * - ingest over OTLP/HTTP protobuf with every 200 durable (journaled and flushed first) against
 *   the same exporter keeping nothing, in one run: points per CPU-second of the exporter process
 *   (its worker threads included) and the ratio;
 * - at 100k and 1M assets (3 properties, physical and twin, history rings full): event-loop pauses
 *   (p50, p99, p99.9, max) while load arrives, evaluation passes run and checkpoints write what
 *   changed, with the garbage collections seen meanwhile (so a long pause can be attributed);
 *   checkpoint times; disk bytes per asset; restart-to-ready after a SIGKILL.
 * `TWINOPS_BENCH_NODE_FLAGS` adds Node/V8 flags to the exporter's processes (e.g. GC experiments).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { encode } from '../../exporter/test/ingest/otlp/testing.js';
import { freePort } from '../bed/index.js';
import { repoRoot } from '../../tools/paths.js';
import { startExporterProcess } from '../support/exporter-process.js';
import { benchNodeFlags } from './cpu.js';
import { measure, payload, requests } from './ingest-throughput.js';

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function throughput(): Promise<string[]> {
  const now = Date.now();
  const bodies = Array.from({ length: requests }, (_, i) => payload(i, now));
  const work = mkdtempSync(join(tmpdir(), 'twinops-bench-durable-'));
  const results = [];
  try {
    for (const [name, path] of [
      ['nothing kept', ':memory:'],
      ['durable 200s', join(work, 'state.db')],
    ] as const) {
      const exporter = await startExporterProcess({
        // The payloads repeat: with retries remembered, every repeat would be answered unapplied.
        ingest: { retries: { maxRequests: 0 } },
        state: { snapshot: { path } },
        sli: { prediction: { matchWindow: '50ms' } },
      });
      try {
        results.push(await measure(name, exporter.otlpUrl, exporter.pid, bodies));
      } finally {
        await exporter.stop();
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const [memory, durable] = results;
  return [
    ...results.map(
      (r) =>
        `ingest, ${r.name}: ${fmt(r.points / r.seconds)} points/s wall, ${fmt(r.perCore)} points per CPU-second (${fmt(r.nsPerPoint)} ns CPU per point)${r.failures ? `, ${r.failures} failed requests` : ''}`,
    ),
    `  price of durability: ${fmt(durable!.nsPerPoint / memory!.nsPerPoint, 2)}× the CPU per point, ${fmt(durable!.points / durable!.seconds / (memory!.points / memory!.seconds), 2)}× the wall throughput`,
  ];
}

interface FillReport {
  fillSeconds: number;
  firstCheckpointSeconds: number;
  checkpointBytes: number;
}

interface FleetReport {
  restoreSeconds: number;
  checkpointAndJournalBytes: number;
  pauseMs: { p50: number; p99: number; p999: number; max: number };
  gc: { count: number; major: number; longest: { kind: string; ms: number }[] };
  checkpointSeconds: { seconds: number; assets: number }[];
  heapBytes: number;
  window: { fromMs: number; toMs: number };
  longPauses: { atMs: number; ms: number }[];
}

function lines(child: ChildProcess) {
  const reader = createInterface({ input: child.stdout! });
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  reader.on('line', (line) => {
    // Anything but the protocol's JSON (Node's warnings, V8's --trace-gc) goes to stderr.
    if (!line.startsWith('{')) {
      process.stderr.write(`${line}\n`);
      return;
    }
    queue.push(line);
    wake?.();
  });
  return async <T>(): Promise<T> => {
    while (queue.length === 0) {
      if (child.exitCode !== null) throw new Error(`fleet process exited ${child.exitCode}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 1_000);
      });
    }
    return JSON.parse(queue.shift()!) as T;
  };
}

/** A request setting three properties, physical and twin, of 150 random assets: 900 points. */
function randomRequest(assets: number, t: number): Uint8Array {
  const value = Math.round(Math.random() * 1000) / 10;
  const resourceMetrics = Array.from({ length: 150 }, () => {
    const i = Math.floor(Math.random() * assets);
    const text = (key: string, value: string) => ({ key, value: { stringValue: value } });
    return {
      resource: {
        attributes: [
          text('twin.asset.id', `asset-${i}`),
          text(
            'twin.asset.class',
            ['pump', 'valve', 'compressor', 'fan', 'chiller', 'boiler', 'meter', 'motor'][i % 8]!,
          ),
          text('twin.site', `site-${i % 20}`),
        ],
      },
      scopeMetrics: [
        {
          metrics: ['temperature', 'pressure', 'speed'].map((property) => ({
            name: property,
            gauge: {
              // Physical and twin agree: a healthy fleet, whose verdicts rarely change.
              dataPoints: ['physical', 'twin'].map((source) => ({
                timeUnixNano: String(BigInt(t) * 1_000_000n),
                asDouble: value,
                attributes: [text('twin.source', source)],
              })),
            },
          })),
        },
      ],
    };
  });
  return encode('metrics', 'otlp_proto', { resourceMetrics });
}

async function fleet(
  assets: number,
  options: { rounds: number; seconds: number; pointsPerSecond: number },
): Promise<string[]> {
  const work = mkdtempSync(join(tmpdir(), 'twinops-bench-fleet-'));
  const configPath = join(work, 'exporter.yaml');
  const ports = {
    otlpPort: await freePort(),
    metricsPort: await freePort(),
    apiPort: await freePort(),
  };
  writeFileSync(
    configPath,
    stringify({
      server: { host: '127.0.0.1', ...ports },
      ingest: { maxConcurrentRequests: 64 },
      state: {
        maxAssets: assets * 2,
        historyLength: 32,
        retention: '24h',
        snapshot: { path: join(work, 'state.db'), interval: '10s' },
      },
      // The load reaches each of a million assets every few minutes, as a large fleet reports.
      sli: { freshness: { staleAfter: '10m' } },
    }),
  );
  const heap = ['--max-old-space-size=16384', ...benchNodeFlags()];
  const fleetProcess = (...args: string[]) =>
    spawn(process.execPath, [...heap, '--import', 'tsx', 'test/bench/durable-fleet.ts', ...args], {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
  let child: ChildProcess | undefined;
  try {
    const filling = fleetProcess('fill', String(assets), String(options.rounds), configPath);
    child = filling;
    const filled = await lines(filling)<FillReport>();
    if (filling.exitCode === null) await new Promise((resolve) => filling.once('exit', resolve));
    // The exporter measured starts afresh on the files, as after a restart.
    const served = fleetProcess('serve', configPath);
    child = served;
    const next = lines(served);
    const ready = await next<{ otlp: string }>();
    const perRequest = 900;
    const intervalMs = (1000 * perRequest) / options.pointsPerSecond;
    // Pauses count once the load has run 10 s: the JIT warms up, the first pass and
    // checkpoint after the restore run (a start's own pauses are in the restart figure).
    const warmUpMs = 10_000;
    const started = performance.now();
    const deadline = started + warmUpMs + options.seconds * 1000;
    let measuring = false;
    let sent = 0;
    let failed = 0;
    const inFlight = new Set<Promise<void>>();
    for (let at = started; at < deadline; at += intervalMs) {
      const wait = at - performance.now();
      if (wait > 0) await sleep(wait);
      if (!measuring && performance.now() - started >= warmUpMs) {
        served.stdin!.write('measure\n');
        measuring = true;
        sent = 0;
        failed = 0;
      }
      const request = fetch(`${ready.otlp}/v1/metrics`, {
        method: 'POST',
        body: randomRequest(assets, Date.now()),
        headers: { 'Content-Type': 'application/x-protobuf' },
      }).then(
        async (response) => {
          await response.arrayBuffer();
          if (response.ok) sent += perRequest;
          else failed++;
        },
        () => void failed++,
      );
      inFlight.add(request);
      void request.finally(() => inFlight.delete(request));
    }
    await Promise.all(inFlight);
    served.stdin!.write('report\n');
    const report = await next<FleetReport>();
    // With flags for an experiment, the raw figures too (times line up with V8's traces).
    if (process.env.TWINOPS_BENCH_NODE_FLAGS) process.stderr.write(`${JSON.stringify(report)}\n`);
    // A crash, then a restart of the CLI on the same files: time until /readyz answers.
    served.kill('SIGKILL');
    await new Promise((resolve) => served.once('exit', resolve));
    const restartStart = performance.now();
    const restarted = spawn(
      process.execPath,
      [...heap, join(repoRoot, 'exporter', 'bin', 'twinops-exporter.mjs'), '--config', configPath],
      { cwd: work, stdio: 'ignore' },
    );
    let restartSeconds = NaN;
    try {
      for (;;) {
        const ok = await fetch(`http://127.0.0.1:${ports.metricsPort}/readyz`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) {
          restartSeconds = (performance.now() - restartStart) / 1000;
          break;
        }
        if (restarted.exitCode !== null)
          throw new Error(`the restarted exporter exited ${restarted.exitCode}`);
        await sleep(100);
      }
    } finally {
      restarted.kill('SIGKILL');
    }
    const checkpoints = report.checkpointSeconds;
    return [
      `${fmt(assets)} assets × 3 properties, physical and twin, history of 32 full (${options.rounds} rounds), ${fmt(report.heapBytes / 2 ** 30, 1)} GiB heap:`,
      `  fill ${fmt(filled.fillSeconds, 1)} s (straight into the engine), first checkpoint (every asset) ${fmt(filled.firstCheckpointSeconds, 1)} s; the exporter measured started afresh on those files in ${fmt(report.restoreSeconds, 1)} s`,
      `  disk: ${fmt(filled.checkpointBytes / assets)} B/asset checkpointed (${fmt(filled.checkpointBytes / 2 ** 20)} MiB); ${fmt(report.checkpointAndJournalBytes / 2 ** 20)} MiB with the journal at the end`,
      `  under load (${fmt(sent / options.seconds)} points/s of ${fmt(options.pointsPerSecond)} asked, 900 per request to random assets, ${failed} failed requests; measured ${options.seconds} s after 10 s of warm-up; evaluation every 5 s, checkpoint every 10 s): event-loop pause p50 ${fmt(report.pauseMs.p50, 1)} ms, p99 ${fmt(report.pauseMs.p99, 1)} ms, p99.9 ${fmt(report.pauseMs.p999, 1)} ms, max ${fmt(report.pauseMs.max, 1)} ms`,
      `  garbage collections while measured: ${fmt(report.gc.count)} (${fmt(report.gc.major)} major), longest ${report.gc.longest.map((g) => `${fmt(g.ms, 1)} ms (${g.kind})`).join(', ')}`,
      ...(process.env.TWINOPS_BENCH_NODE_FLAGS
        ? [
            `  measured from ${fmt(report.window.fromMs)} ms to ${fmt(report.window.toMs)} ms of the exporter process's time (as V8's --trace-gc counts it); longest pauses began at ${report.longPauses.map((p) => `${fmt(p.atMs)} ms (${fmt(p.ms, 1)} ms)`).join(', ')}`,
          ]
        : []),
      `  checkpoints while measured: ${checkpoints.map((c) => `${fmt(c.assets)} assets in ${fmt(c.seconds, 2)} s`).join('; ')}`,
      `  restart to ready after SIGKILL (CLI, same files): ${fmt(restartSeconds, 1)} s`,
    ];
  } finally {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
}

export async function durability(): Promise<string[]> {
  const sizes = (process.env.TWINOPS_BENCH_FLEETS ?? '100000,1000000').split(',').map(Number);
  const seconds = Number(process.env.TWINOPS_BENCH_SECONDS ?? 60);
  const out = await throughput();
  for (const assets of sizes) {
    out.push(...(await fleet(assets, { rounds: 17, seconds, pointsPerSecond: 30_000 })));
  }
  return out;
}
