/**
 * OTLP/JSON into the decoded shapes of `types.ts`. Accepts the lowerCamelCase keys OTLP/JSON uses
 * and the proto field names (snake_case) the proto3 JSON mapping also allows; 64-bit integers as
 * decimal strings or numbers; `null` as an unset field. Unknown fields are ignored, as OTLP asks of
 * receivers. A field of the wrong JSON type is an OtlpDecodeError naming its path; a number field
 * holding a string that is not a number is a bad value, left for the normalizer to reject.
 */
import type { Signal } from '../../model.js';
import {
  OtlpDecodeError,
  maxAnyValueDepth,
  metricKinds,
  tooDeep,
  type AnyValue,
  type AnyValueKind,
  type InstrumentationScope,
  type Int64,
  type KeyValue,
  type LogRecord,
  type Metric,
  type NumberDataPoint,
  type OtlpLogsRequest,
  type OtlpMetricsRequest,
  type Resource,
  type ResourceLogs,
  type ResourceMetrics,
  type ScopeLogs,
  type ScopeMetrics,
  type UnsupportedDataPoint,
} from './types.js';

type Json = Record<string, unknown>;
/** Where the reader is, as keys and indexes; formatted only when something is wrong. */
type Path = (string | number)[];

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function readJsonRequest(
  signal: Signal,
  body: Uint8Array,
): OtlpMetricsRequest | OtlpLogsRequest {
  if (body.length === 0) {
    return signal === 'metrics' ? { resourceMetrics: [] } : { resourceLogs: [] };
  }
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new OtlpDecodeError('invalid JSON: not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new OtlpDecodeError(jsonSyntaxMessage(text));
  }
  const path: Path = [];
  const request = asObject(json, path);
  return signal === 'metrics'
    ? {
        resourceMetrics: readArray(
          request,
          'resourceMetrics',
          'resource_metrics',
          path,
          readResourceMetrics,
        ),
      }
    : { resourceLogs: readArray(request, 'resourceLogs', 'resource_logs', path, readResourceLogs) };
}

// ---- messages ----

function readResourceMetrics(json: unknown, path: Path): ResourceMetrics {
  const message = asObject(json, path);
  return {
    resource: readMessage(message, 'resource', 'resource', path, readResource),
    scopeMetrics: readArray(message, 'scopeMetrics', 'scope_metrics', path, readScopeMetrics),
  };
}

function readScopeMetrics(json: unknown, path: Path): ScopeMetrics {
  const message = asObject(json, path);
  return {
    scope: readMessage(message, 'scope', 'scope', path, readScope),
    metrics: readArray(message, 'metrics', 'metrics', path, readMetric),
  };
}

function readMetric(json: unknown, path: Path): Metric {
  const message = asObject(json, path);
  const metric: Metric = { name: readString(message, 'name', 'name', path) };
  const data = {
    gauge: readMessage(message, 'gauge', 'gauge', path, readNumberPoints),
    sum: readMessage(message, 'sum', 'sum', path, readNumberPoints),
    histogram: readMessage(message, 'histogram', 'histogram', path, readUnsupportedPoints),
    exponentialHistogram: readMessage(
      message,
      'exponentialHistogram',
      'exponential_histogram',
      path,
      readUnsupportedPoints,
    ),
    summary: readMessage(message, 'summary', 'summary', path, readUnsupportedPoints),
  };
  const kinds = metricKinds.filter((kind) => data[kind] !== undefined);
  if (kinds.length > 1) fail(path, `both ${kinds[0]} and ${kinds[1]} are set`);
  const kind = kinds[0];
  if (kind !== undefined) Object.assign(metric, { data: kind, [kind]: data[kind] });
  return metric;
}

function readNumberPoints(json: unknown, path: Path): { dataPoints: NumberDataPoint[] } {
  const message = asObject(json, path);
  return { dataPoints: readArray(message, 'dataPoints', 'data_points', path, readNumberDataPoint) };
}

