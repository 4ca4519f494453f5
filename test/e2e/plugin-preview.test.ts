import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { parse } from 'yaml';
import { applyEnvironment, configFromDocument } from '../../exporter/src/config/index.js';
import { startExporter, type RunningExporter } from '../../exporter/src/exporter.js';
import { startInProcessDevices, type InProcessDevices } from '../../device-agent/index.js';
import {
  freePort,
  launchBrowser,
  startPrometheus,
  waitFor,
  type PrometheusServer,
} from '../bed/index.js';
import { repoRoot } from '../../tools/paths.js';
import type { RunningServer } from '../../tools/process.js';
import { startSimulation, type SimulationHandle } from '../../simulator/index.js';
import { buildPreviewBundle, startPreviewHost } from '../../tools/preview-host.js';

/**
 * The Grafana app's pages in Chromium, through the plugin's preview host at Grafana's defaults (its
 * emulation of Grafana's plugin proxy: routes, reqRole, X-Grafana-Context and no X-Grafana-User,
 * the proxy secret, the path escaped once more) against a real
 * exporter fed by the fleet simulator, its commands answered by the in-process reference device
 * agent. conveyor-1 drifts for the first 30 s of the run (the simulator's `drift` scenario).
 */

const pluginId = 'twinops-twinops-app';
const artifacts = join(repoRoot, 'test', '.artifacts', 'plugin');
const axeSource = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const driftMs = 30_000;
/**
 * One conveyor per flow: a device that applied a speed keeps reporting it next to the simulator's
 * own physical readings, so a conveyor once commanded may diverge from its twin afterwards.
 */
const conveyors = ['conveyor-1', 'conveyor-2', 'conveyor-3', 'conveyor-4'];
/** An asset id with a space, a slash and a colon: it must survive Grafana's proxy and routing. */
const oddConveyor = 'line a/belt:7';
/** The test's own read access to the command API (command reads need a login). */
const readerToken = randomBytes(18).toString('base64url');
const sloRulesDir = join(repoRoot, 'alerts', 'generated', 'slo-rules');
const sloRules = readdirSync(sloRulesDir).map((file) => join(sloRulesDir, file));

/**
 * The example config's conveyor commands (exporter/config.example.yaml), setSpeed without its
 * cooldown and rate limit: the suite sends several to one belt in a row.
 */
const exampleCatalog = (
  parse(readFileSync(join(repoRoot, 'exporter', 'config.example.yaml'), 'utf8')) as {
    commands: { catalog: { conveyor: Record<'setSpeed' | 'setMode', Record<string, unknown>> } };
  }
).commands.catalog.conveyor;
const { cooldown: _cooldown, rateLimit: _rateLimit, ...setSpeed } = exampleCatalog.setSpeed;
const { setMode } = exampleCatalog;

/** The demo's role map: Editors also engineers, Admins also engineers (approve high risk). */
const exporterDocument = (ports: { otlp: number; metrics: number; api: number }) => ({
  server: {
    host: '127.0.0.1',
    otlpPort: ports.otlp,
    metricsPort: ports.metrics,
    apiPort: ports.api,
  },
  state: { snapshot: { path: ':memory:' } },
  sli: {
    evaluationInterval: '1s',
    freshness: { staleAfter: '30s' },
    divergence: {
      grace: '2s',
      rules: [
        {
          assetClass: 'conveyor',
          property: 'speed',
          tolerance: { kind: 'absolute', epsilon: 0.1 },
        },
      ],
    },
  },
  commands: {
    enabled: true,
    devices: 'simulated',
    ledgerPath: ':memory:',
    ackTimeout: '15s',
    convergenceTimeout: '20s',
    auth: {
      grafanaProxy: {
        roleMap: {
          Viewer: ['viewer'],
          Editor: ['operator', 'engineer'],
          Admin: ['admin', 'engineer'],
        },
      },
    },
    catalog: { conveyor: { setSpeed, setMode } },
  },
});

