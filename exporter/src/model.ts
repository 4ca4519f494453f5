/**
 * The exporter's domain vocabulary, shared by ingest, twin state, the SLI engine and the API.
 * Names follow the telemetry conventions in the architecture page.
 */

/** Where a value comes from: measured on the asset, the twin's own state, or a model's prediction. */
export type Source = 'physical' | 'twin' | 'model';
export const sources: readonly Source[] = ['physical', 'twin', 'model'];

/**
 * A property value. Numbers come from gauges, sums and numeric log bodies; strings and booleans
 * are enum-like states; documents (kvlist or array bodies) arrive as their canonical JSON text
 * (keys sorted), so equal documents are equal strings and can be compared by hash.
 */
export type PropertyValue = number | string | boolean;

/** One observation, normalized from an OTLP data point or log record. */
export interface TwinPoint {
  assetId: string;
  assetClass: string;
  site: string | undefined;
  source: Source;
  property: string;
  value: PropertyValue;
  /** Source observation time, milliseconds since the epoch (fractional: sub-ms kept). */
  sourceTimeMs: number;
  /** On predictions (source = model): the model that made it. */
  model: ModelRef | undefined;
  /** On predictions: the time the predicted value is for. */
  targetTimeMs: number | undefined;
  /** `twin.desired.version`, when the point carries one. */
  desiredVersion: number | undefined;
  /** `twin.reported.version`, when the point carries one. */
  reportedVersion: number | undefined;
}

export interface ModelRef {
  name: string;
  version: string;
}

/** Why a data point or log record was not accepted: stable codes, used as a metric label. */
export type RejectReason =
  | 'missing_asset_id'
  | 'missing_asset_class'
  | 'unknown_source'
  | 'missing_property'
  | 'bad_timestamp'
  | 'unsupported_value'
  | 'unsupported_metric_type'
  | 'missing_model'
  | 'bad_attribute'
  | 'over_limit';

export const rejectReasons: readonly RejectReason[] = [
  'missing_asset_id',
  'missing_asset_class',
  'unknown_source',
  'missing_property',
  'bad_timestamp',
  'unsupported_value',
  'unsupported_metric_type',
  'missing_model',
  'bad_attribute',
  'over_limit',
];

/** The outcome of normalizing one OTLP request (or one Kafka message). */
export interface NormalizedBatch {
  points: TwinPoint[];
  /** Rejected data points / log records, by reason. */
  rejected: Partial<Record<RejectReason, number>>;
  /** Total rejected. */
  rejectedCount: number;
  /** A human message about the first few rejections (for OTLP partial_success.error_message). */
  errorMessage: string;
}

/** Which OTLP signal a body carries. */
export type Signal = 'metrics' | 'logs';

/** The wire encodings the exporter accepts: OTLP/HTTP content types and the collector's Kafka encodings. */
export type Encoding = 'otlp_proto' | 'otlp_json';

/** A principal's role: what the configuration grants and command authorization checks. */
export type Role = 'viewer' | 'operator' | 'engineer' | 'admin';
export const roles: readonly Role[] = ['viewer', 'operator', 'engineer', 'admin'];
