import { Registry, type RegistryContentType } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerTwinMetrics } from '../metrics/sli.js';
import { snapshotFromChunks, snapshotToChunks, TwinEngine, type TwinSnapshot } from './engine.js';
import type { TwinPoint } from '../model.js';
import {
  model,
  point,
  scenario,
  scenarioOverrides as overrides,
  T0,
  testConfig,
} from '../../test/twin/fixtures.js';

function run(engine: TwinEngine, batches: [TwinPoint[], number][]): void {
  for (const [points, receivedMs] of batches) {
    engine.apply(points, receivedMs);
    engine.evaluate(receivedMs + 500);
  }
}

async function metricsText(engine: TwinEngine, contentType: string): Promise<string> {
  const registry = new Registry<RegistryContentType>();
  registry.setContentType(contentType as RegistryContentType);
  registerTwinMetrics(registry, engine);
  return registry.metrics();
}

/** Everything the API can read, at one `now`. */
function reads(engine: TwinEngine, nowMs: number) {
  const ids = engine.listAssets({ limit: 1000 }, nowMs).items.map((a) => a.id);
  return {
    list: engine.listAssets({ limit: 1000 }, nowMs),
    stalePage: engine.listAssets({ stale: true, offset: 1, limit: 2 }, nowMs),
    assets: ids.map((id) => engine.asset(id, nowMs)),
    history: ids.flatMap((id) =>
      (engine.asset(id, nowMs)?.properties ?? []).map((p) => engine.history(id, p.property)),
    ),
    predictions: engine.predictions({ model: model.name }),
  };
}

async function expectEquivalent(a: TwinEngine, b: TwinEngine, nowMs: number): Promise<void> {
  expect(await metricsText(b, Registry.PROMETHEUS_CONTENT_TYPE)).toBe(
    await metricsText(a, Registry.PROMETHEUS_CONTENT_TYPE),
  );
  expect(await metricsText(b, Registry.OPENMETRICS_CONTENT_TYPE)).toBe(
    await metricsText(a, Registry.OPENMETRICS_CONTENT_TYPE),
  );
  expect(reads(b, nowMs)).toEqual(reads(a, nowMs));
}

/** What a restart sees: the snapshot after a trip through JSON text, in chunks of 2 assets. */
function throughJson(snapshot: TwinSnapshot): TwinSnapshot {
  const chunks = snapshotToChunks(snapshot, 2);
  expect(chunks).toHaveLength(1 + Math.ceil(snapshot.assets.length / 2));
  return snapshotFromChunks(chunks);
}