// Functions passed to page.evaluate run in the page; this project has Node's types, not the DOM's.
declare const document: {
  activeElement: { matches(selector: string): boolean; textContent: string | null } | null;
};

type AxeViolation = {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown }[];
};

describe('the Grafana app in Chromium through the preview host', () => {
  let exporter: RunningExporter;
  let devices: InProcessDevices;
  let simulation: SimulationHandle;
  let preview: RunningServer;
  let prometheus: PrometheusServer;
  let previewUrl: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  const shoot = (page: Page, name: string) =>
    page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });

  /** A browser signed in to the preview as `login` (its own cookies: one person per context). */
  const signIn = async (login: string, path: string): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${previewUrl}/preview/login?user=${login}&next=${encodeURIComponent(path)}`);
    await page.locator('main h1').waitFor();
    return page;
  };

  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${exporter.urls.api}/api/v1${path}`, {
      headers: { Authorization: `Bearer ${readerToken}` },
    });
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };

  /** Picks an option of a radio button group (Grafana's RadioButtonGroup) by its value. */
  const choose = (page: Page, value: string) =>
    page.locator(`input[type="radio"][id^="option-${value}-"]`).click();

  /** The physical value of a property as the twin API has it now. */
  const physical = async (assetId: string, property: string) => {
    const asset = await api<{
      properties: { property: string; physical: { value: unknown } | null }[];
    }>(`/assets/${encodeURIComponent(assetId)}`);
    return asset.properties.find((p) => p.property === property)?.physical?.value;
  };

  const verdict = (page: Page, guard: string) =>
    page.getByTestId('data-testid composer-verdict').filter({ hasText: guard });

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    // The preview bundle, rebuilt only when the plugin's sources changed.
    await buildPreviewBundle();

    const secret = randomBytes(24).toString('base64url');
    const ports = { otlp: await freePort(), metrics: await freePort(), api: await freePort() };
    const config = applyEnvironment(configFromDocument(exporterDocument(ports)), {
      TWINOPS_PROXY_SECRET: secret,
      TWINOPS_API_TOKENS: `tester:viewer:${readerToken}`,
    });
    devices = startInProcessDevices({
      initialValues: [
        ...conveyors.map((assetId) => ({
          assetId,
          assetClass: 'conveyor',
          values: { mode: 'auto' },
        })),
        // Not simulated: the device alone reports it, so its speed stays where a command puts it.
        { assetId: oddConveyor, assetClass: 'conveyor', values: { mode: 'auto', speed: 1 } },
      ],
    });
    exporter = await startExporter(config, { inProcessDevice: devices.device });
    devices.reportTo(exporter.urls.otlp);

    // A real Prometheus with the SLO recording rules of alerts/, scraping the exporter: the SLOs
    // page reads it through the preview's datasource proxy, as through Grafana's.
    prometheus = await startPrometheus({
      scrapeConfigs: [
        {
          job_name: 'twinops',
          static_configs: [{ targets: [exporter.urls.metrics.replace('http://', '')] }],
        },
      ],
      ruleFiles: sloRules,
    });

    ({ host: preview, base: previewUrl } = await startPreviewHost(
      exporter.urls.api,
      ['--prometheus', prometheus.url],
      { TWINOPS_PROXY_SECRET: secret },
    ));
    browser = await launchBrowser();

    // Last, so the drift window starts now: conveyor-1's physical speed walks away from its twin.
    simulation = startSimulation({
      endpoint: exporter.urls.otlp,
      assets: 12,
      tickMs: 1000,
      keepTruth: false,
      desiredChangeProbability: 0,
      scenarios: [
        { kind: 'drift', targets: ['conveyor-1'], properties: ['speed'], fromMs: 0, toMs: driftMs },
      ],
    });
    await waitFor('the simulated fleet and the devices in the twin', async () => {
      const page = await api<{ total: number }>('/assets?limit=1');
      const modes = await Promise.all(
        [...conveyors, oddConveyor].map((id) => physical(id, 'mode')),
      );
      return page.total === 13 && modes.every((m) => m === 'auto') ? true : undefined;
    });
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await preview?.stop();
    await prometheus?.stop();
    await simulation?.stop();
    await devices?.stop();
    await exporter?.close();
  });

  it('an operator finds the diverged asset, sees the safety envelope refuse a command and why, then sends a valid one that is applied', async () => {
    const page = await signIn('olga', '/preview/fleet');
    await page.getByTestId('data-testid fleet-row').first().waitFor();
    await shoot(page, 'fleet');

    // Fleet → Diverged: conveyor-1 shows up once its drift lasted longer than the grace period.
    await choose(page, 'diverged');
    const rows = page.getByTestId('data-testid fleet-row');
    const divergedRow = rows.filter({ hasText: 'conveyor-1' });
    // Until the filtered list is shown (every row diverged, the list before it had in-sync rows
    // too) and conveyor-1 is in it.
    await waitFor(
      'conveyor-1 listed as diverged',
      async () => {
        const shown = await rows.allTextContents();
        if (shown.length && shown.every((row) => row.includes('diverged'))) {
          if (await divergedRow.count()) return true;
        }
        await page.getByRole('button', { name: 'Refresh the fleet' }).click();
        await page.waitForTimeout(500);
        return undefined;
      },
      driftMs,
      0,
    );
    expect(await divergedRow.textContent()).toContain('diverged');
    await shoot(page, 'fleet-diverged');

    await divergedRow.getByRole('link', { name: 'conveyor-1' }).click();
    await page.getByTestId('data-testid asset').waitFor();
    expect(await page.locator('main h1').textContent()).toBe('conveyor-1');
    await page
      .getByTestId('data-testid asset-property')
      .filter({ hasText: 'speed' })
      .filter({ hasText: 'diverged since' })
      .waitFor();
    await shoot(page, 'asset');

    // Compose: a step far beyond the envelope's maximum step is refused, and the UI says why.
    await page.getByRole('link', { name: 'New command' }).click();
    await page.getByTestId('data-testid composer').waitFor();
    await choose(page, 'setSpeed');
    await page.locator('#cmd-setSpeed-mps').fill('2.9');
    await page.locator('#composer-reason').fill('e2e: speed the belt up');
    const envelope = verdict(page, 'Safety envelope');
    await envelope.filter({ hasText: 'step_too_large' }).waitFor();
    expect(await envelope.getAttribute('data-state')).toBe('fail');
    expect(await envelope.textContent()).toMatch(
      /a step of [\d.]+, more than the maximum step 0\.5/,
    );
    const decision = page.getByTestId('data-testid composer-decision');
    expect(await decision.getAttribute('data-decision')).toBe('refused');
    expect(await page.getByTestId('data-testid composer-review').isDisabled()).toBe(true);
    await shoot(page, 'commands-refused');

    // The drift ends; once the twin agrees again, a step within the envelope passes every guard.
    await waitFor(
      'conveyor-1 to be in sync again',
      async () =>
        (await api<{ diverged: boolean }>('/assets/conveyor-1')).diverged ? undefined : true,
      driftMs + 30_000,
    );
    const current = Number(await physical('conveyor-1', 'speed'));
    const target = (Math.round(current * 10) / 10).toFixed(1);
    await page.locator('#cmd-setSpeed-mps').fill(target);
    await page
      .locator('[data-testid="data-testid composer-decision"][data-decision="accepted"]')
      .waitFor();
    expect(await verdict(page, 'Safety envelope').getAttribute('data-state')).toBe('pass');
    await page.getByTestId('data-testid composer-review').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByTestId('data-testid composer-confirm').waitFor();
    expect(
      await dialog.getByRole('table', { name: 'Current and commanded values' }).textContent(),
    ).toContain(target);
    await shoot(page, 'commands-confirm');
    await dialog.getByRole('button', { name: 'Send command' }).click();
    const result = page.getByTestId('data-testid composer-result');
    await result.filter({ hasText: 'Final: applied' }).waitFor({ timeout: 40_000 });
    await shoot(page, 'commands-applied');
    const [applied] = await api<{ user: string; outcome?: string; params: { mps: number } }[]>(
      '/commands?asset=conveyor-1',
    );
    expect(applied).toMatchObject({
      user: 'olga',
      outcome: 'applied',
      params: { mps: Number(target) },
    });
  }, 180_000);

  it('a viewer cannot send: the composer is read only, and a forced request gets 403 from the proxy', async () => {
    const page = await signIn('viewer', '/preview/commands?asset=conveyor-3');
    await page.getByText('Your Grafana role (Viewer) cannot send commands').waitFor();
    await choose(page, 'setSpeed');
    await page.locator('#cmd-setSpeed-mps').fill('1.5');
    await page.locator('#composer-reason').fill('viewer tries');
    const review = page.getByTestId('data-testid composer-review');
    expect(await review.isDisabled()).toBe(true);
    await shoot(page, 'commands-viewer');

    // Around the UI: the editor and admin routes require those roles, the viewer route is GET only.
    const forced = await page.evaluate(async (proxy) => {
      const body = JSON.stringify({
        idempotencyKey: 'forced-by-viewer-1',
        assetId: 'conveyor-3',
        name: 'setSpeed',
        params: { mps: 1.5 },
        reason: 'forced',
      });
      const post = async (route: string, headers: Record<string, string> = {}) => {
        const response = await fetch(`${proxy}/${route}/api/v1/commands`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', ...headers },
          body,
        });
        return { status: response.status, body: (await response.json()) as { message?: string } };
      };
      return {
        editor: await post('editor', { 'X-Grafana-User': 'olga', 'X-Grafana-Org-Role': 'Editor' }),
        admin: await post('admin'),
        viewer: await post('viewer'),
      };
    }, `/api/plugin-proxy/${pluginId}`);
    expect(forced.editor).toEqual({
      status: 403,
      body: { message: 'plugin proxy route access denied' },
    });
    expect(forced.admin).toEqual({
      status: 403,
      body: { message: 'plugin proxy route access denied' },
    });
    expect(forced.viewer).toEqual({
      status: 404,
      body: { message: 'plugin route match not found' },
    });
    // Nothing reached the exporter as a command, not even a refused one.
    const commands = await api<{ assetId: string }[]>('/commands?asset=conveyor-3');
    expect(commands).toEqual([]);
  });

  it('a high-risk command waits for a second person: olga submits, cannot approve it herself, erin approves, and it is applied', async () => {
    const olga = await signIn('olga', '/preview/commands?asset=conveyor-2');
    await choose(olga, 'setMode');
    await olga.locator('#cmd-setMode-mode').fill('manual');
    await olga.keyboard.press('Enter');
    await olga.locator('#composer-reason').fill('e2e: hand the belt to the operator');
    await olga
      .locator('[data-testid="data-testid composer-decision"][data-decision="pending_approval"]')
      .waitFor();
    expect(await verdict(olga, 'Approval').getAttribute('data-state')).toBe('hold');
    await olga.getByTestId('data-testid composer-review').click();
    const dialog = olga.getByRole('dialog');
    const send = dialog.getByRole('button', { name: 'Submit for approval' });
    expect(await send.isDisabled()).toBe(true); // high risk: the asset id must be typed first
    await dialog.getByLabel('Type the asset id (conveyor-2) to confirm').fill('conveyor-2');
    await shoot(olga, 'commands-high-risk-confirm');
    await send.click();
    const follow = olga.getByTestId('data-testid composer-follow');
    await follow.getByText('Waiting for approval').waitFor();
    const [pending] = await api<{ id: string; status: string }[]>('/commands?asset=conveyor-2');
    expect(pending?.status).toBe('pending_approval');

    // Her own approval is refused by the exporter, and the page says so in its words.
    const approvals = await olga.context().newPage();
    await approvals.goto(`${previewUrl}/preview/approvals`);
    const row = approvals
      .getByTestId('data-testid approvals-row')
      .filter({ hasText: 'conveyor-2' });
    await row.getByRole('button', { name: /^Approve setMode on conveyor-2 by olga$/ }).click();
    await approvals.locator('#review-reason').fill('looks fine to me');
    await approvals.getByRole('dialog').getByRole('button', { name: 'Approve' }).click();
    await approvals.getByRole('dialog').getByText('self_approval').waitFor();
    await shoot(approvals, 'approvals-self-approval');

    const erin = await signIn('erin', '/preview/approvals');
    const erinsRow = erin
      .getByTestId('data-testid approvals-row')
      .filter({ hasText: 'conveyor-2' });
    await erinsRow.getByRole('button', { name: /^Approve setMode on conveyor-2 by olga$/ }).click();
    await erin.locator('#review-reason').fill('second pair of eyes: ok');
    await erin.getByRole('dialog').getByRole('button', { name: 'Approve' }).click();
    await erin.getByText('setMode on conveyor-2 approved').waitFor();
    await shoot(erin, 'approvals-approved');

    // Olga's page follows it through dispatch to applied; the device now reports manual.
    await follow.getByText('Approved by erin').waitFor();
    await olga
      .getByTestId('data-testid composer-result')
      .filter({ hasText: 'Final: applied' })
      .waitFor({
        timeout: 40_000,
      });
    await shoot(olga, 'commands-high-risk-applied');
    expect(devices.assetValue('conveyor-2', 'mode')).toBe('manual');

    // The audit trail of the command, as erin sees it, with the chain verified.
    await erin.goto(`${previewUrl}/preview/audit?command=${encodeURIComponent(pending!.id)}`);
    await erin.getByTestId('data-testid audit-row').first().waitFor();
    const trail = await erin.getByTestId('data-testid audit-row').allTextContents();
    expect(trail.join('\n')).toMatch(/olga/);
    expect(trail.join('\n')).toMatch(/erin/);
    await erin
      .getByTestId('data-testid audit-chain')
      .getByText(/verified/i)
      .waitFor();
    await shoot(erin, 'audit');
  }, 120_000);

  it('an asset whose id holds a space, a slash and a colon is opened, commanded and audited end to end', async () => {
    const page = await signIn('olga', '/preview/fleet');
    // From the fleet's own link, as a user gets there.
    await page.getByTestId('data-testid fleet-row').first().waitFor();
    const link = page.getByRole('link', { name: oddConveyor, exact: true });
    await waitFor(
      'the odd asset listed in the fleet',
      async () => {
        if (await link.count()) return true;
        await page.getByRole('button', { name: 'Refresh the fleet' }).click();
        await page.waitForTimeout(500);
        return undefined;
      },
      20_000,
      0,
    );
    await link.click();
    await page.getByTestId('data-testid asset').waitFor();
    expect(await page.locator('main h1').textContent()).toBe(oddConveyor);
    expect(new URL(page.url()).searchParams.get('id')).toBe(oddConveyor);
    await page.getByTestId('data-testid asset-property').filter({ hasText: 'speed' }).waitFor();
    await shoot(page, 'odd-asset');

    await page.getByRole('link', { name: 'New command' }).click();
    await page.getByTestId('data-testid composer').waitFor();
    await page.getByText(`${oddConveyor} · class conveyor`).waitFor();
    await choose(page, 'setSpeed');
    await page.locator('#cmd-setSpeed-mps').fill('1.3');
    await page.locator('#composer-reason').fill('e2e: an id with a space, a slash and a colon');
    await page
      .locator('[data-testid="data-testid composer-decision"][data-decision="accepted"]')
      .waitFor();
    await page.getByTestId('data-testid composer-review').click();
    await page.getByRole('dialog').getByRole('button', { name: 'Send command' }).click();
    await page
      .getByTestId('data-testid composer-result')
      .filter({ hasText: 'Final: applied' })
      .waitFor({ timeout: 40_000 });
    await shoot(page, 'odd-asset-applied');
    expect(devices.assetValue(oddConveyor, 'speed')).toBe(1.3);
    const [sent] = await api<{ id: string; assetId: string; user: string; outcome?: string }[]>(
      `/commands?asset=${encodeURIComponent(oddConveyor)}`,
    );
    expect(sent).toMatchObject({ assetId: oddConveyor, user: 'olga', outcome: 'applied' });

    // The audit trail names the asset and links back to its page.
    await page.goto(`${previewUrl}/preview/audit?command=${encodeURIComponent(sent!.id)}`);
    const rows = page.getByTestId('data-testid audit-row');
    await rows.first().waitFor();
    expect((await rows.allTextContents()).join('\n')).toContain(oddConveyor);
    await rows.getByRole('link', { name: oddConveyor }).first().click();
    await page.getByTestId('data-testid asset').waitFor();
    expect(await page.locator('main h1').textContent()).toBe(oddConveyor);
    await shoot(page, 'odd-asset-audit');
  }, 120_000);

  it('keyboard only: compose, confirm and follow a command with Tab, Space, Enter and typing', async () => {
    const page = await signIn('olga', '/preview/commands?asset=conveyor-3');
    await page.getByText('conveyor-3 · class conveyor').waitFor();
    const focusIs = async (selector: string) =>
      page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector);
    /** Tabs until `selector` has the focus, as a keyboard user would; fails after `max` presses. */
    const tabUntil = async (what: string, selector: string, max = 40) => {
      for (let i = 0; i < max; i++) {
        await page.keyboard.press('Tab');
        if (await focusIs(selector)) return;
      }
      throw new Error(`${what} (${selector}) never got the focus within ${max} Tab presses`);
    };

    // Tab reaches the command choice (setSpeed is the group's first radio); Space picks it.
    await tabUntil('the setSpeed choice', 'input[type="radio"][id^="option-setSpeed-"]');
    await page.keyboard.press('Space');
    await page.locator('#cmd-setSpeed-mps').waitFor();
    const current = Number(await physical('conveyor-3', 'speed'));
    const target = (Math.round(current * 10) / 10).toFixed(1);
    await tabUntil('the speed field', '#cmd-setSpeed-mps');
    await page.keyboard.type(target);
    await tabUntil('the reason field', '#composer-reason');
    await page.keyboard.type('keyboard only');
    await page
      .locator('[data-testid="data-testid composer-decision"][data-decision="accepted"]')
      .waitFor();
    await tabUntil('Review and send', '[data-testid="data-testid composer-review"]');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.getByTestId('data-testid composer-confirm').waitFor();
    // The dialog took the focus and keeps it (trapped) while Tab walks to its Send button.
    for (let presses = 0; ; presses++) {
      expect(await focusIs('[role="dialog"], [role="dialog"] *'), 'focus left the dialog').toBe(
        true,
      );
      if (await page.evaluate(() => document.activeElement?.textContent === 'Send command')) break;
      if (presses === 10) throw new Error('Send command never got the focus within 10 Tab presses');
      await page.keyboard.press('Tab');
    }
    await shoot(page, 'keyboard-confirm');
    await page.keyboard.press('Enter');
    await page
      .getByTestId('data-testid composer-result')
      .filter({ hasText: 'Final: applied' })
      .waitFor({ timeout: 40_000 });
    await shoot(page, 'keyboard-applied');
    const [sent] = await api<{ user: string; outcome?: string }[]>('/commands?asset=conveyor-3');
    expect(sent).toMatchObject({ user: 'olga', outcome: 'applied' });
  }, 120_000);

  it('axe finds no serious or critical violation on any page', async () => {
    // One command waiting, so the approval queue shows its row and buttons.
    const olga = await signIn('olga', '/preview/fleet');
    const queued = await olga.evaluate(async (proxy) => {
      const response = await fetch(`${proxy}/editor/api/v1/commands`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          idempotencyKey: 'axe-pending-0001',
          assetId: 'conveyor-2',
          name: 'setMode',
          params: { mode: 'auto' },
          reason: 'back to auto',
        }),
      });
      return ((await response.json()) as { command: { status: string } }).command.status;
    }, `/api/plugin-proxy/${pluginId}`);
    expect(queued).toBe('pending_approval');

    const page = await signIn('erin', '/preview/fleet');
    const pages: Array<{
      name: string;
      path: string;
      /** What the page needs before it shows what is to be checked (filled forms, a dialog). */
      prepare?: (page: Page) => Promise<void>;
      ready: (page: Page) => Locator;
    }> = [
      {
        name: 'fleet',
        path: '/preview/fleet',
        ready: (p) => p.getByTestId('data-testid fleet-row').first(),
      },
      {
        name: 'asset',
        path: '/preview/asset/conveyor-2',
        ready: (p) => p.getByTestId('data-testid asset-property').first(),
      },
      {
        name: 'commands',
        path: '/preview/commands?asset=conveyor-1&command=setSpeed',
        prepare: async (p) => {
          await p.locator('#cmd-setSpeed-mps').fill('1.5');
          await p.locator('#composer-reason').fill('axe');
        },
        ready: (p) => p.getByTestId('data-testid composer-verdicts'),
      },
      {
        // The high-risk confirmation dialog, with the enum select and the typed asset id.
        name: 'commands-dialog',
        path: '/preview/commands?asset=conveyor-4&command=setMode',
        prepare: async (p) => {
          await p.locator('#cmd-setMode-mode').fill('maintenance');
          await p.keyboard.press('Enter');
          await p.locator('#composer-reason').fill('axe');
          await p
            .locator(
              '[data-testid="data-testid composer-decision"][data-decision="pending_approval"]',
            )
            .waitFor();
          await p.getByTestId('data-testid composer-review').click();
        },
        ready: (p) => p.getByRole('dialog').getByTestId('data-testid composer-confirm'),
      },
      {
        name: 'approvals',
        path: '/preview/approvals',
        ready: (p) => p.getByTestId('data-testid approvals-row').first(),
      },
      {
        name: 'audit',
        path: '/preview/audit',
        ready: (p) => p.getByTestId('data-testid audit-row').first(),
      },
      {
        name: 'slos',
        path: '/preview/slos',
        ready: (p) => p.getByTestId('data-testid slos-row').first(),
      },
      {
        name: 'panels',
        path: '/preview/panels',
        ready: (p) => p.getByTestId('data-testid fleet-state-cell').first(),
      },
    ];
    const found: Record<string, string[]> = {};
    for (const { name, path, prepare, ready } of pages) {
      await page.goto(`${previewUrl}${path}`);
      await prepare?.(page);
      await ready(page).waitFor();
      await shoot(page, `axe-${name}`);
      await page.addScriptTag({ path: axeSource });
      const violations = await page.evaluate(async () => {
        const axe = (
          globalThis as unknown as {
            axe: {
              run: (context: unknown, options: unknown) => Promise<{ violations: AxeViolation[] }>;
            };
          }
        ).axe;
        const result = await axe.run(document, { resultTypes: ['violations'] });
        return result.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          nodes: v.nodes.map((n) => n.target),
        }));
      });
      found[name] = violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id} (${v.impact}): ${v.help} — ${JSON.stringify(v.nodes.slice(0, 3))}`);
    }
    expect(found).toEqual(Object.fromEntries(pages.map(({ name }) => [name, []])));
  }, 120_000);
});
