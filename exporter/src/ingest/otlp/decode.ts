/**
 * OTLP bodies in and out: decodes export requests (OTLP/HTTP bodies and the collector's Kafka
 * payloads, protobuf or JSON) into the shapes of `types.ts`, and encodes export responses and
 * error statuses. Pure functions, no I/O beyond loading the proto file once.
 */
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { Encoding, Signal } from '../../model.js';
import { readJsonRequest } from './json.js';
import {
  OtlpDecodeError,
  maxAnyValueDepth,
  tooDeep,
  type AnyValue,
  type KeyValue,
  type OtlpLogsRequest,
  type OtlpMetricsRequest,
} from './types.js';

export * from './types.js';

const protoFile = fileURLToPath(new URL('../../../proto/otlp.proto', import.meta.url));
/** The OTLP subset the exporter reads, loaded once; exported so tests and benches encode with it. */
export const otlpRoot = protobuf.loadSync(protoFile);

const type = (name: string) => otlpRoot.lookupType(`opentelemetry.proto.${name}`);

// protobufjs gives each oneof (AnyValue.value, NumberDataPoint.value, Metric.data) an accessor
// that runs Object.keys on every read and `delete`s the sibling members on every write: a third of
// the decode time, and slow reads in the normalizer. The accessors are not configurable, so each
// message constructor gets a copy of its prototype where the oneof is a plain field instead; the
// decoder writes the name of the member it sets, which is what the accessor would have returned.
const otlpPackage = otlpRoot.lookup('opentelemetry.proto') as protobuf.Namespace;
for (const messageType of otlpPackage.nestedArray) {
  if (messageType instanceof protobuf.Type && messageType.oneofsArray.length) {
    plainOneofs(messageType);
  }
}

// protobufjs generates each message type's codec on its first use: tens of milliseconds of the
// event loop when the first request arrives. Generate them all now, while the exporter starts.
for (const messageType of otlpPackage.nestedArray) {
  if (messageType instanceof protobuf.Type) messageType.setup();
}

function plainOneofs(messageType: protobuf.Type): void {
  const ctor = messageType.ctor;
  const oneofs = new Set(messageType.oneofsArray.map((oneof) => oneof.name));
  const prototype: object = Object.create(Object.getPrototypeOf(ctor.prototype));
  for (const key of Reflect.ownKeys(ctor.prototype)) {
    const descriptor = oneofs.has(key as string)
      ? { value: undefined, writable: true }
      : Object.getOwnPropertyDescriptor(ctor.prototype, key)!;
    Object.defineProperty(prototype, key, descriptor);
  }
  ctor.prototype = prototype;
}

const requestTypes = {
  metrics: type('ExportMetricsServiceRequest'),
  logs: type('ExportLogsServiceRequest'),
};
const responseTypes = {
  metrics: type('ExportMetricsServiceResponse'),
  logs: type('ExportLogsServiceResponse'),
};
const statusType = type('Status');

export function decodeRequest(
  signal: 'metrics',
  encoding: Encoding,
  body: Uint8Array,
): OtlpMetricsRequest;
export function decodeRequest(
  signal: 'logs',
  encoding: Encoding,
  body: Uint8Array,
): OtlpLogsRequest;
export function decodeRequest(
  signal: Signal,
  encoding: Encoding,
  body: Uint8Array,
): OtlpMetricsRequest | OtlpLogsRequest;
/**
 * Decodes an export request. An empty body is an empty request. Throws OtlpDecodeError when the
 * body is not a well-formed request of the signal.
 */
export function decodeRequest(
  signal: Signal,
  encoding: Encoding,
  body: Uint8Array,
): OtlpMetricsRequest | OtlpLogsRequest {
  if (encoding === 'otlp_json') return readJsonRequest(signal, body);
  const request = decodeProtobuf(signal, body);
  if (signal === 'metrics') checkMetricsDepth(request as OtlpMetricsRequest);
  else checkLogsDepth(request as OtlpLogsRequest);
  return request;
}

function decodeProtobuf(signal: Signal, body: Uint8Array): OtlpMetricsRequest | OtlpLogsRequest {
  // A Buffer view makes protobufjs decode strings with Node's native UTF-8 decoder.
  const buffer = Buffer.isBuffer(body)
    ? body
    : Buffer.from(body.buffer, body.byteOffset, body.length);
  const reader = protobuf.Reader.create(buffer);
  try {
    return requestTypes[signal].decode(reader) as unknown as OtlpMetricsRequest | OtlpLogsRequest;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // protobufjs stops at 100 nested messages, which in this schema means AnyValues nested over 32 deep.
    if (message === 'max depth exceeded') throw new OtlpDecodeError(`invalid protobuf: ${tooDeep}`);
    // protobufjs names the offset in some messages ("invalid wire type 7 at offset 12") only.
    const what = message.startsWith('index out of range') ? 'index out of range' : message;
    const where = / at offset \d+$/.test(what) ? '' : ` at offset ${reader.pos}`;
    throw new OtlpDecodeError(`invalid protobuf: ${what}${where}`);
  }
}

