/** Configuration and points for the engine's tests and benchmark: small, explicit, overridable. */
import type { MetricsConfig, SliConfig, StateConfig } from '../../src/config/types.js';
import type { TwinPoint } from '../../src/model.js';
import type { TwinEngineConfig } from '../../src/twin/state.js';

export interface ConfigOverrides {
  state?: Partial<StateConfig>;
  sli?: Partial<SliConfig>;
  metrics?: MetricsConfig;
}

export function testConfig(overrides: ConfigOverrides = {}): TwinEngineConfig {
  return {
    state: {
      maxAssets: 1000,
      maxPropertiesPerAsset: 8,
      maxPendingPredictions: 4,
      retentionMs: 3_600_000,
      historyLength: 4,
      snapshot: { path: '', intervalMs: 60_000 },
      ...overrides.state,
    },
    sli: {
      syncLatencyThresholdsSeconds: [1, 5, 30],
      convergenceThresholdsSeconds: [10, 60],
      freshness: { staleAfterMs: 60_000, classes: { pump: { staleAfterMs: 30_000 } } },
      divergence: {
        graceMs: 10_000,
        defaultTolerance: { kind: 'absolute', epsilon: 0.5 },
        rules: [],
      },
      prediction: { matchWindowMs: 2_000, expireAfterMs: 60_000, rules: [] },
      vettedModels: [{ name: 'flow-forecast', version: '1.0' }],
      evaluationIntervalMs: 5_000,
      ...overrides.sli,
    },
    metrics: overrides.metrics ?? { perAsset: { enabled: false, maxAssets: 10 } },
  };
}

/** A point with the usual defaults: a physical reading of a pump with no model or versions. */
export function point(
  fields: Partial<TwinPoint> & Pick<TwinPoint, 'assetId' | 'property' | 'value' | 'sourceTimeMs'>,
): TwinPoint {
  return {
    assetClass: 'pump',
    site: undefined,
    source: 'physical',
    model: undefined,
    targetTimeMs: undefined,
    desiredVersion: undefined,
    reportedVersion: undefined,
    ...fields,
  };
}

export const T0 = 1_700_000_000_000;

/** Limits small enough for `scenario` to reach them (cap, history, pending, per-asset series). */
export const scenarioOverrides: ConfigOverrides = {
  state: { maxAssets: 4, historyLength: 3, maxPendingPredictions: 3 },
  sli: {
    prediction: {
      matchWindowMs: 2_000,
      expireAfterMs: 30_000,
      rules: [{ kind: 'classification', property: 'state', positive: 'fault' }],
    },
  },
  metrics: { perAsset: { enabled: true, maxAssets: 2 } },
};

export const model = { name: 'flow-forecast', version: '1.0' };

/** A bit of everything: sources, skew, out-of-order, divergence, predictions, versions, NaN. */
export function scenario(): [TwinPoint[], number][] {
  const batches: [TwinPoint[], number][] = [];
  for (let i = 0; i < 5; i++) {
    const t = T0 + i * 10_000;
    batches.push([
      [
        point({ assetId: 'p1', property: 'flow', value: 10 + i, sourceTimeMs: t - 800 }),
        point({
          assetId: 'p1',
          property: 'flow',
          source: 'twin',
          value: 20 + i,
          sourceTimeMs: t - 400,
          desiredVersion: i,
        }),
        point({ assetId: 'p1', property: 'state', value: i % 2 ? 'fault' : 'ok', sourceTimeMs: t }),
        point({
          assetId: 'p1',
          property: 'flow',
          source: 'model',
          value: 11 + i,
          sourceTimeMs: t - 100,
          model,
          targetTimeMs: t + 9_500,
        }),
        point({
          assetId: 'p1',
          property: 'state',
          source: 'model',
          value: 'fault',
          sourceTimeMs: t - 100,
          model,
          targetTimeMs: t + 10_000,
        }),
        point({
          assetId: `v${i}`,
          assetClass: 'valve',
          site: 'north',
          property: 'open',
          value: i % 2 === 0,
          sourceTimeMs: t + 2_000,
        }),
        point({
          assetId: 'v0',
          assetClass: 'valve',
          property: 'cfg',
          source: 'twin',
          value: '{"k":1}',
          sourceTimeMs: t,
        }),
        point({
          assetId: 'p2',
          property: 'temp',
          value: i === 3 ? NaN : 20,
          sourceTimeMs: t - 30_000,
          reportedVersion: i > 2 ? 1 : undefined,
        }),
        point({ assetId: 'p2', property: 'temp', value: 19, sourceTimeMs: t - 60_000 }),
      ],
      t,
    ]);
  }
  return batches;
}
