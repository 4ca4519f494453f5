/**
 * Decoded OTLP requests into TwinPoints, following the telemetry conventions of the architecture
 * page. A point that breaks them is counted by reason and skipped; the rest of the request is kept.
 * Hot path: resource attributes are resolved once per resource, and nothing but the TwinPoint (and,
 * on predictions, its ModelRef) is allocated per point.
 */
import type {
  Encoding,
  NormalizedBatch,
  PropertyValue,
  RejectReason,
  Signal,
  TwinPoint,
} from '../../model.js';
import { checkRequestBounds, tooManyPoints, type RequestBounds } from './bounds.js';
import {
  PointAttributes,
  boundedString,
  exactInteger,
  finite,
  int64ToNumber,
  nanosToMs,
  twinPoint,
  twinResource,
} from './conventions.js';
import { decodeRequest } from './decode.js';
import { readMetricsJsonDirect } from './direct-json.js';
import { readMetricsDirect } from './direct-metrics.js';
import type {
  AnyValue,
  OtlpLogsRequest,
  OtlpMetricsRequest,
  ResourceLogs,
  ResourceMetrics,
} from './types.js';

/**
 * The one call the OTLP/HTTP and Kafka adapters make. Throws OtlpDecodeError only for a malformed
 * body; points that break the conventions are counted in the batch instead. Metrics are read
 * directly from their bytes when they can be (direct-metrics.ts for protobuf, direct-json.ts for
 * JSON), which answers as the general path would; everything else takes the general path.
 */
export function decodeAndNormalize(
  signal: Signal,
  encoding: Encoding,
  body: Uint8Array,
  bounds?: RequestBounds,
): NormalizedBatch {
  if (signal === 'metrics') {
    const buffer = Buffer.isBuffer(body)
      ? body
      : Buffer.from(body.buffer, body.byteOffset, body.length);
    const direct =
      encoding === 'otlp_proto'
        ? readMetricsDirect(buffer, bounds)
        : readMetricsJsonDirect(buffer, bounds);
    if (direct) return direct;
  }
  return decodeAndNormalizeGeneral(signal, encoding, body, bounds);
}

/** protobufjs (or the JSON reader), then the normalizer: every request, however unusual. */
export function decodeAndNormalizeGeneral(
  signal: Signal,
  encoding: Encoding,
  body: Uint8Array,
  bounds?: RequestBounds,
): NormalizedBatch {
  if (!bounds) {
    return signal === 'metrics'
      ? normalizeMetrics(decodeRequest('metrics', encoding, body))
      : normalizeLogs(decodeRequest('logs', encoding, body));
  }
  // Counted on the bytes before anything is built; JSON's points once its (bounded) objects are.
  checkRequestBounds(signal, encoding, body, bounds);
  if (signal === 'metrics') {
    const request = decodeRequest('metrics', encoding, body);
    if (request.resourceMetrics.reduce((n, r) => n + countDataPoints(r), 0) > bounds.maxPoints) {
      throw tooManyPoints(bounds, signal);
    }
    return normalizeMetrics(request);
  }
  const request = decodeRequest('logs', encoding, body);
  if (request.resourceLogs.reduce((n, r) => n + countLogRecords(r), 0) > bounds.maxPoints) {
    throw tooManyPoints(bounds, signal);
  }
  return normalizeLogs(request);
}

export function normalizeRequest(
  signal: Signal,
  request: OtlpMetricsRequest | OtlpLogsRequest,
): NormalizedBatch {
  return signal === 'metrics'
    ? normalizeMetrics(request as OtlpMetricsRequest)
    : normalizeLogs(request as OtlpLogsRequest);
}

/**
 * Gauge and Sum number points. Points of every other kind (histogram, exponential histogram,
 * summary) are rejected as unsupported_metric_type; a metric with no data has no points.
 */
