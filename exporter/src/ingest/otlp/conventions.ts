/**
 * The telemetry conventions of the architecture page as pure functions: which resource and point
 * attributes make a TwinPoint, and why a point that breaks them is rejected. Both readers of OTLP
 * metrics use them: the general one (normalize.ts, over decoded messages) and the direct one
 * (direct-metrics.ts, over protobuf bytes), so they cannot disagree.
 */
import type { ModelRef, PropertyValue, RejectReason, Source, TwinPoint } from '../../model.js';
import type { AnyValue, Int64, KeyValue, Resource } from './types.js';

// ---- resources and attributes ----

/** Longest accepted asset id, class, site, property, model name or version. */
const maxLength = 256;

/** The twin attributes of a resource, resolved once for all its points. */
export interface TwinResource {
  assetId: string;
  assetClass: string;
  site: string | undefined;
  /** `twin.source` of the resource: the source of points that do not name their own. */
  source: AnyValue | undefined;
  /** Why every point of this resource is rejected. */
  rejected: RejectReason | undefined;
}

export function twinResource(resource: Resource | null | undefined): TwinResource {
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

/** The twin attributes of one data point or log record. One instance is reused for every point. */
export class PointAttributes {
  source: AnyValue | undefined;
  property: AnyValue | undefined;
  modelName: AnyValue | undefined;
  modelVersion: AnyValue | undefined;
  targetTime: AnyValue | undefined;
  /** `targetTime` in milliseconds when the reader already knows it (the direct reader does). */
  targetTimeMs: number | undefined;
  desiredVersion: AnyValue | undefined;
  reportedVersion: AnyValue | undefined;

  clear(): void {
    this.source = this.property = this.modelName = this.modelVersion = undefined;
    this.targetTime = this.desiredVersion = this.reportedVersion = undefined;
    this.targetTimeMs = undefined;
  }

  read(attributes: KeyValue[]): void {
    this.clear();
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
export function twinPoint(
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
    targetTimeMs = attributes.targetTime
      ? (attributes.targetTimeMs ?? targetTime(attributes.targetTime))
      : timeMs;
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

export function boundedString(text: string): string | null | undefined {
  // The same few names come point after point (often the very same string): judged once.
  for (let i = 0; i < judged.length; i++) if (judged[i] === text) return verdicts[i];
  const verdict =
    text === '' ? undefined : text.length > maxLength || notAName.test(text) ? null : text;
  judged[nextJudged] = text;
  verdicts[nextJudged] = verdict;
  nextJudged = (nextJudged + 1) % 8;
  return verdict;
}

const judged: string[] = [];
const verdicts: (string | null | undefined)[] = [];
let nextJudged = 0;

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

export function finite(value: number): number | undefined {
  return Number.isFinite(value) ? value : undefined;
}

// ---- 64-bit integers and time ----

const decimalDigits = /^[0-9]+$/;
const signedDigits = /^-?[0-9]+$/;
const twoTo32 = 4294967296;

/** A 64-bit integer as a JS number (exact up to 2^53); NaN when it is not an integer. */
export function int64ToNumber(value: Int64): number {
  if (typeof value === 'object') {
    const high = value.unsigned ? value.high >>> 0 : value.high | 0;
    return high * twoTo32 + (value.low >>> 0);
  }
  if (typeof value === 'number') return Number.isInteger(value) ? value : NaN;
  return signedDigits.test(value) ? Number(value) : NaN;
}

/** A 64-bit integer's exact decimal text; undefined when it is not an integer. */
export function exactInteger(value: Int64): string | undefined {
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
    return unsignedNanosToMs(nanos.high >>> 0, nanos.low >>> 0);
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

/** An unsigned 64-bit count of nanoseconds, as its two 32-bit halves, in milliseconds. */
export function unsignedNanosToMs(high: number, low: number): number {
  // 2^32 ns = 4294 ms + 967296 ns: every intermediate below is an exact double, and the one
  // rounding (adding the sub-millisecond fraction) gives the nearest double to the true value.
  const rest = high * 967296 + low;
  const subMs = rest % 1e6;
  return high * 4294 + (rest - subMs) / 1e6 + subMs / 1e6;
}

/** `twin.prediction.target_time_unix_nano`: an int, or a decimal string. NaN otherwise. */
function targetTime(value: AnyValue): number {
  if (value.value === 'intValue') return nanosToMs(value.intValue!);
  if (value.value === 'stringValue') return nanosToMs(value.stringValue!);
  return NaN;
}
