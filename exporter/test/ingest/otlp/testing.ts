/**
 * Test helpers: OTLP requests written once in their OTLP/JSON form (camelCase, 64-bit integers as
 * strings, doubles like NaN as strings) and encoded either way, so one fixture checks both paths.
 */
import protobuf from 'protobufjs';
import type { Encoding, Signal } from '../../../src/model.js';
import { checkRequestBounds, type RequestBounds } from '../../../src/ingest/otlp/bounds.js';
import { otlpRoot } from '../../../src/ingest/otlp/decode.js';

export const encodings: readonly Encoding[] = ['otlp_proto', 'otlp_json'];

const requestTypes = {
  metrics: otlpRoot.lookupType('opentelemetry.proto.ExportMetricsServiceRequest'),
  logs: otlpRoot.lookupType('opentelemetry.proto.ExportLogsServiceRequest'),
};

/** Encodes a request given in OTLP/JSON form. */
export function encode(signal: Signal, encoding: Encoding, request: object): Uint8Array {
  if (encoding === 'otlp_json') return Buffer.from(JSON.stringify(request));
  const type = requestTypes[signal];
  return type.encode(type.fromObject(request)).finish();
}

export type JsonValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string | number }
  | { doubleValue: number | string }
  | { bytesValue: string }
  | { arrayValue: { values: JsonValue[] } }
  | { kvlistValue: { values: { key: string; value: JsonValue }[] } }
  | Record<string, never>;

export interface JsonKeyValue {
  key: string;
  value: JsonValue;
}

/** Attributes from a plain object: strings, booleans, integers (bigint or integer number), doubles. */
export function attributes(
  values: Record<string, string | number | bigint | boolean | JsonValue>,
): JsonKeyValue[] {
  return Object.entries(values).map(([key, value]) => ({ key, value: anyValue(value) }));
}

export function anyValue(value: string | number | bigint | boolean | JsonValue): JsonValue {
  switch (typeof value) {
    case 'string':
      return { stringValue: value };
    case 'boolean':
      return { boolValue: value };
    case 'bigint':
      return { intValue: String(value) };
    case 'number':
      return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
    default:
      return value;
  }
}

export const pumpResource = (assetId = 'pump-1', extra: Record<string, string | number> = {}) => ({
  attributes: attributes({
    'service.name': 'gateway',
    'twin.asset.id': assetId,
    'twin.asset.class': 'pump',
    'twin.site': 'plant-a',
    ...extra,
  }),
});

/** A protobuf field holding `bytes` (a length-delimited field). */
export function delimited(field: number, bytes: Uint8Array): Uint8Array {
  return protobuf.Writer.create()
    .uint32((field << 3) | 2)
    .bytes(bytes)
    .finish();
}

/**
 * A protobuf ExportLogsServiceRequest whose only log body nests `depth` AnyValues (arrays), built
 * by hand: protobufjs refuses to encode objects nested that deep.
 */
export function deepLogBodyProtobuf(depth: number): Uint8Array {
  let value = delimited(1, Buffer.from('leaf')); // AnyValue { string_value }
  for (let level = 1; level < depth; level++) value = delimited(5, delimited(1, value)); // array_value.values
  const logRecord = delimited(5, value); // LogRecord.body
  return delimited(1, delimited(2, delimited(2, logRecord))); // resource_logs.scope_logs.log_records
}

/** The same request in OTLP/JSON. */
export function deepLogBodyJson(depth: number): Uint8Array {
  let value: JsonValue = { stringValue: 'leaf' };
  for (let level = 1; level < depth; level++) value = { arrayValue: { values: [value] } };
  return Buffer.from(
    JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: value }] }] }] }),
  );
}

/**
 * A metrics request with every kind of point the conventions know (a gauge point taking the
 * resource's source and its metric's name, a sum point with versions, a prediction with a target
 * time), each attribute form they accept, and a resource with no points; times at `t` (ns).
 */
export const everyKindOfPoint = (t: string) => ({
  resourceMetrics: [
    {
      resource: pumpResource('pump-1', { 'twin.source': 'physical' }),
      scopeMetrics: [
        {
          scope: { name: 'gateway', version: '2', attributes: attributes({ a: 1 }) },
          metrics: [
            // The resource's source; the metric name as the property.
            {
              name: 'speed',
              unit: 'rpm',
              gauge: { dataPoints: [{ timeUnixNano: t, asDouble: 1.5 }] },
            },
            {
              name: 'total',
              sum: {
                aggregationTemporality: 2,
                isMonotonic: true,
                dataPoints: [
                  {
                    timeUnixNano: t,
                    asInt: '-42',
                    attributes: attributes({
                      'twin.source': 'twin',
                      'twin.property': 'count',
                      'twin.desired.version': 7,
                      'twin.reported.version': '6',
                      other: true,
                    }),
                  },
                ],
              },
            },
            {
              name: 'forecast',
              gauge: {
                dataPoints: [
                  {
                    startTimeUnixNano: t,
                    timeUnixNano: t,
                    asDouble: 3.25,
                    flags: 1,
                    attributes: attributes({
                      'twin.source': 'model',
                      'twin.model.name': 'lstm',
                      'twin.model.version': 12345678901234567n,
                      'twin.prediction.target_time_unix_nano': '1767225601000000000',
                      ratio: 0.5,
                    }),
                  },
                ],
              },
            },
          ],
        },
      ],
    },
    { resource: pumpResource('pump-2'), scopeMetrics: [] },
  ],
});

/**
 * For each element cap from 1 to `upTo`: whether `checkRequestBounds` lets `body` pass, and
 * whether a direct reader answered it (`read`). A direct reader must answer exactly when the
 * bounds let the body pass; the caps must include both cases.
 */
export function boundsVerdicts(
  encoding: Encoding,
  body: Buffer,
  upTo: number,
  read: (body: Buffer, bounds: RequestBounds) => unknown,
): { maxElements: number; passed: boolean; answered: boolean }[] {
  return Array.from({ length: upTo }, (_, i) => {
    const bounds = { maxElements: i + 1, maxPoints: 1_000_000 };
    let passed = true;
    try {
      checkRequestBounds('metrics', encoding, body, bounds);
    } catch {
      passed = false;
    }
    return { maxElements: i + 1, passed, answered: read(body, bounds) !== undefined };
  });
}