// protobufjs bounds nesting only at 100 messages; these walks hold protobuf to the same AnyValue
// depth as JSON, so later recursion (canonical JSON of log bodies) is bounded whatever the encoding.

function checkMetricsDepth(request: OtlpMetricsRequest): void {
  const resources = request.resourceMetrics;
  for (let r = 0; r < resources.length; r++) {
    const resourceMetrics = resources[r]!;
    checkAttributes(resourceMetrics.resource?.attributes, `resourceMetrics[${r}].resource`);
    const scopes = resourceMetrics.scopeMetrics;
    for (let s = 0; s < scopes.length; s++) {
      const scopeMetrics = scopes[s]!;
      const at = `resourceMetrics[${r}].scopeMetrics[${s}]`;
      checkAttributes(scopeMetrics.scope?.attributes, `${at}.scope`);
      const metrics = scopeMetrics.metrics;
      for (let m = 0; m < metrics.length; m++) {
        const kind = metrics[m]!.data;
        const points = kind === undefined ? undefined : metrics[m]![kind]?.dataPoints;
        for (let p = 0; points && p < points.length; p++) {
          const deep = deepAttribute(points[p]!.attributes);
          if (deep >= 0) throw deepError(`${at}.metrics[${m}].${kind}.dataPoints[${p}]`, deep);
        }
      }
    }
  }
}

function checkLogsDepth(request: OtlpLogsRequest): void {
  const resources = request.resourceLogs;
  for (let r = 0; r < resources.length; r++) {
    const resourceLogs = resources[r]!;
    checkAttributes(resourceLogs.resource?.attributes, `resourceLogs[${r}].resource`);
    const scopes = resourceLogs.scopeLogs;
    for (let s = 0; s < scopes.length; s++) {
      const scopeLogs = scopes[s]!;
      const at = `resourceLogs[${r}].scopeLogs[${s}]`;
      checkAttributes(scopeLogs.scope?.attributes, `${at}.scope`);
      const records = scopeLogs.logRecords;
      for (let l = 0; l < records.length; l++) {
        const record = records[l]!;
        if (record.body && !withinDepth(record.body, 1)) {
          throw new OtlpDecodeError(`${at}.logRecords[${l}].body: ${tooDeep}`);
        }
        const deep = deepAttribute(record.attributes);
        if (deep >= 0) throw deepError(`${at}.logRecords[${l}]`, deep);
      }
    }
  }
}

function checkAttributes(attributes: KeyValue[] | undefined, owner: string): void {
  const deep = attributes ? deepAttribute(attributes) : -1;
  if (deep >= 0) throw deepError(owner, deep);
}

function deepError(owner: string, attribute: number): OtlpDecodeError {
  return new OtlpDecodeError(`${owner}.attributes[${attribute}].value: ${tooDeep}`);
}

/** The index of the first attribute whose value nests too deep, or -1. */
function deepAttribute(attributes: KeyValue[]): number {
  for (let i = 0; i < attributes.length; i++) {
    const value = attributes[i]!.value;
    if (value && !withinDepth(value, 1)) return i;
  }
  return -1;
}

function withinDepth(value: AnyValue, depth: number): boolean {
  if (depth > maxAnyValueDepth) return false;
  if (value.value === 'arrayValue') {
    for (const item of value.arrayValue?.values ?? []) {
      if (!withinDepth(item, depth + 1)) return false;
    }
  } else if (value.value === 'kvlistValue') {
    for (const entry of value.kvlistValue?.values ?? []) {
      if (entry.value && !withinDepth(entry.value, depth + 1)) return false;
    }
  }
  return true;
}

/**
 * The body of a successful export response: `partial_success` only when something was rejected,
 * as the OTLP specification asks.
 */
export function encodeExportResponse(
  signal: Signal,
  encoding: Encoding,
  rejected: number,
  errorMessage: string,
): Uint8Array {
  const counted = signal === 'metrics' ? 'rejectedDataPoints' : 'rejectedLogRecords';
  if (encoding === 'otlp_json') {
    // proto3 JSON writes int64 as a decimal string.
    const body =
      rejected > 0 ? { partialSuccess: { [counted]: String(rejected), errorMessage } } : {};
    return Buffer.from(JSON.stringify(body));
  }
  const message = rejected > 0 ? { partialSuccess: { [counted]: rejected, errorMessage } } : {};
  return responseTypes[signal].encode(message).finish();
}

/** The google.rpc.Status body of an OTLP/HTTP error response. */
export function encodeStatus(encoding: Encoding, code: number, message: string): Uint8Array {
  if (encoding === 'otlp_json') return Buffer.from(JSON.stringify({ code, message }));
  return statusType.encode({ code, message }).finish();
}