function readNumberDataPoint(json: unknown, path: Path): NumberDataPoint {
  const message = asObject(json, path);
  const point: NumberDataPoint = {
    attributes: readAttributes(message, path),
    timeUnixNano: readInt64(message, 'timeUnixNano', 'time_unix_nano', path),
  };
  const asDouble = field(message, 'asDouble', 'as_double');
  const asInt = field(message, 'asInt', 'as_int');
  if (asDouble !== undefined && asInt !== undefined) fail(path, 'both asDouble and asInt are set');
  if (asDouble !== undefined) {
    point.value = 'asDouble';
    point.asDouble = readDouble(message, 'asDouble', 'as_double', path);
  } else if (asInt !== undefined) {
    point.value = 'asInt';
    point.asInt = readInt64(message, 'asInt', 'as_int', path);
  }
  return point;
}

/** Points of a kind the exporter does not take: read to be counted and their attributes checked. */
function readUnsupportedPoints(json: unknown, path: Path): { dataPoints: UnsupportedDataPoint[] } {
  const message = asObject(json, path);
  return {
    dataPoints: readArray(message, 'dataPoints', 'data_points', path, readUnsupportedPoint),
  };
}

function readUnsupportedPoint(json: unknown, path: Path): UnsupportedDataPoint {
  const message = asObject(json, path);
  return {
    attributes: readAttributes(message, path),
    timeUnixNano: readInt64(message, 'timeUnixNano', 'time_unix_nano', path),
  };
}

function readResourceLogs(json: unknown, path: Path): ResourceLogs {
  const message = asObject(json, path);
  return {
    resource: readMessage(message, 'resource', 'resource', path, readResource),
    scopeLogs: readArray(message, 'scopeLogs', 'scope_logs', path, readScopeLogs),
  };
}

function readScopeLogs(json: unknown, path: Path): ScopeLogs {
  const message = asObject(json, path);
  return {
    scope: readMessage(message, 'scope', 'scope', path, readScope),
    logRecords: readArray(message, 'logRecords', 'log_records', path, readLogRecord),
  };
}

function readLogRecord(json: unknown, path: Path): LogRecord {
  const message = asObject(json, path);
  return {
    timeUnixNano: readInt64(message, 'timeUnixNano', 'time_unix_nano', path),
    observedTimeUnixNano: readInt64(
      message,
      'observedTimeUnixNano',
      'observed_time_unix_nano',
      path,
    ),
    body: readMessage(message, 'body', 'body', path, readTopValue),
    attributes: readAttributes(message, path),
  };
}

function readResource(json: unknown, path: Path): Resource {
  return { attributes: readAttributes(asObject(json, path), path) };
}

function readScope(json: unknown, path: Path): InstrumentationScope {
  const message = asObject(json, path);
  return {
    name: readString(message, 'name', 'name', path),
    version: readString(message, 'version', 'version', path),
    attributes: readAttributes(message, path),
  };
}

function readAttributes(message: Json, path: Path): KeyValue[] {
  return readArray(message, 'attributes', 'attributes', path, readTopKeyValue);
}

function readTopKeyValue(json: unknown, path: Path): KeyValue {
  return readKeyValue(json, path, 1, path.length + 1); // the outermost value is at `….value`
}

function readTopValue(json: unknown, path: Path): AnyValue {
  return readAnyValue(json, path, 1, path.length);
}

// ---- AnyValue: recursive, so bounded ----

const anyValueKinds = new Map<string, AnyValueKind>();
for (const kind of [
  'stringValue',
  'boolValue',
  'intValue',
  'doubleValue',
  'arrayValue',
  'kvlistValue',
  'bytesValue',
] as const) {
  anyValueKinds.set(kind, kind);
  anyValueKinds.set(
    kind.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
    kind,
  );
}

