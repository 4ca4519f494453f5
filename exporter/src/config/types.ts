import type { CommandSpec, Risk, ToleranceRule } from '../../../contracts/api.js';

// The catalog and tolerance shapes are published as they are configured: one definition.
export type { CommandSpec, SafetyEnvelope, ToleranceRule } from '../../../contracts/api.js';
import type { Role } from '../model.js';

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
  log: LogConfig;
  tracing: TracingConfig;
  commands: CommandsConfig;
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
  /**
   * JSON values or protobuf messages in one OTLP request, counted on its bytes before anything is
   * decoded: a decoder spends 100–200 bytes of heap on each, so this bounds a request's memory
   * whatever its encoding. More gets 413 (a Kafka message over it is counted and skipped).
   */
  maxElementsPerRequest: number;
  /** Data points or log records in one OTLP request; more gets 413. */
  maxPointsPerRequest: number;
  /** Seconds a client is told to wait (Retry-After) when the exporter is overloaded. */
  retryAfterSeconds: number;
  /**
   * A byte-identical retry of an OTLP request applied within `windowMs` (and among the last
   * `maxRequests`) is answered as the first was and not applied again.
   */
  retries: { windowMs: number; maxRequests: number };
  /** OTLP/HTTP connection limits: how long a client may take, how many connections it may hold. */
  http: IngestHttpConfig;
  /** Bearer tokens an OTLP/HTTP client must send (the collector's `bearertokenauth`). */
  auth: IngestAuthConfig;
  /** HTTPS for OTLP/HTTP, mutual when a client CA is given. Off: plain HTTP. */
  tls: IngestTlsConfig;
  kafka: KafkaIngestConfig;
}

