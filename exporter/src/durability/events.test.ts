import { describe, expect, it } from 'vitest';
import { CorruptRecordError } from '../bytes.js';
import { point, T0, testConfig } from '../../test/twin/fixtures.js';
import { decodeEvent, encodeEvent, type TwinEvent } from './events.js';

const events: TwinEvent[] = [
  {
    kind: 'otlp',
    receivedMs: T0 + 0.5,
    signal: 'logs',
    encoding: 'otlp_json',
    contentEncoding: 'gzip',
    digest: Uint8Array.from({ length: 16 }, (_, i) => i),
    body: Uint8Array.of(1, 2, 3, 0, 255),
  },
  {
    kind: 'kafka',
    receivedMs: T0,
    topic: 'twin.telemetry.metrics',
    partition: 7,
    signal: 'metrics',
    encoding: 'otlp_proto',
    messages: [
      { offset: '9007199254740993', body: Uint8Array.of(9, 9) },
      { offset: '9007199254740994', body: undefined },
    ],
  },
  {
    kind: 'points',
    receivedMs: T0,
    points: [
      point({ assetId: 'p1', property: 'flow', value: NaN, sourceTimeMs: T0 - 0.25 }),
      point({
        assetId: 'p1',
        assetClass: 'ünï',
        site: 'north',
        source: 'model',
        property: 'state',
        value: 'fault',
        sourceTimeMs: T0,
        model: { name: 'm', version: '1.0' },
        targetTimeMs: T0 + 10,
        desiredVersion: 3,
        reportedVersion: 2,
      }),
      point({ assetId: 'v', property: 'open', value: false, sourceTimeMs: T0 }),
    ],
  },
  { kind: 'evaluate', nowMs: T0 + 1, count: 5000 },
  { kind: 'retire', ids: ['a', 'site b/pump:1 #2'] },
  { kind: 'configure', config: testConfig() },
];

/** Byte fields decode as views of the record (Buffers): compare their bytes. */
function bytesAsArrays(value: unknown): unknown {
  if (value instanceof Uint8Array) return [...value];
  if (Array.isArray(value)) return value.map(bytesAsArrays);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, bytesAsArrays(v)]));
  }
  return value;
}

describe('journal events', () => {
  it.each(events.map((event) => [event.kind, event] as const))('round-trip: %s', (_, event) => {
    const decoded = decodeEvent(encodeEvent(event));
    expect(bytesAsArrays(decoded)).toEqual(bytesAsArrays(event));
  });

  it('refuses a record it did not write, naming what is wrong', () => {
    expect(() => decodeEvent(Uint8Array.of(42))).toThrow(/unknown event kind 42/);
    const evaluate = encodeEvent({ kind: 'evaluate', nowMs: T0, count: 1 });
    expect(() => decodeEvent(evaluate.subarray(0, 5))).toThrow(CorruptRecordError);
  });
});