/** `depth` counts nested AnyValues from 1; `top` is where the outermost one's path ends. */
function readKeyValue(json: unknown, path: Path, depth: number, top: number): KeyValue {
  const message = asObject(json, path);
  const keyValue: KeyValue = { key: readString(message, 'key', 'key', path) };
  const value = message['value'];
  if (value !== undefined && value !== null) {
    path.push('value');
    keyValue.value = readAnyValue(value, path, depth, top);
    path.pop();
  }
  return keyValue;
}

function readAnyValue(json: unknown, path: Path, depth: number, top: number): AnyValue {
  if (depth > maxAnyValueDepth) {
    path.length = top; // name the outermost value: the full path would be hundreds of characters
    fail(path, tooDeep);
  }
  const message = asObject(json, path);
  const value: AnyValue = {};
  for (const key in message) {
    const kind = anyValueKinds.get(key);
    const member = message[key];
    if (kind === undefined || member === null) continue;
    if (value.value !== undefined) fail(path, `both ${value.value} and ${kind} are set`);
    value.value = kind;
    path.push(kind);
    switch (kind) {
      case 'stringValue':
        if (typeof member !== 'string') fail(path, expected('a string', member));
        value.stringValue = member;
        break;
      case 'boolValue':
        if (typeof member !== 'boolean') fail(path, expected('a boolean', member));
        value.boolValue = member;
        break;
      case 'intValue':
        value.intValue = asInt64(member, path);
        break;
      case 'doubleValue':
        value.doubleValue = asDouble(member, path);
        break;
      case 'bytesValue':
        if (typeof member !== 'string') fail(path, expected('a base64 string', member));
        value.bytesValue = Buffer.from(member, 'base64');
        break;
      case 'arrayValue': {
        const items = listValues(member, path);
        const values: AnyValue[] = [];
        for (let i = 0; i < items.length; i++) {
          path.push(i);
          values.push(readAnyValue(items[i], path, depth + 1, top));
          path.pop();
        }
        value.arrayValue = { values };
        path.pop();
        break;
      }
      case 'kvlistValue': {
        const items = listValues(member, path);
        const values: KeyValue[] = [];
        for (let i = 0; i < items.length; i++) {
          path.push(i);
          values.push(readKeyValue(items[i], path, depth + 1, top));
          path.pop();
        }
        value.kvlistValue = { values };
        path.pop();
        break;
      }
    }
    path.pop();
  }
  return value;
}

/** The `values` of an ArrayValue or KeyValueList; leaves `values` on the path. */
function listValues(json: unknown, path: Path): unknown[] {
  const values = asObject(json, path)['values'];
  path.push('values');
  if (values === undefined || values === null) return [];
  if (!Array.isArray(values)) fail(path, expected('an array', values));
  return values;
}

// ---- fields ----

/** A field by its JSON name, else by its proto name. */
function field(message: Json, jsonName: string, protoName: string): unknown {
  const value = message[jsonName];
  return value === undefined || value === null ? (message[protoName] ?? undefined) : value;
}

function readMessage<T>(
  message: Json,
  jsonName: string,
  protoName: string,
  path: Path,
  read: (json: unknown, path: Path) => T,
): T | undefined {
  const value = field(message, jsonName, protoName);
  if (value === undefined) return undefined;
  path.push(jsonName);
  const result = read(value, path);
  path.pop();
  return result;
}

function readArray<T>(
  message: Json,
  jsonName: string,
  protoName: string,
  path: Path,
  read: (json: unknown, path: Path) => T,
): T[] {
  const value = field(message, jsonName, protoName);
  if (value === undefined) return [];
  path.push(jsonName);
  if (!Array.isArray(value)) fail(path, expected('an array', value));
  const items: T[] = [];
  for (let i = 0; i < value.length; i++) {
    path.push(i);
    items.push(read(value[i], path));
    path.pop();
  }
  path.pop();
  return items;
}

function readString(message: Json, jsonName: string, protoName: string, path: Path): string {
  const value = field(message, jsonName, protoName);
  if (value === undefined) return '';
  if (typeof value !== 'string') fail([...path, jsonName], expected('a string', value));
  return value;
}

