import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrometheus, waitFor, type PrometheusServer } from '../bed/index.js';
import {
  defaultClasses,
  runSimulation,
  type SimulationResult,
  type TruthPoint,
} from '../../simulator/index.js';
import type { ExporterProcess } from '../support/exporter-process.js';

/**
 * The truth test: a simulated fleet with every scenario sends real OTLP to the exporter process;
 * a real Prometheus scrapes it; each SLI, queried with PromQL, must match what the simulator's
 * ground truth says, scored here by a separate, straightforward computation. It runs against the
 * exporter started from the checkout (truth.test.ts) and from its container image (test/image/).
 */

const tickMs = 200;
const ticks = 40;
const staleAfterMs = 2_000;
const matchWindowMs = 50;
const vetted = defaultClasses.map((c) => c.model);
const unvettedVersion = '0.9.4-rc1';

const exporterConfig = {
  state: { snapshot: { path: ':memory:' }, retention: '1h' },
  sli: {
    syncLatencyThresholdsSeconds: [1, 5, 30],
    convergenceThresholdsSeconds: [0.5, 1, 5],
    evaluationInterval: '250ms',
    freshness: { staleAfter: `${staleAfterMs}ms` },
    divergence: {
      grace: '1s',
      defaultTolerance: { kind: 'absolute', epsilon: 0 },
      rules: defaultClasses.flatMap((c) =>
        c.properties.map((p) => ({
          assetClass: c.name,
          property: p.name,
          tolerance: { kind: 'absolute', epsilon: p.tolerance },
        })),
      ),
    },
    prediction: {
      matchWindow: `${matchWindowMs}ms`,
      expireAfter: '1m',
      rules: defaultClasses.flatMap((c) =>
        c.properties.map((p) => ({
          kind: 'regression',
          property: p.name,
          model: c.model.name,
          tolerance: { kind: 'absolute', epsilon: p.tolerance },
        })),
      ),
    },
    vettedModels: vetted,
  },
};

const toleranceOf = new Map(
  defaultClasses.flatMap((c) => c.properties.map((p) => [p.name, p.tolerance] as const)),
);