export function normalizeMetrics(request: OtlpMetricsRequest): NormalizedBatch {
  const resources = request.resourceMetrics;
  const rejections = new Rejections('point', (r, s, m, p) => {
    if (s < 0) return `resourceMetrics[${r}]`;
    const kind = resources[r]?.scopeMetrics[s]?.metrics[m]?.data;
    return `resourceMetrics[${r}].scopeMetrics[${s}].metrics[${m}].${kind}.dataPoints[${p}]`;
  });
  const points: TwinPoint[] = [];
  const attributes = new PointAttributes();
  for (let r = 0; r < resources.length; r++) {
    const resourceMetrics = resources[r]!;
    const resource = twinResource(resourceMetrics.resource);
    if (resource.rejected) {
      rejections.add(resource.rejected, countDataPoints(resourceMetrics), r);
      continue;
    }
    const scopes = resourceMetrics.scopeMetrics;
    for (let s = 0; s < scopes.length; s++) {
      const metrics = scopes[s]!.metrics;
      for (let m = 0; m < metrics.length; m++) {
        const metric = metrics[m]!;
        const kind = metric.data;
        if (kind === undefined) continue; // no data, or a kind newer than this proto
        if (kind !== 'gauge' && kind !== 'sum') {
          const rejected = metric[kind]?.dataPoints.length ?? 0;
          rejections.add('unsupported_metric_type', rejected, r, s, m, 0);
          continue;
        }
        const series = metric[kind];
        if (!series) continue;
        const metricName = boundedString(metric.name);
        const dataPoints = series.dataPoints;
        for (let p = 0; p < dataPoints.length; p++) {
          const point = dataPoints[p]!;
          attributes.read(point.attributes);
          // protobufjs gives the unset oneof member a default value: only `value` says which is set.
          const value =
            point.value === 'asDouble'
              ? finite(point.asDouble!)
              : point.value === 'asInt'
                ? finite(int64ToNumber(point.asInt!))
                : undefined;
          const twin = twinPoint(
            resource,
            attributes,
            metricName,
            value,
            nanosToMs(point.timeUnixNano),
          );
          if (typeof twin === 'string') rejections.add(twin, 1, r, s, m, p);
          else points.push(twin);
        }
      }
    }
  }
  return rejections.batch(points);
}

/** Log records: the body is the value, `twin.property` names the property. */
export function normalizeLogs(request: OtlpLogsRequest): NormalizedBatch {
  const resources = request.resourceLogs;
  const rejections = new Rejections('log record', (r, s, l) =>
    s < 0 ? `resourceLogs[${r}]` : `resourceLogs[${r}].scopeLogs[${s}].logRecords[${l}]`,
  );
  const points: TwinPoint[] = [];
  const attributes = new PointAttributes();
  for (let r = 0; r < resources.length; r++) {
    const resourceLogs = resources[r]!;
    const resource = twinResource(resourceLogs.resource);
    if (resource.rejected) {
      let records = 0;
      for (const scopeLogs of resourceLogs.scopeLogs) records += scopeLogs.logRecords.length;
      rejections.add(resource.rejected, records, r);
      continue;
    }
    const scopes = resourceLogs.scopeLogs;
    for (let s = 0; s < scopes.length; s++) {
      const records = scopes[s]!.logRecords;
      for (let l = 0; l < records.length; l++) {
        const record = records[l]!;
        attributes.read(record.attributes);
        const time = nanosToMs(record.timeUnixNano);
        const timeMs = time === 0 ? nanosToMs(record.observedTimeUnixNano) : time;
        const twin = twinPoint(resource, attributes, undefined, bodyValue(record.body), timeMs);
        if (typeof twin === 'string') rejections.add(twin, 1, r, s, l);
        else points.push(twin);
      }
    }
  }
  return rejections.batch(points);
}

function countDataPoints(resourceMetrics: ResourceMetrics): number {
  let count = 0;
  for (const { metrics } of resourceMetrics.scopeMetrics) {
    for (const metric of metrics) {
      if (metric.data) count += metric[metric.data]?.dataPoints.length ?? 0;
    }
  }
  return count;
}

function countLogRecords(resourceLogs: ResourceLogs): number {
  let count = 0;
  for (const { logRecords } of resourceLogs.scopeLogs) count += logRecords.length;
  return count;
}