function readInt64(message: Json, jsonName: string, protoName: string, path: Path): Int64 {
  const value = field(message, jsonName, protoName);
  if (value === undefined) return 0;
  path.push(jsonName);
  const int = asInt64(value, path);
  path.pop();
  return int;
}

function readDouble(message: Json, jsonName: string, protoName: string, path: Path): number {
  path.push(jsonName);
  const double = asDouble(field(message, jsonName, protoName), path);
  path.pop();
  return double;
}

/**
 * Kept as sent: a string holds all 64 bits, which a JS number cannot. Only the JSON type is checked
 * here; a string or number that is not an integer is a bad value, rejected per point by the
 * normalizer (a bad timestamp must not cost the rest of the request).
 */
function asInt64(value: unknown, path: Path): Int64 {
  if (typeof value === 'string' || typeof value === 'number') return value;
  return fail(path, expected('an integer string', value));
}

/** proto3 JSON also writes doubles as strings, notably "NaN" and "Infinity". */
function asDouble(value: unknown, path: Path): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return value.trim() === '' ? NaN : Number(value);
  return fail(path, expected('a number', value));
}

function asObject(value: unknown, path: Path): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(path, expected('an object', value));
  }
  return value as Json;
}

// ---- errors ----

function fail(path: Path, what: string): never {
  let where = '';
  for (const step of path)
    where += typeof step === 'number' ? `[${step}]` : where ? `.${step}` : step;
  throw new OtlpDecodeError(`${where || 'request'}: ${what}`);
}

function expected(what: string, value: unknown): string {
  const got =
    value === null
      ? 'null'
      : Array.isArray(value)
        ? 'an array'
        : typeof value === 'object'
          ? 'an object'
          : typeof value === 'string'
            ? `the string ${JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…` : value)}`
            : `${typeof value} ${String(value)}`;
  return `expected ${what}, got ${got}`;
}

function jsonSyntaxMessage(text: string): string {
  const at = jsonErrorOffset(text);
  if (at < 0) return 'invalid JSON'; // JSON.parse refused what the scanner accepts: should not happen
  return at >= text.length
    ? `invalid JSON: unexpected end at position ${at}`
    : `invalid JSON at position ${at}`;
}

const numberToken = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
// eslint-disable-next-line no-control-regex -- raw control characters are what JSON strings forbid
const stringToken = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const whitespace = /[ \t\n\r]*/y;

/**
 * Where a text stops being JSON, or -1 if it is JSON. V8's messages do not always carry the
 * position, and a client fixing its payload needs it. Iterative, so deep nesting cannot overflow.
 */
export function jsonErrorOffset(text: string): number {
  let at = 0;
  const token = (pattern: RegExp): boolean => {
    pattern.lastIndex = at;
    if (!pattern.test(text)) return false;
    at = pattern.lastIndex;
    return true;
  };
  const skip = (what: string): boolean => {
    token(whitespace);
    if (!text.startsWith(what, at)) return false;
    at += what.length;
    return true;
  };
  const key = (): boolean => {
    token(whitespace);
    return token(stringToken) && skip(':');
  };
  const closers: string[] = [];
  for (;;) {
    // A value.
    token(whitespace);
    const open = text[at];
    if (open === '{' || open === '[') {
      at++;
      const close = open === '{' ? '}' : ']';
      if (skip(close)) {
        // empty: a complete value
      } else {
        closers.push(close);
        if (open === '{' && !key()) return at;
        continue;
      }
    } else if (!(
      token(stringToken) ||
      token(numberToken) ||
      ['true', 'false', 'null'].some(skip)
    )) {
      return at;
    }
    // After a value: close containers, or go on to the next member.
    for (;;) {
      token(whitespace);
      const close = closers[closers.length - 1];
      if (close === undefined) return at < text.length ? at : -1;
      if (skip(close)) {
        closers.pop();
        continue;
      }
      if (!skip(',')) return at;
      if (close === '}' && !key()) return at;
      break;
    }
  }
}
