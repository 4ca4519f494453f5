import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  amtoolBinary,
  installAlertmanager,
  readBody,
  run,
  serveHttp,
  startAlertmanager,
  waitFor,
  type AlertmanagerServer,
  type LoopbackServer,
} from '../../test/bed/index.js';
import { alertsDir } from './cli.js';

const configPath = join(alertsDir, 'alertmanager', 'alertmanager.yml');
const expectations = parse(
  readFileSync(join(alertsDir, 'alertmanager', 'routes.test.yaml'), 'utf8'),
) as { labels: Record<string, string>; receiver: string }[];

const labelArgs = (labels: Record<string, string>) =>
  Object.entries(labels).map(([k, v]) => `${k}=${v}`);

describe('Alertmanager config', () => {
  beforeAll(() => installAlertmanager());

  it('amtool check-config passes', async () => {
    const { stdout } = await run(amtoolBinary, ['check-config', configPath]);
    expect(stdout).toContain('SUCCESS');
    expect(stdout).toContain('6 inhibit rules');
  });

  it.each(expectations.map((e) => [e.labels.severity ?? '(none)', e.labels.alertname, e] as const))(
    'amtool config routes test: severity %s (%s) reaches its receiver',
    async (_severity, _name, { labels, receiver }) => {
      const { stdout } = await run(amtoolBinary, [
        'config',
        'routes',
        'test',
        `--config.file=${configPath}`,
        `--verify.receivers=${receiver}`,
        ...labelArgs(labels),
      ]);
      expect(stdout.trim()).toBe(receiver);
    },
  );
});

interface Delivery {
  receiver: string;
  alerts: { labels: Record<string, string>; status: string }[];
}

describe('Alertmanager (real) with the twinops config', () => {
  let webhook: LoopbackServer;
  let alertmanager: AlertmanagerServer;
  const delivered: Delivery[] = [];

  beforeAll(async () => {
    webhook = await serveHttp((req, res) => {
      void readBody(req).then((body) => {
        delivered.push(JSON.parse(body) as Delivery);
        res.end();
      });
    });
    // The committed config with its webhooks pointed at this test and short group waits.
    const config = parse(readFileSync(configPath, 'utf8')) as {
      route: Record<string, unknown> & { routes: Record<string, unknown>[] };
      receivers: { name: string; webhook_configs: { url: string }[] }[];
    };
    for (const receiver of config.receivers) {
      for (const hook of receiver.webhook_configs) hook.url = `${webhook.url}/${receiver.name}`;
    }
    config.route.group_wait = '0s';
    for (const route of config.route.routes) route.group_wait = '0s';
    alertmanager = await startAlertmanager(config);
  });
  afterAll(async () => {
    await alertmanager?.stop();
    await webhook?.close();
  });

  const post = (alerts: Record<string, string>[]) =>
    fetch(`${alertmanager.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(alerts.map((labels) => ({ labels }))),
    });
  const burn = (tier: string, severity: string, assetClass: string) => ({
    alertname: 'TwinSyncLatencyBudgetBurn',
    slo: 'sync-latency',
    asset_class: assetClass,
    tier,
    severity,
  });
  const states = async () =>
    (await (await fetch(`${alertmanager.url}/api/v2/alerts`)).json()) as {
      labels: Record<string, string>;
      status: { state: string; inhibitedBy: string[]; silencedBy: string[] };
    }[];

  it('inhibits the slower tier of the same SLO and class while the faster fires', async () => {
    expect(
      (
        await post([
          burn('fast', 'page', 'pump'),
          burn('slow', 'ticket', 'pump'),
          burn('slow', 'ticket', 'valve'),
        ])
      ).status,
    ).toBe(200);
    const alerts = await waitFor('three alerts, one inhibited', async () => {
      const all = await states();
      return all.length === 3 && all.some((a) => a.status.state === 'suppressed') ? all : undefined;
    });
    const state = (tier: string, cls: string) =>
      alerts.find((a) => a.labels.tier === tier && a.labels.asset_class === cls)?.status.state;
    expect(state('fast', 'pump')).toBe('active');
    expect(state('slow', 'pump')).toBe('suppressed'); // inhibited by fast for pump
    expect(state('slow', 'valve')).toBe('active'); // another class: not inhibited
    const page = await waitFor('a page delivery', () =>
      delivered.find((d) => d.receiver === 'page'),
    );
    expect(page.alerts.map((a) => a.labels.tier)).toEqual(['fast']);
    const ticket = await waitFor('a ticket delivery', () =>
      delivered.find((d) => d.receiver === 'ticket'),
    );
    expect(ticket.alerts.map((a) => a.labels.asset_class)).toEqual(['valve']);
  });

  it('the maintenance silence recipe (README) silences one class and nothing else', async () => {
    // The recipe, as the README gives it.
    await run(amtoolBinary, [
      `--alertmanager.url=${alertmanager.url}`,
      'silence',
      'add',
      'asset_class=conveyor',
      '--duration=2h',
      '--author=alerts test',
      '--comment=conveyor line maintenance (CHG-1234)',
    ]);
    await post([
      burn('fast', 'page', 'conveyor'),
      {
        ...burn('fast', 'page', 'conveyor'),
        slo: 'freshness',
        alertname: 'TwinFreshnessBudgetBurn',
      },
    ]);
    const alerts = await waitFor('conveyor alerts silenced', async () => {
      const conveyor = (await states()).filter((a) => a.labels.asset_class === 'conveyor');
      return conveyor.length === 2 && conveyor.every((a) => a.status.silencedBy.length === 1)
        ? conveyor
        : undefined;
    });
    expect(alerts.map((a) => a.status.state)).toEqual(['suppressed', 'suppressed']);
    expect((await states()).find((a) => a.labels.asset_class === 'valve')?.status.state).toBe(
      'active',
    );
    expect(
      delivered.flatMap((d) => d.alerts).some((a) => a.labels.asset_class === 'conveyor'),
    ).toBe(false);
  });
});
