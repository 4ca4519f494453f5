import { Registry, type RegistryContentType } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerTwinMetrics } from '../metrics/sli.js';
import { TwinEngine } from './engine.js';
import { point, testConfig, type ConfigOverrides } from '../../test/twin/fixtures.js';

const T0 = 1_700_000_000_000;

function engineWith(overrides: ConfigOverrides = {}): TwinEngine {
  return new TwinEngine(testConfig(overrides));
}

/** The metric lines (no comments) of one scrape. */
async function scrape(
  engine: TwinEngine,
  contentType: string = Registry.PROMETHEUS_CONTENT_TYPE,
): Promise<string[]> {
  const registry = new Registry<RegistryContentType>();
  registry.setContentType(contentType as RegistryContentType);
  registerTwinMetrics(registry, engine);
  return (await registry.metrics()).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

/** Lines of one metric (exact name, or name followed by labels). */
function series(lines: string[], name: string): string[] {
  return lines.filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

describe('sync latency and points', () => {
  it('counts points and latency per class and source, with a bucket exactly at each threshold', async () => {
    const engine = engineWith();
    const received = T0 + 10_000;
    engine.apply(
      [
        point({ assetId: 'p1', property: 'flow', value: 1, sourceTimeMs: received - 500 }),
        point({ assetId: 'p1', property: 'flow', value: 2, sourceTimeMs: received - 5_000 }),
        point({ assetId: 'p2', property: 'flow', value: 3, sourceTimeMs: received - 2_000 }),
        // The source clock is 3 s ahead: skew, counted at zero latency.
        point({
          assetId: 'p1',
          property: 'flow',
          source: 'twin',
          value: 1,
          sourceTimeMs: received + 3_000,
        }),
      ],
      received,
    );
    const lines = await scrape(engine);
    expect(series(lines, 'twin_points_total')).toEqual([
      'twin_points_total{asset_class="pump",source="physical"} 3',
      'twin_points_total{asset_class="pump",source="twin"} 1',
    ]);
    expect(lines).toContain(
      'twin_sync_latency_seconds_bucket{asset_class="pump",source="physical",le="1"} 1',
    );
    expect(lines).toContain(
      'twin_sync_latency_seconds_bucket{asset_class="pump",source="physical",le="2.5"} 2',
    );
    expect(lines).toContain(
      'twin_sync_latency_seconds_bucket{asset_class="pump",source="physical",le="5"} 3',
    );
    expect(lines).toContain(
      'twin_sync_latency_seconds_bucket{asset_class="pump",source="physical",le="+Inf"} 3',
    );
    expect(lines).toContain(
      'twin_sync_latency_seconds_sum{asset_class="pump",source="physical"} 7.5',
    );
    expect(lines).toContain(
      'twin_sync_latency_seconds_count{asset_class="pump",source="physical"} 3',
    );
    expect(lines).toContain(
      'twin_sync_latency_seconds_bucket{asset_class="pump",source="twin",le="0.005"} 1',
    );
    expect(series(lines, 'twin_clock_skew_points_total')).toEqual([
      'twin_clock_skew_points_total{asset_class="pump",source="physical"} 0',
      'twin_clock_skew_points_total{asset_class="pump",source="twin"} 1',
    ]);
    expect(series(lines, 'twin_assets')).toEqual(['twin_assets{asset_class="pump"} 2']);
  });

  it('writes OpenMetrics too: counters named without _total in TYPE, samples with it', async () => {
    const engine = engineWith();
    engine.apply(
      [point({ assetId: 'p1', property: 'flow', value: 1, sourceTimeMs: T0 })],
      T0 + 2_000,
    );
    const registry = new Registry<RegistryContentType>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as RegistryContentType);
    registerTwinMetrics(registry, engine);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE twin_points counter\n');
    expect(text).toContain('\ntwin_points_total{asset_class="pump",source="physical"} 1\n');
    expect(text).toContain('# TYPE twin_sync_latency_seconds histogram\n');
    expect(text).toContain(
      '\ntwin_sync_latency_seconds_bucket{asset_class="pump",source="physical",le="5"} 1\n',
    );
    expect(text).toContain('\ntwin_state_evictions_total{reason="cap"} 0\n');
    expect(text.endsWith('# EOF\n')).toBe(true);
    expect(text).not.toContain('_total_total');
  });

  it('keeps an out-of-order physical point out of the newest value, but counts it', async () => {
    const engine = engineWith();
    engine.apply(
      [point({ assetId: 'p1', property: 'flow', value: 5, sourceTimeMs: T0 + 2_000 })],
      T0 + 3_000,
    );
    engine.apply(
      [point({ assetId: 'p1', property: 'flow', value: 4, sourceTimeMs: T0 + 1_000 })],
      T0 + 4_000,
    );
    const view = engine.asset('p1', T0 + 5_000);
    expect(view?.properties[0]?.physical).toEqual({
      value: 5,
      sourceTimeMs: T0 + 2_000,
      receivedMs: T0 + 3_000,
      ageMs: 3_000,
    });
    expect(engine.history('p1', 'flow')).toEqual([
      { source: 'physical', sourceTimeMs: T0 + 1_000, value: 4 },
      { source: 'physical', sourceTimeMs: T0 + 2_000, value: 5 },
    ]);
    const lines = await scrape(engine);
    expect(lines).toContain('twin_points_total{asset_class="pump",source="physical"} 2');
    expect(lines).toContain(
      'twin_sync_latency_seconds_sum{asset_class="pump",source="physical"} 4',
    );
  });
});

describe('falsy values', () => {
  it('are values like any other: 0, false and the empty string', async () => {
    const engine = engineWith();
    engine.apply(
      [
        point({ assetId: 'p1', property: 'speed', value: 0, sourceTimeMs: T0 }),
        point({ assetId: 'p1', property: 'speed', source: 'twin', value: 0, sourceTimeMs: T0 }),
        point({ assetId: 'p1', property: 'on', value: false, sourceTimeMs: T0 }),
        point({ assetId: 'p1', property: 'on', source: 'twin', value: true, sourceTimeMs: T0 }),
        point({ assetId: 'p1', property: 'note', value: '', sourceTimeMs: T0 }),
      ],
      T0,
    );
    const view = engine.asset('p1', T0 + 60_000);
    expect(
      view?.properties.map((p) => [p.physical?.value, p.twin?.value, p.divergence.diverged]),
    ).toEqual([
      [0, 0, false],
      [false, true, true],
      ['', undefined, false],
    ]);
    expect(engine.history('p1', 'on')).toEqual([
      { source: 'physical', sourceTimeMs: T0, value: false },
      { source: 'twin', sourceTimeMs: T0, value: true },
    ]);
    expect(view?.newestPhysicalMs).toBe(T0);
    engine.evaluate(T0 + 60_000);
    const lines = await scrape(engine);
    expect(lines).toContain('twin_divergence_checks_total{asset_class="pump"} 1');
    expect(lines).toContain('twin_diverged_assets{asset_class="pump"} 1');
  });
});

describe('history', () => {
  it('keeps the newest historyLength values of both sides, oldest first', () => {
    const engine = engineWith({ state: { historyLength: 3 } });
    for (let i = 0; i < 5; i++) {
      engine.apply(
        [
          point({ assetId: 'p1', property: 'flow', value: i, sourceTimeMs: T0 + i * 1_000 }),
          point({
            assetId: 'p1',
            property: 'flow',
            source: 'twin',
            value: i,
            sourceTimeMs: T0 + i * 1_000 + 500,
          }),
        ],
        T0 + i * 1_000 + 600,
      );
    }
    expect(engine.history('p1', 'flow')).toEqual([
      { source: 'twin', sourceTimeMs: T0 + 3_500, value: 3 },
      { source: 'physical', sourceTimeMs: T0 + 4_000, value: 4 },
      { source: 'twin', sourceTimeMs: T0 + 4_500, value: 4 },
    ]);
    expect(engine.history('p1', 'nope')).toBeUndefined();
    expect(engine.history('nope', 'flow')).toBeUndefined();
  });
});

describe('site gauges', () => {
  it('counts assets, stale and diverged per class and site at each evaluation', async () => {
    const engine = engineWith();
    engine.apply(
      [
        point({ assetId: 'p1', site: 'north', property: 'flow', value: 1, sourceTimeMs: T0 }),
        point({ assetId: 'p2', site: 'north', property: 'flow', value: 1, sourceTimeMs: T0 }),
        point({ assetId: 'p3', site: 'south', property: 'flow', value: 1, sourceTimeMs: T0 }),
        // No site reported: counted under "unknown".
        point({ assetId: 'p4', property: 'flow', value: 1, sourceTimeMs: T0 }),
      ],
      T0,
    );
    engine.apply(
      [
        point({
          assetId: 'p1',
          site: 'north',
          property: 'flow',
          value: 2,
          sourceTimeMs: T0 + 25_000,
        }),
      ],
      T0 + 25_000,
    );
    expect(series(await scrape(engine), 'twin_site_assets')).toEqual([]); // before any evaluation
    engine.evaluate(T0 + 30_001); // pump limit 30 s: only p1 is fresh
    const lines = await scrape(engine);
    expect(series(lines, 'twin_site_assets')).toEqual([
      'twin_site_assets{asset_class="pump",site="north"} 2',
      'twin_site_assets{asset_class="pump",site="south"} 1',
      'twin_site_assets{asset_class="pump",site="unknown"} 1',
    ]);
    expect(series(lines, 'twin_site_stale_assets')).toEqual([
      'twin_site_stale_assets{asset_class="pump",site="north"} 1',
      'twin_site_stale_assets{asset_class="pump",site="south"} 1',
      'twin_site_stale_assets{asset_class="pump",site="unknown"} 1',
    ]);
    expect(series(lines, 'twin_site_diverged_assets')).toEqual([
      'twin_site_diverged_assets{asset_class="pump",site="north"} 0',
      'twin_site_diverged_assets{asset_class="pump",site="south"} 0',
      'twin_site_diverged_assets{asset_class="pump",site="unknown"} 0',
    ]);
    // Silent past the retention, the assets stay, dark and stale: the site does not turn green.
    engine.evaluate(T0 + 30_000 + 24 * 3_600_000);
    expect(series(await scrape(engine), 'twin_site_stale_assets')).toEqual([
      'twin_site_stale_assets{asset_class="pump",site="north"} 2',
      'twin_site_stale_assets{asset_class="pump",site="south"} 1',
      'twin_site_stale_assets{asset_class="pump",site="unknown"} 1',
    ]);
    // A pair that no longer has assets (retired) disappears at the next evaluation.
    expect(engine.retire(['p3', 'p9'])).toEqual(['p3']);
    engine.evaluate(T0 + 30_001 + 24 * 3_600_000);
    expect(series(await scrape(engine), 'twin_site_assets')).toEqual([
      'twin_site_assets{asset_class="pump",site="north"} 2',
      'twin_site_assets{asset_class="pump",site="unknown"} 1',
    ]);
  });
});

describe('freshness', () => {
  it('judges each asset at every evaluation, with the per-class limit', async () => {
    const engine = engineWith();
    engine.apply(
      [
        point({ assetId: 'p1', property: 'flow', value: 1, sourceTimeMs: T0 }),
        point({
          assetId: 'v1',
          assetClass: 'valve',
          property: 'open',
          value: true,
          sourceTimeMs: T0,
        }),
        // Heard of only through its twin: nothing vouches for it.
        point({
          assetId: 'v2',
          assetClass: 'valve',
          source: 'twin',
          property: 'open',
          value: true,
          sourceTimeMs: T0,
        }),
      ],
      T0,
    );
    engine.evaluate(T0 + 30_000); // pump limit 30 s: still fresh
    engine.evaluate(T0 + 30_001); // pump stale; valve limit 60 s
    const lines = await scrape(engine);
    expect(series(lines, 'twin_stale_assets')).toEqual([
      'twin_stale_assets{asset_class="pump"} 1',
      'twin_stale_assets{asset_class="valve"} 1',
    ]);
    expect(series(lines, 'twin_freshness_checks_total')).toEqual([
      'twin_freshness_checks_total{asset_class="pump"} 2',
      'twin_freshness_checks_total{asset_class="valve"} 4',
    ]);
    expect(series(lines, 'twin_freshness_checks_good_total')).toEqual([
      'twin_freshness_checks_good_total{asset_class="pump"} 1',
      'twin_freshness_checks_good_total{asset_class="valve"} 2',
    ]);
    expect(engine.listAssets({ stale: true }, T0 + 30_001).items.map((a) => a.id)).toEqual([
      'p1',
      'v2',
    ]);
  });
});

describe('timestamps from clocks ahead, and late data', () => {
  it('never lets a future timestamp keep an asset fresh past its receipt', async () => {
    const engine = engineWith(); // pump: stale after 30 s
    // Stamped 120 s ahead of its receipt: it vouches for the asset as of the receipt only.
    engine.apply(
      [point({ assetId: 'p1', property: 'flow', value: 1, sourceTimeMs: T0 + 120_000 })],
      T0,
    );
    engine.evaluate(T0 + 30_000);
    expect(engine.asset('p1', T0 + 30_000)?.stale).toBe(false);
    engine.evaluate(T0 + 30_001);
    expect(engine.asset('p1', T0 + 30_001)?.stale).toBe(true);
    expect(series(await scrape(engine), 'twin_stale_assets')).toEqual([
      'twin_stale_assets{asset_class="pump"} 1',
    ]);
    // The point itself keeps its own time: it is what the source said.
    expect(engine.asset('p1', T0)?.newestPhysicalMs).toBe(T0 + 120_000);
  });

  it('gives backfilled disagreements their full grace, counted from when they arrived', () => {
    const engine = engineWith(); // grace 10 s, tolerance 0.5
    const hourAgo = T0 - 3_600_000;
    engine.apply(
      [
        point({ assetId: 'p1', property: 'flow', value: 10, sourceTimeMs: hourAgo }),
        point({
          assetId: 'p1',
          property: 'flow',
          source: 'twin',
          value: 12,
          sourceTimeMs: hourAgo,
        }),
      ],
      T0,
    );
    const flow = () => engine.asset('p1', T0 + 10_000)?.properties[0]?.divergence;
    expect(flow()).toMatchObject({ differsSinceMs: hourAgo, graceFromMs: T0, diverged: false });
    engine.evaluate(T0 + 10_000);
    expect(engine.asset('p1', T0 + 10_000)?.diverged).toBe(false);
    engine.evaluate(T0 + 10_001);
    expect(engine.asset('p1', T0 + 10_001)?.diverged).toBe(true);
  });

  it('starts the grace at the receipt of the later of the two values', () => {
    const engine = engineWith();
    engine.apply([point({ assetId: 'p1', property: 'flow', value: 10, sourceTimeMs: T0 })], T0);
    // The twin's value arrives 5 s later, stamped at T0: they differ since T0, known since T0 + 5 s.
    engine.apply(
      [point({ assetId: 'p1', property: 'flow', source: 'twin', value: 12, sourceTimeMs: T0 })],
      T0 + 5_000,
    );
    expect(engine.asset('p1', T0 + 15_000)?.diverged).toBe(false);
    expect(engine.asset('p1', T0 + 15_001)?.diverged).toBe(true);
  });
});

describe('divergence', () => {
  it('counts a property as diverged only after it differed for longer than its grace', async () => {
    const engine = engineWith(); // default tolerance: absolute 0.5; grace 10 s
    const at = (ms: number) => T0 + ms;
    engine.apply(
      [
        point({ assetId: 'p1', property: 'flow', value: 10, sourceTimeMs: at(0) }),
        point({
          assetId: 'p1',
          property: 'flow',
          source: 'twin',
          value: 10.5,
          sourceTimeMs: at(0),
        }),
        // No twin value: nothing to compare, no check.
        point({ assetId: 'p2', property: 'flow', value: 10, sourceTimeMs: at(0) }),
      ],
      at(0),
    );
    engine.evaluate(at(1_000));
    engine.apply(
      [
        point({
          assetId: 'p1',
          property: 'flow',
          source: 'twin',
          value: 12,
          sourceTimeMs: at(2_000),
        }),
      ],
      at(2_000),
    );
    engine.evaluate(at(12_000)); // differed exactly 10 s: not yet
    expect(series(await scrape(engine), 'twin_diverged_assets')).toEqual([
      'twin_diverged_assets{asset_class="pump"} 0',
    ]);
    engine.evaluate(at(12_001));
    let lines = await scrape(engine);
    expect(series(lines, 'twin_diverged_assets')).toEqual([
      'twin_diverged_assets{asset_class="pump"} 1',
    ]);
    expect(series(lines, 'twin_divergence_checks_total')).toEqual([
      'twin_divergence_checks_total{asset_class="pump"} 3',
    ]);
    expect(series(lines, 'twin_divergence_checks_good_total')).toEqual([
      'twin_divergence_checks_good_total{asset_class="pump"} 2',
    ]);
    const flow = engine.asset('p1', at(12_001))?.properties[0];
    expect(flow?.divergence).toEqual({
      comparable: true,
      differsSinceMs: at(2_000),
      graceFromMs: at(2_000),
      diverged: true,
      tolerance: { kind: 'absolute', epsilon: 0.5 },
      graceMs: 10_000,
    });
    expect(engine.listAssets({ diverged: true }, at(12_001)).items.map((a) => a.id)).toEqual([
      'p1',
    ]);

    // The twin catches up: agreement ends the divergence at the next evaluation.
    engine.apply(
      [
        point({
          assetId: 'p1',
          property: 'flow',
          source: 'twin',
          value: 10.2,
          sourceTimeMs: at(13_000),
        }),
      ],
      at(13_000),
    );
    engine.evaluate(at(14_000));
    lines = await scrape(engine);
    expect(series(lines, 'twin_diverged_assets')).toEqual([
      'twin_diverged_assets{asset_class="pump"} 0',
    ]);
    expect(series(lines, 'twin_divergence_checks_good_total')).toEqual([
      'twin_divergence_checks_good_total{asset_class="pump"} 3',
    ]);
  });

  it('uses per-property rules: exact for strings by default, hash for documents, own grace', () => {
    const engine = engineWith({
      sli: {
        divergence: {
          graceMs: 10_000,
          defaultTolerance: { kind: 'absolute', epsilon: 0.5 },
          rules: [
            { property: 'config', tolerance: { kind: 'hash' }, graceMs: 0 },
            {
              assetClass: 'pump',
              property: 'speed',
              tolerance: { kind: 'relative', epsilon: 0.1 },
            },
          ],
        },
      },
    });
    const points = [
      ['mode', 'auto', 'manual'],
      ['config', '{"a":1}', '{"a":1}'],
      ['speed', 100, 109],
    ] as const;
    engine.apply(
      points.flatMap(([property, physical, twin]) => [
        point({ assetId: 'p1', property, value: physical, sourceTimeMs: T0 }),
        point({ assetId: 'p1', property, source: 'twin', value: twin, sourceTimeMs: T0 }),
      ]),
      T0,
    );
    const view = engine.asset('p1', T0 + 60_000);
    expect(
      view?.properties.map((p) => [p.property, p.divergence.diverged, p.divergence.tolerance]),
    ).toEqual([
      ['mode', true, { kind: 'exact' }],
      ['config', false, { kind: 'hash' }],
      ['speed', false, { kind: 'relative', epsilon: 0.1 }],
    ]);
    expect(view?.diverged).toBe(true);
  });
});

describe('predictions', () => {
  const regressionRules = {
    prediction: {
      matchWindowMs: 2_000,
      expireAfterMs: 60_000,
      rules: [
        { kind: 'regression', property: 'flow', tolerance: { kind: 'absolute', epsilon: 0.5 } },
        { kind: 'classification', property: 'state', positive: 'fault' },
      ],
    },
  } as const satisfies ConfigOverrides['sli'];

  const predict = (value: number | string, targetMs: number, version = '1.0', property = 'flow') =>
    point({
      assetId: 'p1',
      property,
      source: 'model',
      value,
      sourceTimeMs: T0,
      model: { name: 'flow-forecast', version },
      targetTimeMs: targetMs,
    });

  it('keeps the last 50 scored predictions of a model, newest first, however many were scored', () => {
    const engine = engineWith({ sli: regressionRules });
    for (let i = 0; i < 237; i++) {
      const at = T0 + i * 1_000;
      engine.apply([{ ...predict(i, at), sourceTimeMs: at }], at);
      engine.apply([point({ assetId: 'p1', property: 'flow', value: i, sourceTimeMs: at })], at);
    }
    const recent = engine.predictions({ model: 'flow-forecast' });
    expect(recent.map((p) => p.predicted)).toEqual(Array.from({ length: 50 }, (_, i) => 236 - i));
  });

  it('scores regressions against the physical value at the target time, window edges included', async () => {
    const engine = engineWith({ sli: regressionRules });
    engine.apply(
      [predict(20, T0 + 10_000), predict(30, T0 + 20_000), predict(40, T0 + 30_000)],
      T0,
    );
    engine.apply(
      [point({ assetId: 'p1', property: 'flow', value: 21, sourceTimeMs: T0 + 12_000 })],
      T0 + 12_000,
    );
    engine.apply(
      [point({ assetId: 'p1', property: 'flow', value: 30.5, sourceTimeMs: T0 + 17_999 })],
      T0 + 18_000,
    );
    engine.apply(
      [point({ assetId: 'p1', property: 'flow', value: 30.25, sourceTimeMs: T0 + 18_000 })],
      T0 + 18_000,
    );
    const labels = '{model="flow-forecast",model_version="1.0",property="flow"}';
    const lines = await scrape(engine);
    expect(lines).toContain(`twin_prediction_scored_total${labels} 2`);
    expect(lines).toContain(`twin_prediction_squared_error_total${labels} 1.0625`);
    expect(lines).toContain(`twin_prediction_absolute_error_total${labels} 1.25`);
    expect(lines).toContain(`twin_prediction_within_tolerance_total${labels} 1`);
    expect(
      engine
        .predictions({ model: 'flow-forecast' })
        .map((p) => [p.predicted, p.actual, p.error, p.good]),
    ).toEqual([
      [30, 30.25, -0.25, true],
      [20, 21, -1, false],
    ]);
    expect(engine.asset('p1', T0)?.properties[0]?.pendingPredictions).toBe(1);

    // The third is never matched: it expires once more than 60 s past its target.
    engine.evaluate(T0 + 90_000);
    expect(series(await scrape(engine), 'twin_prediction_expired_total')).toEqual([
      'twin_prediction_expired_total{model="flow-forecast",model_version="1.0"} 0',
    ]);
    engine.evaluate(T0 + 90_001);
    expect(series(await scrape(engine), 'twin_prediction_expired_total')).toEqual([
      'twin_prediction_expired_total{model="flow-forecast",model_version="1.0"} 1',
    ]);
  });

  it('scores a prediction at once when the physical value for its target is already there', async () => {
    const engine = engineWith({ sli: regressionRules });
    engine.apply([point({ assetId: 'p1', property: 'flow', value: 7, sourceTimeMs: T0 })], T0);
    engine.apply([predict(7.25, T0 + 1_000)], T0 + 1_000);
    const lines = await scrape(engine);
    expect(lines).toContain(
      'twin_prediction_within_tolerance_total{model="flow-forecast",model_version="1.0",property="flow"} 1',
    );
  });

  it('counts classifications against the positive value', async () => {
    const engine = engineWith({ sli: regressionRules });
    const cases: [string, string][] = [
      ['fault', 'fault'],
      ['fault', 'ok'],
      ['ok', 'fault'],
      ['ok', 'ok'],
      ['ok', 'ok'],
    ];
    cases.forEach(([predicted, actual], i) => {
      const t = T0 + i * 10_000;
      engine.apply([predict(predicted, t, '1.0', 'state')], t - 5_000);
      engine.apply(
        [point({ assetId: 'p1', property: 'state', value: actual, sourceTimeMs: t })],
        t,
      );
    });
    const lines = await scrape(engine);
    const labels = 'model="flow-forecast",model_version="1.0",property="state"';
    expect(series(lines, 'twin_prediction_classifications_total')).toEqual([
      `twin_prediction_classifications_total{${labels},result="tp"} 1`,
      `twin_prediction_classifications_total{${labels},result="fp"} 1`,
      `twin_prediction_classifications_total{${labels},result="fn"} 1`,
      `twin_prediction_classifications_total{${labels},result="tn"} 2`,
    ]);
    expect(lines).toContain(`twin_prediction_scored_total{${labels}} 5`);
    expect(lines).toContain(`twin_prediction_within_tolerance_total{${labels}} 3`);
    expect(series(lines, 'twin_prediction_squared_error_total')).toEqual([]);
  });

  it('bounds pending predictions, dropping the oldest first', async () => {
    const engine = engineWith({ sli: regressionRules, state: { maxPendingPredictions: 2 } });
    engine.apply([predict(1, T0 + 10_000), predict(2, T0 + 10_000), predict(3, T0 + 10_000)], T0);
    engine.apply(
      [point({ assetId: 'p1', property: 'flow', value: 3, sourceTimeMs: T0 + 10_000 })],
      T0 + 10_000,
    );
    const lines = await scrape(engine);
    expect(lines).toContain(
      'twin_prediction_dropped_total{model="flow-forecast",model_version="1.0"} 1',
    );
    expect(lines).toContain(
      'twin_prediction_absolute_error_total{model="flow-forecast",model_version="1.0",property="flow"} 1',
    );
  });

  it('counts predictions by model version, vetted or not', async () => {
    const engine = engineWith({ sli: regressionRules });
    engine.apply([predict(1, T0), predict(2, T0), predict(3, T0, '2.0-rc')], T0);
    expect(series(await scrape(engine), 'twin_model_predictions_total')).toEqual([
      'twin_model_predictions_total{model="flow-forecast",model_version="1.0",vetted="true"} 2',
      'twin_model_predictions_total{model="flow-forecast",model_version="2.0-rc",vetted="false"} 1',
    ]);
    expect(engine.predictions({ model: 'flow-forecast', version: '2.0-rc' })).toEqual([]);
  });
});

describe('convergence', () => {
  it('observes desired-to-reported times and the oldest unconverged change per class', async () => {
    const engine = engineWith();
    const desired = (id: string, v: number, t: number) =>
      point({
        assetId: id,
        property: 'setpoint',
        source: 'twin',
        value: v,
        sourceTimeMs: t,
        desiredVersion: v,
      });
    const reported = (id: string, v: number, t: number) =>
      point({ assetId: id, property: 'setpoint', value: v, sourceTimeMs: t, reportedVersion: v });
    engine.apply([desired('p1', 1, T0), desired('p2', 1, T0 + 1_000)], T0 + 1_000);
    engine.apply([reported('p1', 1, T0 + 7_000)], T0 + 7_000);
    engine.evaluate(T0 + 21_000);
    const lines = await scrape(engine);
    expect(lines).toContain('twin_convergence_seconds_bucket{asset_class="pump",le="5"} 0');
    expect(lines).toContain('twin_convergence_seconds_bucket{asset_class="pump",le="10"} 1');
    expect(lines).toContain('twin_convergence_seconds_sum{asset_class="pump"} 7');
    expect(series(lines, 'twin_unconverged_changes')).toEqual([
      'twin_unconverged_changes{asset_class="pump"} 1',
    ]);
    expect(series(lines, 'twin_unconverged_oldest_age_seconds')).toEqual([
      'twin_unconverged_oldest_age_seconds{asset_class="pump"} 20',
    ]);
    expect(engine.asset('p2', T0 + 21_000)?.versions).toEqual({
      desiredVersion: 1,
      desiredTimeMs: T0 + 1_000,
      reportedVersion: null,
      reportedTimeMs: null,
      unconvergedChanges: 1,
      oldestUnconvergedAgeSeconds: 20,
    });
  });
});

describe('limits and eviction', () => {
  it('drops the state of assets silent past the retention, and keeps them dark and stale until retired', async () => {
    const engine = engineWith({ state: { retentionMs: 60_000 } });
    engine.apply([point({ assetId: 'p1', property: 'flow', value: 1, sourceTimeMs: T0 })], T0);
    engine.apply(
      [point({ assetId: 'p2', property: 'flow', value: 1, sourceTimeMs: T0 + 1_000 })],
      T0 + 1_000,
    );
    engine.evaluate(T0 + 60_000);
    expect(engine.asset('p1', T0 + 60_000)?.dark).toBe(false);
    engine.evaluate(T0 + 60_001);
    expect(engine.assetCount).toBe(2);
    const p1 = engine.asset('p1', T0 + 60_001);
    expect(p1).toMatchObject({ dark: true, stale: true, properties: [] });
    let lines = await scrape(engine);
    expect(series(lines, 'twin_state_evictions_total')).toEqual([
      'twin_state_evictions_total{reason="retention"} 1',
      'twin_state_evictions_total{reason="cap"} 0',
      'twin_state_evictions_total{reason="retired"} 0',
      'twin_state_evictions_total{reason="quarantine"} 0',
    ]);
    expect(series(lines, 'twin_assets')).toEqual(['twin_assets{asset_class="pump"} 2']);
    expect(series(lines, 'twin_dark_assets')).toEqual(['twin_dark_assets{asset_class="pump"} 1']);
    expect(series(lines, 'twin_stale_assets')).toEqual(['twin_stale_assets{asset_class="pump"} 2']);
    expect(engine.darkAssets()).toEqual(['p1']);

    // Every later evaluation still finds it stale: the freshness SLI stays red for it.
    const checks = (text: string[]) =>
      series(text, 'twin_freshness_checks_total').concat(
        series(text, 'twin_freshness_checks_good_total'),
      );
    expect(checks(lines)).toEqual([
      'twin_freshness_checks_total{asset_class="pump"} 4',
      'twin_freshness_checks_good_total{asset_class="pump"} 0',
    ]);
    engine.evaluate(T0 + 120_000);
    expect(checks(await scrape(engine))).toEqual([
      'twin_freshness_checks_total{asset_class="pump"} 6',
      'twin_freshness_checks_good_total{asset_class="pump"} 0',
    ]);

    // Retired, it is gone: no longer held, no longer stale.
    expect(engine.retire(['p1'])).toEqual(['p1']);
    engine.evaluate(T0 + 120_001);
    lines = await scrape(engine);
    expect(series(lines, 'twin_assets')).toEqual(['twin_assets{asset_class="pump"} 1']);
    expect(series(lines, 'twin_dark_assets')).toEqual(['twin_dark_assets{asset_class="pump"} 1']);
    expect(lines).toContain('twin_state_evictions_total{reason="retired"} 1');
    expect(engine.asset('p1', T0)).toBeUndefined();
  });

  it('brings a dark asset back when it reports again', async () => {
    const engine = engineWith({ state: { retentionMs: 60_000 } });
    engine.apply([point({ assetId: 'p1', property: 'flow', value: 1, sourceTimeMs: T0 })], T0);
    engine.evaluate(T0 + 60_001);
    expect(engine.asset('p1', T0 + 60_001)?.dark).toBe(true);
    const back = T0 + 90_000;
    engine.apply([point({ assetId: 'p1', property: 'flow', value: 2, sourceTimeMs: back })], back);
    engine.evaluate(back + 1);
    const lines = await scrape(engine);
    expect(series(lines, 'twin_dark_assets')).toEqual(['twin_dark_assets{asset_class="pump"} 0']);
    expect(series(lines, 'twin_stale_assets')).toEqual(['twin_stale_assets{asset_class="pump"} 0']);
    expect(engine.asset('p1', back + 1)).toMatchObject({ dark: false, stale: false });
  });

  it('keeps an asset seen again within the retention', () => {
    const engine = engineWith({ state: { retentionMs: 60_000 } });
    engine.apply([point({ assetId: 'p1', property: 'flow', value: 1, sourceTimeMs: T0 })], T0);
    engine.apply(
      [point({ assetId: 'p1', property: 'flow', value: 2, sourceTimeMs: T0 + 30_000 })],
      T0 + 30_000,
    );
    engine.evaluate(T0 + 90_000);
    expect(engine.asset('p1', T0 + 90_000)?.dark).toBe(false);
    engine.evaluate(T0 + 90_001);
    expect(engine.asset('p1', T0 + 90_001)?.dark).toBe(true);
  });

  it('evicts the least recently seen asset at the cap', async () => {
    const engine = engineWith({ state: { maxAssets: 2 } });
    const seen = (id: string, t: number) =>
      engine.apply([point({ assetId: id, property: 'flow', value: 1, sourceTimeMs: t })], t);
    seen('a', T0);
    seen('b', T0 + 1);
    seen('a', T0 + 2);
    seen('c', T0 + 3);
    expect(engine.listAssets({}, T0).items.map((a) => a.id)).toEqual(['a', 'c']);
    seen('d', T0 + 4);
    expect(engine.listAssets({}, T0).items.map((a) => a.id)).toEqual(['c', 'd']);
    expect(await scrape(engine)).toContain('twin_state_evictions_total{reason="cap"} 2');
  });

  it('rejects points for properties beyond maxPropertiesPerAsset, and says how many', async () => {
    const engine = engineWith({ state: { maxPropertiesPerAsset: 2 } });
    const rejected = engine.apply(
      ['a', 'b', 'c', 'a', 'd'].map((property) =>
        point({ assetId: 'p1', property, value: 1, sourceTimeMs: T0 }),
      ),
      T0,
    );
    expect(rejected).toBe(2);
    const lines = await scrape(engine);
    expect(lines).toContain('twin_state_rejected_points_total{reason="over_limit"} 2');
    expect(lines).toContain('twin_points_total{asset_class="pump",source="physical"} 3');
    expect(engine.asset('p1', T0)?.properties.map((p) => p.property)).toEqual(['a', 'b']);
  });

  it('keeps labels bounded: undeclared classes beyond the quarantine evict the least recent', async () => {
    const engine = engineWith({ state: { maxAssets: 10_000 } });
    const maxClasses = engine.quarantine({}).limits.maxClasses;
    const rejected = engine.apply(
      Array.from({ length: maxClasses + 2 }, (_, i) =>
        point({
          assetId: `a${i}`,
          assetClass: `class-${i}`,
          property: 'flow',
          value: 1,
          sourceTimeMs: T0,
        }),
      ),
      T0,
    );
    expect(rejected).toBe(0);
    const lines = await scrape(engine);
    expect(series(lines, 'twin_assets')).toHaveLength(maxClasses);
    expect(lines).toContain('twin_quarantine_evictions_total{kind="class"} 2');
    expect(engine.asset('a0', T0)).toBeUndefined();
  });

  it('moves an asset whose class changes, gauges included', async () => {
    const engine = engineWith();
    engine.apply([point({ assetId: 'x', property: 'flow', value: 1, sourceTimeMs: T0 })], T0);
    engine.apply(
      [
        point({
          assetId: 'x',
          assetClass: 'valve',
          property: 'flow',
          value: 2,
          sourceTimeMs: T0 + 1,
        }),
      ],
      T0 + 1,
    );
    expect(series(await scrape(engine), 'twin_assets')).toEqual([
      'twin_assets{asset_class="pump"} 0',
      'twin_assets{asset_class="valve"} 1',
    ]);
    expect(engine.asset('x', T0)?.properties[0]?.physical?.value).toBe(2);
  });
});

describe('scrape cost', () => {
  it('does not grow with the number of assets', async () => {
    const small = engineWith();
    const large = engineWith();
    const fill = (engine: TwinEngine, n: number) =>
      engine.apply(
        Array.from({ length: n }, (_, i) =>
          point({ assetId: `p${i}`, property: 'flow', value: i, sourceTimeMs: T0 }),
        ),
        T0 + 100,
      );
    fill(small, 10);
    fill(large, 500);
    expect((await scrape(large)).length).toBe((await scrape(small)).length);
  });
});

describe('per-asset series', () => {
  it('exist only when switched on, for at most maxAssets assets', async () => {
    const engine = engineWith({ metrics: { perAsset: { enabled: true, maxAssets: 1 } } });
    engine.apply(
      [
        point({ assetId: 'p1', property: 'flow', value: 1, sourceTimeMs: T0 - 2_000 }),
        point({ assetId: 'p2', property: 'flow', value: 1, sourceTimeMs: T0 }),
      ],
      T0,
    );
    const lines = await scrape(engine);
    expect(series(lines, 'twin_asset_sync_latency_seconds_last')).toEqual([
      'twin_asset_sync_latency_seconds_last{asset_id="p1",asset_class="pump"} 2',
    ]);
    expect(series(lines, 'twin_asset_diverged')).toEqual([
      'twin_asset_diverged{asset_id="p1",asset_class="pump"} 0',
    ]);
    expect(lines.some((l) => l.includes('asset_id='))).toBe(true);
    const off = await scrape(engineWith());
    expect(off.some((l) => l.includes('asset_id='))).toBe(false);
  });
});

describe('listing', () => {
  it('filters by class and site and pages with a stable order and total', () => {
    const engine = engineWith();
    engine.apply(
      Array.from({ length: 7 }, (_, i) =>
        point({
          assetId: `a${i}`,
          assetClass: i % 2 ? 'valve' : 'pump',
          site: i < 4 ? 'north' : 'south',
          property: 'flow',
          value: i,
          sourceTimeMs: T0,
        }),
      ),
      T0,
    );
    const page = engine.listAssets({ assetClass: 'pump', offset: 1, limit: 2 }, T0);
    expect(page.total).toBe(4);
    expect(page.items.map((a) => a.id)).toEqual(['a2', 'a4']);
    expect(
      engine.listAssets({ site: 'north', assetClass: 'valve' }, T0).items.map((a) => a.id),
    ).toEqual(['a1', 'a3']);
    expect(engine.listAssets({ limit: 1e9 }, T0).limit).toBe(1000);
  });
});
