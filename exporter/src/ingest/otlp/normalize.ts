/**
 * Decoded OTLP requests into TwinPoints, following the telemetry conventions of the architecture
 * page. A point that breaks them is counted by reason and skipped; the rest of the request is kept.
 * Hot path: resource attributes are resolved once per resource, and nothing but the TwinPoint (and,
 * on predictions, its ModelRef) is allocated per point.
 */
import type {
  Encoding,
  ModelRef,
  NormalizedBatch,
  PropertyValue,
  RejectReason,
  Signal,
  Source,
  TwinPoint,
} from '../../model.js';
import { checkRequestBounds, tooManyPoints, type RequestBounds } from './bounds.js';
import { decodeRequest } from './decode.js';
import type {
  AnyValue,
  Int64,
  KeyValue,
  OtlpLogsRequest,
  OtlpMetricsRequest,
  Resource,
  ResourceLogs,
  ResourceMetrics,
} from './types.js';

/**
 * The one call the OTLP/HTTP and Kafka adapters make. Throws OtlpDecodeError only for a malformed
 * body; points that break the conventions are counted in the batch instead.
 */
export function decodeAndNormalize(
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

// ---- resources and attributes ----

/** Longest accepted asset id, class, site, property, model name or version. */
const maxLength = 256;

/** The twin attributes of a resource, resolved once for all its points. */
interface TwinResource {
  assetId: string;
  assetClass: string;
  site: string | undefined;
  /** `twin.source` of the resource: the source of points that do not name their own. */
  source: AnyValue | undefined;
  /** Why every point of this resource is rejected. */
  rejected: RejectReason | undefined;
}

function twinResource(resource: Resource | null | undefined): TwinResource {
  let assetId: AnyValue | undefined;
  let assetClass: AnyValue | undefined;
  let site: AnyValue | undefined;
  let source: AnyValue | undefined;
  for (const { key, value } of resource?.attributes ?? []) {
    if (key === 'twin.asset.id') assetId = value ?? undefined;
    else if (key === 'twin.asset.class') assetClass = value ?? undefined;
    else if (key === 'twin.site') site = value ?? undefined;
    else if (key === 'twin.source') source = value ?? undefined;
  }
  const id = stringAttribute(assetId);
  const assetClassName = stringAttribute(assetClass);
  const siteName = stringAttribute(site);
  const rejected: RejectReason | undefined =
    id === undefined
      ? 'missing_asset_id'
      : id === null
        ? 'bad_attribute'
        : assetClassName === undefined
          ? 'missing_asset_class'
          : assetClassName === null || siteName === null
            ? 'bad_attribute'
            : undefined;
  return {
    assetId: id ?? '',
    assetClass: assetClassName ?? '',
    site: siteName ?? undefined,
    source,
    rejected,
  };
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

/** The twin attributes of one data point or log record. One instance is reused for every point. */
class PointAttributes {
  source: AnyValue | undefined;
  property: AnyValue | undefined;
  modelName: AnyValue | undefined;
  modelVersion: AnyValue | undefined;
  targetTime: AnyValue | undefined;
  desiredVersion: AnyValue | undefined;
  reportedVersion: AnyValue | undefined;

  read(attributes: KeyValue[]): void {
    this.source = this.property = this.modelName = this.modelVersion = undefined;
    this.targetTime = this.desiredVersion = this.reportedVersion = undefined;
    for (let i = 0; i < attributes.length; i++) {
      const { key, value } = attributes[i]!;
      switch (key) {
        case 'twin.source':
          this.source = value ?? undefined;
          break;
        case 'twin.property':
          this.property = value ?? undefined;
          break;
        case 'twin.model.name':
          this.modelName = value ?? undefined;
          break;
        case 'twin.model.version':
          this.modelVersion = value ?? undefined;
          break;
        case 'twin.prediction.target_time_unix_nano':
          this.targetTime = value ?? undefined;
          break;
        case 'twin.desired.version':
          this.desiredVersion = value ?? undefined;
          break;
        case 'twin.reported.version':
          this.reportedVersion = value ?? undefined;
          break;
      }
    }
  }
}

/**
 * The TwinPoint, or why there is none. Checks run in a fixed order, so a point breaking several
 * conventions is always counted under the same reason.
 * @param defaultProperty the metric name (bounded); undefined for logs
 * @param value undefined when missing or unsupported
 * @param timeMs NaN when not an integer
 */
function twinPoint(
  resource: TwinResource,
  attributes: PointAttributes,
  defaultProperty: string | null | undefined,
  value: PropertyValue | undefined,
  timeMs: number,
): TwinPoint | RejectReason {
  const source = twinSource(attributes.source ?? resource.source);
  if (source === undefined) return 'unknown_source';
  const named = stringAttribute(attributes.property);
  const property = named === undefined ? defaultProperty : named;
  if (property === undefined) return 'missing_property';
  if (property === null) return 'bad_attribute';
  if (!validTime(timeMs)) return 'bad_timestamp';
  if (value === undefined) return 'unsupported_value';

  let model: ModelRef | undefined;
  let targetTimeMs: number | undefined;
  if (source === 'model') {
    const name = stringAttribute(attributes.modelName);
    const version = modelVersion(attributes.modelVersion);
    if (name === undefined || version === undefined) return 'missing_model';
    if (name === null || version === null) return 'bad_attribute';
    model = { name, version };
    targetTimeMs = attributes.targetTime ? targetTime(attributes.targetTime) : timeMs;
    if (!validTime(targetTimeMs)) return 'bad_timestamp';
  }
  const desiredVersion = attributes.desiredVersion && versionNumber(attributes.desiredVersion);
  const reportedVersion = attributes.reportedVersion && versionNumber(attributes.reportedVersion);
  if (desiredVersion === -1 || reportedVersion === -1) return 'bad_attribute';

  return {
    assetId: resource.assetId,
    assetClass: resource.assetClass,
    site: resource.site,
    source,
    property,
    value,
    sourceTimeMs: timeMs,
    model,
    targetTimeMs,
    desiredVersion,
    reportedVersion,
  };
}

function twinSource(value: AnyValue | undefined): Source | undefined {
  if (value?.value !== 'stringValue') return undefined;
  const source = value.stringValue;
  return source === 'physical' || source === 'twin' || source === 'model' ? source : undefined;
}

/**
 * A bounded string attribute: undefined when absent or empty, null when not a string, too long,
 * holding a control character (C0, DEL, C1), or a lone UTF-16 surrogate (OTLP/JSON can escape
 * one): names become label values, log lines and API paths, where a NUL, CR or TAB hides or
 * forges what a reader sees, and a lone surrogate is no text at all.
 */
function stringAttribute(value: AnyValue | undefined): string | null | undefined {
  if (value?.value === undefined) return undefined;
  return value.value === 'stringValue' ? boundedString(value.stringValue!) : null;
}

function boundedString(text: string): string | null | undefined {
  return text === '' ? undefined : text.length > maxLength || notAName.test(text) ? null : text;
}

const notAName =
  // eslint-disable-next-line no-control-regex -- control characters are what it finds
  /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Model versions are strings by convention; an integer version is accepted as its decimal text. */
function modelVersion(value: AnyValue | undefined): string | null | undefined {
  if (value?.value === 'intValue') return exactInteger(value.intValue!) ?? null;
  return stringAttribute(value);
}

/** A state version: a non-negative integer, or -1 when it is not one. */
function versionNumber(value: AnyValue): number {
  const version =
    value.value === 'intValue'
      ? int64ToNumber(value.intValue!)
      : value.value === 'stringValue' && decimalDigits.test(value.stringValue!)
        ? Number(value.stringValue)
        : NaN;
  return Number.isSafeInteger(version) && version >= 0 ? version : -1;
}

// ---- values ----

function finite(value: number): number | undefined {
  return Number.isFinite(value) ? value : undefined;
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

// ---- 64-bit integers and time ----

const decimalDigits = /^[0-9]+$/;
const signedDigits = /^-?[0-9]+$/;
const twoTo32 = 4294967296;

/** A 64-bit integer as a JS number (exact up to 2^53); NaN when it is not an integer. */
function int64ToNumber(value: Int64): number {
  if (typeof value === 'object') {
    const high = value.unsigned ? value.high >>> 0 : value.high | 0;
    return high * twoTo32 + (value.low >>> 0);
  }
  if (typeof value === 'number') return Number.isInteger(value) ? value : NaN;
  return signedDigits.test(value) ? Number(value) : NaN;
}

/** A 64-bit integer's exact decimal text; undefined when it is not an integer. */
function exactInteger(value: Int64): string | undefined {
  if (typeof value === 'object') {
    const bits = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
    return (value.unsigned ? bits : BigInt.asIntN(64, bits)).toString();
  }
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : undefined;
  return signedDigits.test(value) ? BigInt(value).toString() : undefined;
}

/** Timestamps outside [2000, 2200] are mistakes (seconds sent as nanoseconds, unset clocks). */
const minTimeMs = Date.UTC(2000, 0, 1);
const endTimeMs = Date.UTC(2201, 0, 1);

function validTime(ms: number): boolean {
  return ms >= minTimeMs && ms < endTimeMs;
}

/**
 * Nanoseconds since the epoch as milliseconds, sub-millisecond kept as a fraction: the result is
 * the double nearest the exact quotient. NaN when not a non-negative integer.
 */
export function nanosToMs(nanos: Int64): number {
  if (typeof nanos === 'object') {
    if (!nanos.unsigned && nanos.high < 0) return NaN;
    const high = nanos.high >>> 0;
    const low = nanos.low >>> 0;
    // 2^32 ns = 4294 ms + 967296 ns: every intermediate below is an exact double, and the one
    // rounding (adding the sub-millisecond fraction) gives the nearest double to the true value.
    const rest = high * 967296 + low;
    const subMs = rest % 1e6;
    return high * 4294 + (rest - subMs) / 1e6 + subMs / 1e6;
  }
  if (typeof nanos === 'number') {
    if (!Number.isInteger(nanos) || nanos < 0) return NaN;
    const subMs = nanos % 1e6;
    return (nanos - subMs) / 1e6 + subMs / 1e6;
  }
  if (!decimalDigits.test(nanos)) return NaN;
  if (nanos.length <= 15) return nanosToMs(Number(nanos));
  // Too many digits for a double: split off the sub-millisecond digits, both parts exact.
  return Number(nanos.slice(0, -6)) + Number(nanos.slice(-6)) / 1e6;
}

/** `twin.prediction.target_time_unix_nano`: an int, or a decimal string. NaN otherwise. */
function targetTime(value: AnyValue): number {
  if (value.value === 'intValue') return nanosToMs(value.intValue!);
  if (value.value === 'stringValue') return nanosToMs(value.stringValue!);
  return NaN;
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