export interface IngestHttpConfig {
  /** Longest a client may take to send a request's headers (Node's `headersTimeout`). */
  headersTimeoutMs: number;
  /** Longest a client may take to send a whole request, headers and body (Node's `requestTimeout`). */
  requestTimeoutMs: number;
  /** After `minRateGraceMs`, a body arriving slower than this on average gets 408. */
  minBytesPerSecond: number;
  minRateGraceMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Open connections in all; more are closed at accept (Node's `maxConnections`). */
  maxConnections: number;
  /** Open connections per client address; more are closed at accept. */
  maxConnectionsPerClient: number;
  /**
   * Ingest slots (of `maxConcurrentRequests`) one client address may hold at once; more get 429.
   * A client that reconnects as fast as its slow bodies are cut off still leaves the rest free.
   */
  maxRequestsPerClient: number;
}

export interface IngestAuthConfig {
  enabled: boolean;
  /** SHA-256 digests (hex) of the accepted tokens; TWINOPS_INGEST_TOKEN adds one. */
  tokens: { sha256: string }[];
}

export interface IngestTlsConfig {
  enabled: boolean;
  /** Server certificate (chain) and key, PEM. */
  certFile?: string;
  keyFile?: string;
  /** CA of the client certificates: when set, clients must present one it signed. */
  clientCaFile?: string;
}

export interface KafkaIngestConfig {
  enabled: boolean;
  brokers: string[];
  clientId: string;
  groupId: string;
  /**
   * A replica silent this long leaves the group and its partitions move (how fast a killed
   * replica's partitions resume elsewhere, or a restarted one gets them back).
   */
  sessionTimeoutMs: number;
  topics: KafkaTopicConfig[];
  /** TLS to the brokers (also for the command topics); PEM files. Off: plaintext. */
  tls: KafkaTlsConfig;
  /** SASL authentication; the password comes only from TWINOPS_KAFKA_SASL_PASSWORD. */
  sasl: KafkaSaslConfig;
}

export interface KafkaTlsConfig {
  enabled: boolean;
  /** CA certificates to trust (else the system's). */
  caFile?: string;
  /** Client certificate and key, for brokers that require mutual TLS. */
  certFile?: string;
  keyFile?: string;
  /** Only for tests against self-made certificates: never turn off in production. */
  rejectUnauthorized: boolean;
}

export interface KafkaSaslConfig {
  enabled: boolean;
  mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  username: string;
  /** Set from the environment at start; never read from the file. */
  password?: string;
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
  /**
   * Asset classes and their properties declared beyond those the SLI rules and the command
   * catalog name: never quarantined. Absent (a checkpoint of an earlier version): none.
   */
  declared?: Record<string, string[]>;
  /**
   * Bounds of the undeclared names (see QuarantineConfig). The loader sets every one; one absent
   * (from a configuration an earlier version stored, a checkpoint's or a journal's): the default.
   */
  quarantine?: Partial<QuarantineConfig>;
}

/**
 * Undeclared asset classes and properties live in a bounded quarantine: when it is full, a new
 * name evicts the least recently seen one (with its state), so names sent once cannot lock out
 * real ones.
 */
export interface QuarantineConfig {
  /** Undeclared asset classes held at once. */
  maxClasses: number;
  /** Undeclared properties held per asset class. */
  maxPropertiesPerClass: number;
  /**
   * Undeclared properties held over all asset classes: what bounds the names a checkpoint stores
   * (maxClasses × maxPropertiesPerClass alone would allow half a million).
   */
  maxProperties: number;
}

export interface SnapshotConfig {
  /**
   * The checkpoint file (SQLite); the journal is the file beside it (`x.db` → `x-journal.db`).
   * ':memory:' or empty disables persistence across restarts.
   */
  path: string;
  /** How often a checkpoint writes what changed (and lets the journal be trimmed). */
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

/** pino's levels, most severe first; `silent` writes nothing. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** The exporter's own logs (JSON lines on stdout). */
export interface LogConfig {
  /** The least severe level written; TWINOPS_LOG_LEVEL overrides it. */
  level: LogLevel;
}

/** The exporter's own traces. Spans are always made (exemplars link to them); exported only with an endpoint. */
export interface TracingConfig {
  /** OTLP/HTTP protobuf, the full URL (`…/v1/traces`); empty: spans stay in the process. */
  otlpEndpoint: string;
  /** Fraction of new traces kept, 0–1; an incoming traceparent's sampled flag decides for its trace. */
  sampleRatio: number;
}

// ---- guarded commands ----

export interface CommandsConfig {
  enabled: boolean;
  /** SQLite file of the command ledger: audit log, command records, outbox. */
  ledgerPath: string;
  /**
   * How commands reach devices: `kafka` (twin.commands, acks on twin.commands.ack, on the ingest
   * brokers) or `simulated` (an in-process device that applies them to the twin: the demo).
   */
  devices: 'kafka' | 'simulated';
  auth: CommandAuthConfig;
  /** Roles allowed to submit commands of each risk level. */
  submit: Record<Risk, Role[]>;
  /** Roles allowed to approve commands of each risk level (never the submitter). */
  approve: Record<Risk, Role[]>;
  /** Roles allowed to engage or release the kill switch. */
  killSwitch: Role[];
  /** Roles allowed to retire assets (dark ones stay stale until retired). */
  retire: Role[];
  /** Risk levels that need a second person's approval. */
  approvalFor: Risk[];
  /** An approval must come within this long of the submission. */
  approvalWithinMs: number;
  /** Refuse when the asset's newest physical point is older than this (stale twin). */
  maxStateAgeMs: number;
  /** A dispatched command without an ack for this long times out. */
  ackTimeoutMs: number;
  /** After an ack, the reported state must match the commanded value within this long. */
  convergenceTimeoutMs: number;
  /** Per asset class: its commands by name. */
  catalog: Record<string, Record<string, CommandSpec>>;
}

export interface CommandAuthConfig {
  /**
   * Bearer tokens, stored as SHA-256 hex digests (never the tokens themselves), each with its user
   * and roles. Load them from a secret file or the environment; see the README.
   */
  tokens: { sha256: string; user: string; roles: Role[] }[];
  /** Grafana org role → twinops roles, used once the proxy secret is set. */
  grafanaRoleMap?: Record<string, Role[]>;
  /** How `X-Grafana-Id` is verified, used once the proxy secret is set; absent: it is ignored. */
  grafanaIdToken?: GrafanaIdTokenConfig;
  /**
   * Grafana's plugin-proxy identity headers (`X-Grafana-Context`, `X-Grafana-Id`, and
   * `X-Grafana-User` as a fallback), trusted only with the shared secret header.
   */
  grafanaProxy?: {
    /** The shared secret, from the environment (TWINOPS_PROXY_SECRET); absent: proxy auth off. */
    secret: string;
    /** Grafana org role → twinops roles. */
    roleMap: Record<string, Role[]>;
    /** Verification of `X-Grafana-Id`; absent: the header is ignored. */
    idToken?: GrafanaIdTokenConfig;
  };
}

/** `commands.auth.grafanaProxy.{jwksUrl, issuer, audience, jwksTimeout}`. */
export interface GrafanaIdTokenConfig {
  /** Grafana's JWKS, e.g. `http://grafana:3000/api/signing-keys/keys`. */
  jwksUrl: string;
  /** When set, the token's `iss` must equal it (Grafana signs with its `root_url`). */
  issuer?: string;
  /** When set, the token's `aud` must hold it (Grafana's is `org:<org id>`). */
  audience?: string;
  /** One fetch of the JWKS may take this long before the request is refused. */
  timeoutMs: number;
}
