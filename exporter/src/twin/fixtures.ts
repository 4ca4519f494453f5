/** Configuration and points for the engine's tests and benchmark: small, explicit, overridable. */
import type { MetricsConfig, SliConfig, StateConfig } from '../config/types.js';
import type { TwinPoint } from '../model.js';
import type { TwinEngineConfig } from './state.js';

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
