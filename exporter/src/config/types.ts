/**
 * The exporter's configuration, as validated against `exporter/schemas/config.schema.json`.
 * Durations in the YAML are strings like `30s`, `5m`, `24h`; here they are milliseconds.
 */

export interface ExporterConfig {
  server: ServerConfig;
  ingest: IngestConfig;
  state: StateConfig;
  sli: SliConfig;
  metrics: MetricsConfig;
}

export interface ServerConfig {
  /** Interface to bind. */
  host: string;
  /** OTLP/HTTP ingest (`/v1/metrics`, `/v1/logs`). */
  otlpPort: number;
  /** `/metrics`, `/healthz`, `/readyz`. */
  metricsPort: number;
  /** Twin API (and, later, commands). */
  apiPort: number;
}

export interface IngestConfig {
  /** Largest accepted request body, after decompression; larger gets 413. */
  maxBodyBytes: number;
  /** Requests being decoded or applied at once; more get 429 with Retry-After. */
  maxConcurrentRequests: number;
  /** Seconds a client is told to wait (Retry-After) when the exporter is overloaded. */
  retryAfterSeconds: number;
  kafka: KafkaIngestConfig;
}

export interface KafkaIngestConfig {
  enabled: boolean;
  brokers: string[];
  clientId: string;
  groupId: string;
  topics: KafkaTopicConfig[];
}

export interface KafkaTopicConfig {
  name: string;
  signal: 'metrics' | 'logs';
  encoding: 'otlp_proto' | 'otlp_json';
}

export interface StateConfig {
  /** Hard cap on assets kept; beyond it the least recently seen asset is evicted. */
  maxAssets: number;
  /** Properties kept per asset; points for further properties are rejected (over_limit). */
  maxPropertiesPerAsset: number;
  /** Predictions waiting for their actual value, per asset and property; the oldest drop first. */
  maxPendingPredictions: number;
  /** Assets not seen for this long are evicted. */
  retentionMs: number;
  /** Points kept per property for the history API. */
  historyLength: number;
  snapshot: SnapshotConfig;
}

export interface SnapshotConfig {
  /** SQLite file; ':memory:' or empty disables persistence across restarts. */
  path: string;
  intervalMs: number;
}

export interface SliConfig {
  /** Sync latency SLO thresholds in seconds: each is an exact histogram bucket bound. */
  syncLatencyThresholdsSeconds: number[];
  freshness: FreshnessConfig;
  divergence: DivergenceConfig;
  prediction: PredictionConfig;
  /** Convergence (desired → reported version) SLO thresholds in seconds: exact bucket bounds. */
  convergenceThresholdsSeconds: number[];
  /** Model versions vetted for production; predictions from others count against coverage. */
  vettedModels: { name: string; version: string }[];
  /** How often freshness and divergence are evaluated. */
  evaluationIntervalMs: number;
}

export interface FreshnessConfig {
  /** An asset whose newest physical point is older than this is stale. */
  staleAfterMs: number;
  /** Per asset class overrides. */
  classes: Record<string, { staleAfterMs: number }>;
}

export type ToleranceRule =
  | { kind: 'absolute'; epsilon: number }
  | { kind: 'relative'; epsilon: number }
  | { kind: 'exact' }
  | { kind: 'hash' };

export interface DivergenceRule {
  /** Asset class the rule applies to; absent: every class. */
  assetClass?: string;
  property: string;
  tolerance: ToleranceRule;
  /** Overrides the default grace period. */
  graceMs?: number;
}

export interface DivergenceConfig {
  /** A difference must last this long before the asset counts as diverged (transients are not). */
  graceMs: number;
  /** Used for numbers without a rule; strings and booleans without a rule compare exactly. */
  defaultTolerance: ToleranceRule;
  rules: DivergenceRule[];
}

export type PredictionRule =
  | {
      kind: 'regression';
      property: string;
      /** The prediction is "within tolerance" (good) when |error| ≤ this. */
      tolerance: { kind: 'absolute' | 'relative'; epsilon: number };
      model?: string;
    }
  | {
      kind: 'classification';
      property: string;
      /** The value that counts as the positive class. */
      positive: string | boolean | number;
      model?: string;
    };

export interface PredictionConfig {
  /** How far (ms) an actual may be from a prediction's target time and still score it. */
  matchWindowMs: number;
  /** Predictions never matched within this long after their target time expire unscored. */
  expireAfterMs: number;
  rules: PredictionRule[];
}

export interface MetricsConfig {
  perAsset: {
    /** Per-asset series (an asset_id label) for a few assets: off by default. */
    enabled: boolean;
    /** Hard cap on assets with their own series. */
    maxAssets: number;
  };
}
