/**
 * Live: a real Prometheus scrapes a real exporter fed by the fleet simulator, with the test
 * profile's rules (time compressed 60×: the fast tier's 1h/5m windows are 1m/5s, the medium
 * tier's 6h/30m are 6m/30s). A partition of site-a (half of every class) makes its assets stale
 * (freshness) and, when its held-back points arrive all at once, late (sync latency): both SLOs
 * must page, then resolve once the partition is over. Nothing here waits on a clock: every step
 * waits for a condition in Prometheus' alerts API. Sloth's rules for the same SLOs run beside ours,
 * as they would in a Prometheus shared with Sloth users: no name may clash.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  installSloth,
  run,
  startPrometheus,
  waitFor,
  type PrometheusServer,
} from '../../test/bed/index.js';
import { startSimulation, type SimulationHandle } from '../../simulator/index.js';
import { startExporterProcess, type ExporterProcess } from '../../test/support/exporter-process.js';
import { alertsDir } from './cli.js';
import { slothSpec } from './sloth-spec.js';
import { loadSpecs } from './spec.js';

interface PromAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
  value: string;
}

const specs = loadSpecs(alertsDir);
const partition = { fromMs: 20_000, toMs: 60_000 };

describe('live: the partition scenario pages for sync latency and freshness, then resolves', () => {
  let exporter: ExporterProcess;
  let prometheus: PrometheusServer;
  let sim: SimulationHandle | undefined;
  const seen: { at: number; alert: PromAlert }[] = [];
  const slothDir = mkdtempSync(join(tmpdir(), 'twinops-live-sloth-'));
  const slothRules = join(slothDir, 'sloth-rules.yaml');

  beforeAll(async () => {
    writeFileSync(join(slothDir, 'spec.yaml'), slothSpec(specs.slos));
    await run(await installSloth(), [
      'generate',
      '-i',
      join(slothDir, 'spec.yaml'),
      '-o',
      slothRules,
    ]);
    exporter = await startExporterProcess({
      state: { snapshot: { path: ':memory:' } },
      sli: {
        syncLatencyThresholdsSeconds: [1, 5, 30],
        evaluationInterval: '1s',
        freshness: { staleAfter: '5s' }, // 5m in the production profile's time
      },
    });
    prometheus = await startPrometheus({
      scrapeInterval: '1s',
      evaluationInterval: '1s',
      ruleFiles: [
        join(alertsDir, 'generated', 'test-profile', 'slo-rules.yaml'),
        join(alertsDir, 'generated', 'non-slo-rules.yaml'),
        slothRules,
      ],
      scrapeConfigs: [
        {
          job_name: specs.config.exporterJob,
          static_configs: [{ targets: [exporter.metricsTarget] }],
        },
      ],
    });
  });
  afterAll(async () => {
    await sim?.stop();
    await prometheus?.stop();
    await exporter?.stop();
    rmSync(slothDir, { recursive: true, force: true });
  });

  const alerts = async (): Promise<PromAlert[]> => {
    const body = (await (await fetch(`${prometheus.url}/api/v1/alerts`)).json()) as {
      data: { alerts: PromAlert[] };
    };
    for (const alert of body.data.alerts) seen.push({ at: Date.now(), alert });
    return body.data.alerts;
  };
  const paging = (all: PromAlert[], slo: string) =>
    all.filter((a) => a.state === 'firing' && a.labels.slo === slo && a.labels.severity === 'page');

  it('loads every generated rule group, healthy', async () => {
    const groups = await waitFor('rules evaluated', async () => {
      const body = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as {
        data: { groups: { name: string; rules: { health: string; lastError?: string }[] }[] };
      };
      const evaluated = body.data.groups.every((g) => g.rules.every((r) => r.health !== 'unknown'));
      return evaluated ? body.data.groups : undefined;
    });
    const ours = groups.map((g) => g.name).filter((name) => name.startsWith('twinops-'));
    expect(ours.sort()).toEqual(
      [...specs.slos.map((s) => `twinops-slo-${s.name}`), 'twinops-exporter-alerts'].sort(),
    );
    // Sloth: SLI recordings, meta recordings and alerts per SLO.
    expect(groups.filter((g) => g.name.startsWith('sloth-'))).toHaveLength(3 * specs.slos.length);
    const unhealthy = groups.flatMap((g) => g.rules.filter((r) => r.health !== 'ok'));
    expect(unhealthy).toEqual([]);
  });

  it('pages for freshness while site-a is partitioned, and for sync latency when its points arrive late', async () => {
    sim = startSimulation({
      endpoint: exporter.otlpUrl,
      assets: 12,
      tickMs: 1_000,
      seed: 11,
      scenarios: [{ kind: 'partition', targets: ['site-a'], ...partition }],
    });
    // Before the partition the fleet is healthy: Prometheus sees points and no page.
    await waitFor(
      'fresh points in Prometheus',
      async () =>
        (await prometheus.query('twinops_slo:sli_error:ratio_rate5s{slo="freshness"}')).length >
          0 || undefined,
      60_000,
    );
    expect(paging(await alerts(), 'freshness')).toEqual([]);

    const freshness = await waitFor(
      'a freshness page firing',
      async () => {
        const firing = paging(await alerts(), 'freshness');
        return firing.length ? firing : undefined;
      },
      120_000,
    );
    expect(freshness.map((a) => a.labels.alertname)).toContain('TwinFreshnessBudgetBurn');
    expect(new Set(freshness.map((a) => a.labels.asset_class)).size).toBeGreaterThan(0);

    const sync = await waitFor(
      'a sync latency page firing',
      async () => {
        const firing = paging(await alerts(), 'sync-latency');
        return firing.length ? firing : undefined;
      },
      120_000,
    );
    expect(sync[0]?.labels).toMatchObject({
      alertname: 'TwinSyncLatencyBudgetBurn',
      severity: 'page',
    });
    expect(['fast', 'medium']).toContain(sync[0]?.labels.tier);
  }, 300_000);

  it('resolves both pages once the partition is over', async () => {
    await waitFor(
      'freshness and sync latency pages resolved',
      async () => {
        const all = await alerts();
        return paging(all, 'freshness').length + paging(all, 'sync-latency').length === 0
          ? true
          : undefined;
      },
      180_000,
    );
    // Which tiers paged along the way, for the record.
    const paged = new Set(
      seen
        .filter(({ alert }) => alert.state === 'firing' && alert.labels.severity === 'page')
        .map(
          ({ alert }) =>
            `${alert.labels.slo}/${alert.labels.tier}/${alert.labels.asset_class ?? alert.labels.model}`,
        ),
    );
    console.log(`pages seen: ${[...paged].sort().join(', ')}`);
    expect([...paged].some((p) => p.startsWith('freshness/'))).toBe(true);
    expect([...paged].some((p) => p.startsWith('sync-latency/'))).toBe(true);
  }, 300_000);

  it('shares no series with Sloth: each recorded ratio is one series per SLO and class', async () => {
    const ratio = 'twinops_slo:sli_error:ratio_rate5s';
    const ours = await waitFor(
      'our ratios recorded',
      async () => {
        const series = await prometheus.query(`${ratio}{slo="freshness"}`);
        return series.length ? series : undefined;
      },
      60_000,
    );
    expect(ours.length).toBeGreaterThan(0);
    expect(
      await prometheus.query(`count by (slo, asset_class, model, model_version) (${ratio}) > 1`),
    ).toEqual([]);
    // The one-to-one match a dashboard makes between our ratio and our objective finds one pair
    // per SLO: with shared names Sloth's series would join in and the match would fail.
    const matched = await prometheus.query(
      `${ratio} / on (slo) group_left () twinops_slo:objective:ratio`,
    );
    expect(matched.length).toBeGreaterThan(0);
    expect(
      await prometheus.query('count by (__name__) ({__name__=~"twinops_slo:.+", sloth_id!=""})'),
    ).toEqual([]);
    // Sloth's own names are still Sloth's.
    expect(await prometheus.query('count(slo:objective:ratio)')).toHaveLength(1);
  });
});
