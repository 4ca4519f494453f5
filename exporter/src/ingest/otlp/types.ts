/**
 * Decoded OTLP requests, shaped as protobufjs decodes `exporter/proto/otlp.proto` (camelCase field
 * names, a oneof's name holding which member is set). The OTLP/JSON reader builds the same shapes,
 * so the normalizer has one input type. Only the fields the exporter reads are listed; protobufjs
 * objects carry the rest too.
 */

/** A 64-bit integer as protobufjs returns it (a long.js Long); the Long's methods are not relied on. */
export interface LongBits {
  low: number;
  high: number;
  unsigned: boolean;
}

/**
 * A 64-bit integer field: a Long from protobuf; from OTLP/JSON the string or number as sent (a
 * decimal string keeps all 64 bits exactly; a JSON number above 2^53 was already rounded). JSON
 * values are not checked to be integers: the normalizer rejects the points whose are not.
 */
export type Int64 = LongBits | number | string;

export interface KeyValue {
  key: string;
  value?: AnyValue | null;
}

export interface AnyValue {
  /** Which member of the `value` oneof is set; undefined for an empty AnyValue. */
  value?: AnyValueKind;
  stringValue?: string;
  boolValue?: boolean;
  intValue?: Int64;
  doubleValue?: number;
  arrayValue?: { values: AnyValue[] } | null;
  kvlistValue?: { values: KeyValue[] } | null;
  bytesValue?: Uint8Array;
}

export type AnyValueKind =
  | 'stringValue'
  | 'boolValue'
  | 'intValue'
  | 'doubleValue'
  | 'arrayValue'
  | 'kvlistValue'
  | 'bytesValue';

export interface Resource {
  attributes: KeyValue[];
}

export interface InstrumentationScope {
  name: string;
  version: string;
  attributes: KeyValue[];
}

export interface OtlpMetricsRequest {
  resourceMetrics: ResourceMetrics[];
}

export interface ResourceMetrics {
  resource?: Resource | null;
  scopeMetrics: ScopeMetrics[];
}

export interface ScopeMetrics {
  scope?: InstrumentationScope | null;
  metrics: Metric[];
}

export interface Metric {
  name: string;
  /** Which member of the `data` oneof is set; undefined when none is (or a future kind is). */
  data?: MetricKind;
  gauge?: { dataPoints: NumberDataPoint[] } | null;
  sum?: { dataPoints: NumberDataPoint[] } | null;
  histogram?: { dataPoints: UnsupportedDataPoint[] } | null;
  exponentialHistogram?: { dataPoints: UnsupportedDataPoint[] } | null;
  summary?: { dataPoints: UnsupportedDataPoint[] } | null;
}

/** The members of `Metric.data`, as protobufjs and OTLP/JSON name them. */
export type MetricKind = 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary';
export const metricKinds: readonly MetricKind[] = [
  'gauge',
  'sum',
  'histogram',
  'exponentialHistogram',
  'summary',
];

export interface NumberDataPoint {
  attributes: KeyValue[];
  timeUnixNano: Int64;
  /** Which member of the `value` oneof is set. protobufjs gives unset members a default, so check this. */
  value?: 'asDouble' | 'asInt';
  asDouble?: number;
  asInt?: Int64;
}

/**
 * A point of a kind the exporter does not take (histogram, exponential histogram, summary): read
 * only to be counted as rejected, and its attributes checked like every point's.
 */
export interface UnsupportedDataPoint {
  attributes: KeyValue[];
  timeUnixNano: Int64;
}

export interface OtlpLogsRequest {
  resourceLogs: ResourceLogs[];
}

export interface ResourceLogs {
  resource?: Resource | null;
  scopeLogs: ScopeLogs[];
}

export interface ScopeLogs {
  scope?: InstrumentationScope | null;
  logRecords: LogRecord[];
}

export interface LogRecord {
  timeUnixNano: Int64;
  observedTimeUnixNano: Int64;
  body?: AnyValue | null;
  attributes: KeyValue[];
}

/** A body the exporter cannot decode: its message names what is wrong and, when known, where. */
export class OtlpDecodeError extends Error {
  override name = 'OtlpDecodeError';
}

/** Deepest AnyValue nesting accepted (an attribute value or log body is level 1). */
export const maxAnyValueDepth = 32;

export const tooDeep = `nesting deeper than ${maxAnyValueDepth} levels`;