describe('snapshot and restore', () => {
  it('gives identical metrics and API reads, and stays identical under further points', async () => {
    const config = testConfig(overrides);
    const original = new TwinEngine(config);
    const batches = scenario();
    run(original, batches.slice(0, 3));

    const restored = TwinEngine.restore(throughJson(original.snapshot()), config);
    const now = T0 + 25_000;
    await expectEquivalent(original, restored, now);
    // The scenario did exercise what it is meant to carry over.
    const text = await metricsText(original, Registry.PROMETHEUS_CONTENT_TYPE);
    expect(text).toMatch(/^twin_prediction_scored_total\{[^}]*property="flow"\} [1-9]/m);
    expect(text).toMatch(/^twin_state_evictions_total\{reason="cap"\} [1-9]/m);
    expect(text).toMatch(/^twin_diverged_assets\{asset_class="pump"\} 1/m);
    expect(original.asset('p1', now)?.properties[0]?.pendingPredictions).toBeGreaterThan(0);

    // Pending predictions, recency order, divergence start and versions carry on the same.
    run(original, batches.slice(3));
    run(restored, batches.slice(3));
    original.evaluate(T0 + 120_000);
    restored.evaluate(T0 + 120_000);
    await expectEquivalent(original, restored, T0 + 120_000);
    expect(restored.snapshot()).toEqual(original.snapshot());
  });

  it('carries NaN values through JSON', () => {
    const config = testConfig();
    const engine = new TwinEngine(config);
    engine.apply([point({ assetId: 'p', property: 'temp', value: NaN, sourceTimeMs: T0 })], T0);
    const restored = TwinEngine.restore(throughJson(engine.snapshot()), config);
    expect(restored.asset('p', T0)?.properties[0]?.physical?.value).toBeNaN();
  });

  it('moves histogram counts onto changed thresholds, keeping every shared bound exact', async () => {
    const engine = new TwinEngine(testConfig());
    engine.apply(
      [0.5, 1.5, 4, 20, 100].map((seconds, i) =>
        point({ assetId: `p${i}`, property: 'flow', value: 1, sourceTimeMs: T0 - seconds * 1000 }),
      ),
      T0,
    );
    // Thresholds [1, 5, 30] become [2, 7]: bounds 2 and 7 are new, 1, 5 and 30 stay as extras.
    const changed = testConfig({ sli: { syncLatencyThresholdsSeconds: [2, 7] } });
    const restored = TwinEngine.restore(throughJson(engine.snapshot()), changed);
    const text = await metricsText(restored, Registry.PROMETHEUS_CONTENT_TYPE);
    const bucket = (le: string) => {
      const prefix = `twin_sync_latency_seconds_bucket{asset_class="pump",source="physical",le="${le}"} `;
      return text
        .split('\n')
        .find((l) => l.startsWith(prefix))
        ?.slice(prefix.length);
    };
    expect(bucket('1')).toBe('1');
    expect(bucket('2')).toBe('1'); // 1.5 s was counted under le=2.5: the new bound cannot claim it
    expect(bucket('2.5')).toBe('2');
    expect(bucket('5')).toBe('3');
    expect(bucket('7')).toBe('3');
    expect(bucket('30')).toBe('4');
    expect(bucket('+Inf')).toBe('5');
  });

  it('applies a lowered asset cap at restore, least recently seen first', async () => {
    const engine = new TwinEngine(testConfig());
    for (const [i, id] of ['a', 'b', 'c', 'a'].entries()) {
      engine.apply(
        [point({ assetId: id, property: 'flow', value: 1, sourceTimeMs: T0 + i })],
        T0 + i,
      );
    }
    const restored = TwinEngine.restore(
      throughJson(engine.snapshot()),
      testConfig({ state: { maxAssets: 2 } }),
    );
    expect(restored.listAssets({}, T0).items.map((a) => a.id)).toEqual(['a', 'c']);
    expect(await metricsText(restored, Registry.PROMETHEUS_CONTENT_TYPE)).toContain(
      '\ntwin_state_evictions_total{reason="cap"} 1\n',
    );
  });

  it('re-judges agreement under changed tolerances', () => {
    const engine = new TwinEngine(testConfig());
    engine.apply(
      [
        point({ assetId: 'p', property: 'flow', value: 10, sourceTimeMs: T0 }),
        point({ assetId: 'p', property: 'flow', source: 'twin', value: 11, sourceTimeMs: T0 }),
      ],
      T0,
    );
    expect(engine.asset('p', T0 + 60_000)?.diverged).toBe(true);
    const looser = testConfig({
      sli: {
        divergence: {
          graceMs: 10_000,
          defaultTolerance: { kind: 'absolute', epsilon: 2 },
          rules: [],
        },
      },
    });
    const restored = TwinEngine.restore(throughJson(engine.snapshot()), looser);
    expect(restored.asset('p', T0 + 60_000)?.diverged).toBe(false);
  });

  it('resumes an evaluation pass cut mid-way where it stopped, judging each asset once', async () => {
    const config = testConfig({ ...overrides, state: { ...overrides.state, maxAssets: 10 } });
    const original = new TwinEngine(config);
    const batches = scenario();
    run(original, batches.slice(0, 3));
    const [points, receivedMs] = batches[3]!;
    original.apply(points, receivedMs);
    expect(original.evaluateSlice(receivedMs + 100, 2)).toBe(false);
    expect(original.evaluationCursor).toBeGreaterThan(0);

    const restored = TwinEngine.restore(throughJson(original.snapshot()), config);
    expect(restored.evaluationCursor).toBe(original.evaluationCursor);
    const checks = async (engine: TwinEngine) =>
      (await metricsText(engine, Registry.PROMETHEUS_CONTENT_TYPE))
        .split('\n')
        .filter((line) => line.startsWith('twin_freshness_checks_total'));
    const before = await checks(original);
    for (const engine of [original, restored]) {
      engine.apply(
        [point({ assetId: 'late', property: 'flow', value: 1, sourceTimeMs: receivedMs + 150 })],
        receivedMs + 150,
      );
      expect(engine.evaluateSlice(receivedMs + 200, 100)).toBe(true);
      expect(engine.evaluationCursor).toBe(0);
    }
    await expectEquivalent(original, restored, receivedMs + 300);
    expect(restored.snapshot()).toEqual(original.snapshot());
    // The rest of the pass judged the assets after the cursor, and the one admitted meanwhile.
    const held = original.listAssets({ limit: 100 }, receivedMs).total;
    const counted = (lines: string[]) =>
      lines.reduce((sum, line) => sum + Number(line.split(' ')[1]), 0);
    expect(counted(await checks(original)) - counted(before)).toBe(held - 2);
  });
});