/** A log body as a property value; undefined for bytes and empty bodies. */
function bodyValue(body: AnyValue | null | undefined): PropertyValue | undefined {
  switch (body?.value) {
    case 'stringValue':
      return body.stringValue || undefined;
    case 'boolValue':
      return body.boolValue!;
    case 'intValue':
      return finite(int64ToNumber(body.intValue!));
    case 'doubleValue':
      return finite(body.doubleValue!);
    case 'arrayValue':
    case 'kvlistValue':
      return documentJson(body);
    default:
      return undefined;
  }
}

/**
 * An OTLP document (AnyValue) as JSON text with object keys sorted, so equal documents are equal
 * strings. Integers keep all their digits; non-finite doubles and bytes are written as proto3 JSON
 * writes them. Undefined when the document holds an integer that is not one (possible from
 * OTLP/JSON). Depth is bounded by the decoder.
 */
export function documentJson(value: AnyValue | null | undefined): string | undefined {
  switch (value?.value) {
    case 'stringValue':
      return JSON.stringify(value.stringValue);
    case 'boolValue':
      return value.boolValue ? 'true' : 'false';
    case 'intValue':
      return exactInteger(value.intValue!);
    case 'doubleValue': {
      const double = value.doubleValue!;
      return Number.isFinite(double) ? String(double) : `"${double}"`;
    }
    case 'bytesValue':
      return `"${Buffer.from(value.bytesValue!).toString('base64')}"`;
    case 'arrayValue': {
      const items: string[] = [];
      for (const item of value.arrayValue?.values ?? []) {
        const json = documentJson(item);
        if (json === undefined) return undefined;
        items.push(json);
      }
      return `[${items.join(',')}]`;
    }
    case 'kvlistValue': {
      const members = new Map<string, string>(); // a repeated key: the last wins, as in JSON.parse
      for (const { key, value: member } of value.kvlistValue?.values ?? []) {
        const json = documentJson(member);
        if (json === undefined) return undefined;
        members.set(key, json);
      }
      const keys = [...members.keys()].sort();
      return `{${keys.map((key) => `${JSON.stringify(key)}:${members.get(key)}`).join(',')}}`;
    }
    default:
      return 'null';
  }
}

// ---- rejections ----

type PathOf = (resource: number, scope: number, item: number, point: number) => string;

/** Rejected points by reason, with the path of the first of each for the message. */
class Rejections {
  private readonly counts: Partial<Record<RejectReason, number>> = {};
  private readonly firstPaths: [RejectReason, string][] = [];
  private total = 0;

  constructor(
    private readonly noun: string,
    private readonly pathOf: PathOf,
  ) {}

  /** `scope` < 0: the whole resource was rejected. */
  add(
    reason: RejectReason,
    count: number,
    resource: number,
    scope = -1,
    item = 0,
    point = 0,
  ): void {
    if (count === 0) return;
    const before = this.counts[reason];
    if (before === undefined)
      this.firstPaths.push([reason, this.pathOf(resource, scope, item, point)]);
    this.counts[reason] = (before ?? 0) + count;
    this.total += count;
  }

  batch(points: TwinPoint[]): NormalizedBatch {
    return {
      points,
      rejected: this.counts,
      rejectedCount: this.total,
      errorMessage: this.message(),
    };
  }

  /**
   * E.g. `3 points rejected: 2 missing_asset_id (resourceMetrics[1]), 1 bad_timestamp (…)`: the
   * most frequent reasons first (ties in order of appearance), each with where it first occurred.
   */
  private message(): string {
    if (this.total === 0) return '';
    const shown = 3;
    const count = (reason: RejectReason) => this.counts[reason] ?? 0;
    const parts = [...this.firstPaths]
      .sort(([a], [b]) => count(b) - count(a))
      .slice(0, shown)
      .map(([reason, path]) => `${count(reason)} ${reason} (${path})`);
    const more = this.firstPaths.length - shown;
    if (more > 0) parts.push(`and ${more} more reason${more === 1 ? '' : 's'}`);
    return `${this.total} ${this.noun}${this.total === 1 ? '' : 's'} rejected: ${parts.join(', ')}`;
  }
}