/** `sum by (labels) (expr)` as a map from the joined label values to the number. */
async function sumBy(
  prometheus: PrometheusServer,
  expr: string,
  labels: string[],
  at?: number,
): Promise<Map<string, number>> {
  const query = `sum by (${labels.join(',')}) (${expr})`;
  const url = `${prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}${at ? `&time=${at / 1000}` : ''}`;
  const body = (await (await fetch(url)).json()) as {
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  return new Map(
    body.data.result.map((r) => [
      labels.map((l) => r.metric[l] ?? '').join('/'),
      Number(r.value[1]),
    ]),
  );
}

function tally(
  points: readonly TruthPoint[],
  key: (p: TruthPoint) => string,
  value: (p: TruthPoint) => number = () => 1,
) {
  const totals = new Map<string, number>();
  for (const p of points) totals.set(key(p), (totals.get(key(p)) ?? 0) + value(p));
  return totals;
}

/** The exporter under test, started with a config document (minus `server`). */
export type StartExporter = (config: Record<string, unknown>) => Promise<ExporterProcess>;

export function truthSuite(title: string, startExporter: StartExporter): void {
  describe(title, () => {
    let exporter: ExporterProcess;
    let prometheus: PrometheusServer;
    let result: SimulationResult;
    let delivered: TruthPoint[];
    let endMs: number;

    beforeAll(async () => {
      exporter = await startExporter(exporterConfig);
      prometheus = await startPrometheus({
        scrapeInterval: '500ms',
        scrapeConfigs: [
          { job_name: 'exporter', static_configs: [{ targets: [exporter.metricsTarget] }] },
        ],
      });
      result = await runSimulation({
        endpoint: exporter.otlpUrl,
        assets: 12,
        tickMs,
        ticks,
        seed: 7,
        sendDelayMs: { min: 10, max: 150 },
        desiredChangeProbability: 0.1,
        scenarios: [
          // Stale from 2 s past its start to its end: 1.8 s, over three 500 ms scrapes.
          { kind: 'partition', targets: ['pump-2'], fromMs: 2_000, toMs: 5_800 },
          { kind: 'drift', targets: ['valve-1'], fromMs: 1_000 },
          { kind: 'regression', targets: ['conveyor'], fromMs: 3_000, version: unvettedVersion },
          { kind: 'skew', targets: ['pump-3'], skewMs: 10_000 },
        ],
      });
      delivered = result.points.filter((p) => p.delivered);
      endMs = result.startTimeMs + ticks * tickMs;
      // Wait until Prometheus has scraped every point the simulator delivered.
      await waitFor('Prometheus to see every delivered point', async () => {
        const total = await prometheus.query('sum(twin_points_total)');
        return Number(total[0]?.value[1]) === delivered.length ? true : undefined;
      });
    }, 120_000);
    afterAll(async () => {
      await prometheus?.stop();
      await exporter?.stop();
    });

    it('delivered every export', () => {
      expect(result.exports.failed).toBe(0);
      expect(delivered.length).toBe(result.points.length);
    });

    it('counts every point by class and source', async () => {
      const expected = tally(delivered, (p) => `${p.assetClass}/${p.source}`);
      expect(await sumBy(prometheus, 'twin_points_total', ['asset_class', 'source'])).toEqual(
        expected,
      );
    });

    it('sync latency histogram: each SLO bucket holds the points the truth puts there (±points within 250 ms of the bound)', async () => {
      const latency = (p: TruthPoint): number => Math.max(0, (p.sentAtMs - p.sourceTimeMs) / 1000);
      for (const le of [1, 5, 30]) {
        const expected = delivered.filter((p) => latency(p) <= le).length;
        const nearBound = delivered.filter((p) => Math.abs(latency(p) - le) <= 0.25).length;
        const actual =
          (await sumBy(prometheus, `twin_sync_latency_seconds_bucket{le="${le}"}`, [])).get('') ??
          NaN;
        expect(
          Math.abs(actual - expected),
          `le=${le}: exporter ${actual}, truth ${expected}`,
        ).toBeLessThanOrEqual(nearBound);
      }
      // The partition shows: pump points waited over a second, and only pump points.
      const slow = await sumBy(
        prometheus,
        'twin_sync_latency_seconds_count - ignoring(le) twin_sync_latency_seconds_bucket{le="1"}',
        ['asset_class'],
      );
      expect(slow.get('pump') ?? 0).toBeGreaterThan(0);
      expect(slow.get('valve') ?? 0).toBe(0);
      expect(slow.get('conveyor') ?? 0).toBe(0);
    });

    it('counts clock skew exactly: the points stamped after they were sent', async () => {
      const expected = tally(
        delivered.filter((p) => p.sourceTimeMs > p.sentAtMs),
        (p) => `${p.assetClass}/${p.source}`,
      );
      expect(expected.get('pump/physical')).toBeGreaterThan(0);
      const actual = await sumBy(prometheus, 'twin_clock_skew_points_total', [
        'asset_class',
        'source',
      ]);
      expect(new Map([...actual].filter(([, n]) => n > 0))).toEqual(expected);
    });

    it('freshness: the partitioned asset went stale during the outage, no other class did', async () => {
      const partitioned = result.windows.find((w) => w.kind === 'partition')!;
      const outageMs = (partitioned.toMs ?? endMs) - partitioned.fromMs;
      expect(outageMs).toBeGreaterThan(staleAfterMs);
      const window = `${Math.ceil((endMs - result.startTimeMs) / 1000) + 1}s`;
      const worst = await sumBy(
        prometheus,
        `max_over_time(twin_stale_assets[${window}])`,
        ['asset_class'],
        endMs,
      );
      expect(worst.get('pump')).toBe(1);
      expect(worst.get('valve')).toBe(0);
      expect(worst.get('conveyor')).toBe(0);
    });

    it('divergence: the drifting valve is diverged at the end, no conveyor ever was', async () => {
      const window = `${Math.ceil((endMs - result.startTimeMs) / 1000) + 1}s`;
      const atEnd = await sumBy(prometheus, 'twin_diverged_assets', ['asset_class'], endMs);
      expect(atEnd.get('valve')).toBe(1);
      const worst = await sumBy(
        prometheus,
        `max_over_time(twin_diverged_assets[${window}])`,
        ['asset_class'],
        endMs,
      );
      expect(worst.get('conveyor')).toBe(0);
    });

    it('prediction accuracy: scored count, squared and absolute error sums and within-tolerance per model version equal the truth', async () => {
      const physical = new Map<string, TruthPoint[]>();
      for (const p of delivered.filter((q) => q.source === 'physical')) {
        const key = `${p.assetId}/${p.property}`;
        physical.set(key, [...(physical.get(key) ?? []), p]);
      }
      const scored: { key: string; error: number; within: boolean }[] = [];
      for (const prediction of delivered.filter((p) => p.source === 'model')) {
        const actuals = (physical.get(`${prediction.assetId}/${prediction.property}`) ?? []).filter(
          (a) => Math.abs(a.sourceTimeMs - prediction.targetTimeMs!) <= matchWindowMs,
        );
        const actual = actuals.sort(
          (a, b) =>
            Math.abs(a.sourceTimeMs - prediction.targetTimeMs!) -
            Math.abs(b.sourceTimeMs - prediction.targetTimeMs!),
        )[0];
        if (!actual) continue;
        const error = prediction.value - actual.value;
        scored.push({
          key: `${prediction.modelName}/${prediction.modelVersion}`,
          error,
          within: Math.abs(error) <= toleranceOf.get(prediction.property)!,
        });
      }
      const labels = ['model', 'model_version'];
      const count = await sumBy(prometheus, 'twin_prediction_scored_total', labels);
      expect(count).toEqual(
        tally(scored as unknown as TruthPoint[], (s) => (s as unknown as { key: string }).key),
      );
      const squared = await sumBy(prometheus, 'twin_prediction_squared_error_total', labels);
      const absolute = await sumBy(prometheus, 'twin_prediction_absolute_error_total', labels);
      const within = await sumBy(prometheus, 'twin_prediction_within_tolerance_total', labels);
      for (const key of count.keys()) {
        const mine = scored.filter((s) => s.key === key);
        expect(squared.get(key)).toBeCloseTo(
          mine.reduce((sum, s) => sum + s.error ** 2, 0),
          6,
        );
        expect(absolute.get(key)).toBeCloseTo(
          mine.reduce((sum, s) => sum + Math.abs(s.error), 0),
          6,
        );
        expect(within.get(key) ?? 0).toBe(mine.filter((s) => s.within).length);
      }
      // The regressed version is worse: its RMSE exceeds the vetted conveyor model's.
      const rmse = (key: string): number => Math.sqrt(squared.get(key)! / count.get(key)!);
      expect(rmse(`conveyor-forecaster/${unvettedVersion}`)).toBeGreaterThan(
        rmse('conveyor-forecaster/0.9.3'),
      );
    });

    it('model version coverage: predictions from unvetted versions are counted as such', async () => {
      const predictions = delivered.filter((p) => p.source === 'model');
      const isVetted = (p: TruthPoint): boolean =>
        vetted.some((m) => m.name === p.modelName && m.version === p.modelVersion);
      const actual = await sumBy(prometheus, 'twin_model_predictions_total', ['vetted']);
      expect(actual.get('false')).toBe(predictions.filter((p) => !isVetted(p)).length);
      expect(actual.get('true')).toBe(predictions.filter(isVetted).length);
      expect(actual.get('false')).toBeGreaterThan(0);
    });

    it('convergence: each desired version converged when the truth says, histogram count and sum agree', async () => {
      const latencies: number[] = [];
      for (const asset of result.assets) {
        const mine = delivered
          .filter((p) => p.assetId === asset.id)
          .sort((a, b) => a.sourceTimeMs - b.sourceTimeMs);
        const desired = new Map<number, number>();
        for (const p of mine)
          if (p.desiredVersion !== undefined && !desired.has(p.desiredVersion))
            desired.set(p.desiredVersion, p.sourceTimeMs);
        for (const [version, at] of desired) {
          const reported = mine.find(
            (p) =>
              p.reportedVersion !== undefined &&
              p.reportedVersion >= version &&
              p.sourceTimeMs >= at,
          );
          if (reported) latencies.push((reported.sourceTimeMs - at) / 1000);
        }
      }
      expect(latencies.length).toBeGreaterThan(0);
      const count = (await sumBy(prometheus, 'twin_convergence_seconds_count', [])).get('');
      const sum = (await sumBy(prometheus, 'twin_convergence_seconds_sum', [])).get('');
      expect(count).toBe(latencies.length);
      expect(sum).toBeCloseTo(
        latencies.reduce((a, b) => a + b, 0),
        6,
      );
    });
  });
}
