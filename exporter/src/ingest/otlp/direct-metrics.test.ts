import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import {
  attributes,
  boundsVerdicts,
  encode,
  everyKindOfPoint,
  pumpResource,
} from '../../../test/ingest/otlp/testing.js';
import { readMetricsDirect } from './direct-metrics.js';
import { decodeAndNormalize, decodeAndNormalizeGeneral } from './normalize.js';

const t = '1767225600000000000'; // 2026-01-01, in nanoseconds
const general = (body: Uint8Array) => decodeAndNormalizeGeneral('metrics', 'otlp_proto', body);
const direct = (body: Uint8Array) => readMetricsDirect(Buffer.from(body));

const everyKind = encode('metrics', 'otlp_proto', everyKindOfPoint(t));

/** One `speed` gauge point of pump-1 at `t`, value 1, with these attributes. */
function speedPoint(pointAttributes: object): Uint8Array {
  return encode('metrics', 'otlp_proto', {
    resourceMetrics: [
      {
        resource: pumpResource(),
        scopeMetrics: [
          {
            metrics: [
              {
                name: 'speed',
                gauge: {
                  dataPoints: [{ timeUnixNano: t, asDouble: 1, attributes: pointAttributes }],
                },
              },
            ],
          },
        ],
      },
    ],
  });
}

/** Protobuf fields by hand, for orders and forms the encoder never writes. */
const w = () => protobuf.Writer.create();
const message = (field: number, bytes: Uint8Array) =>
  w()
    .uint32((field << 3) | 2)
    .bytes(bytes)
    .finish();
const join = (...parts: Uint8Array[]) => Buffer.concat(parts);
const text = (field: number, value: string) =>
  w()
    .uint32((field << 3) | 2)
    .string(value)
    .finish();
/** A KeyValue's fields, with a string value. */
const keyValue = (key: string, value: string) => join(text(1, key), message(2, text(1, value)));
const time = w()
  .uint32((3 << 3) | 1)
  .fixed64('1767225600000000000')
  .finish();
const double = w()
  .uint32((4 << 3) | 1)
  .double(2.5)
  .finish();

/**
 * The resource after its scope, the metric name after its data, the value before the attributes;
 * `extra` appended to every message, `fields` (value and time by default) in the point.
 */
function outOfOrder(extra: Uint8Array = new Uint8Array(), fields = join(double, time)): Buffer {
  const point = join(fields, message(7, keyValue('twin.source', 'physical')), extra);
  const metric = join(message(5, message(1, point)), text(1, 'speed'), extra);
  const scope = join(message(2, metric), extra);
  const resource = join(
    message(1, keyValue('twin.asset.class', 'pump')),
    message(1, keyValue('twin.asset.id', 'pump-9')),
    extra,
  );
  return message(1, join(message(2, scope), message(1, resource), extra)) as Buffer;
}

describe('the direct reader of metrics protobuf', () => {
  it('reads every kind of point the conventions know, as the general path does', () => {
    const read = direct(everyKind);
    expect(read?.points).toHaveLength(3);
    expect(read).toEqual(general(everyKind));
    expect(read?.points[2]).toMatchObject({
      source: 'model',
      model: { name: 'lstm', version: '12345678901234567' },
      targetTimeMs: 1767225601000,
    });
    expect(direct(new Uint8Array())).toEqual(general(new Uint8Array()));
  });

  it('reads target times given as decimal digits as the general path reads them', () => {
    const forecast = (target: string) =>
      speedPoint(
        attributes({
          'twin.source': 'model',
          'twin.model.name': 'm',
          'twin.model.version': '1',
          'twin.prediction.target_time_unix_nano': target,
        }),
      );
    const targets = [
      '1767225601000000000', // 19 digits: split into milliseconds and the rest
      '1767225601123456789',
      '001767225601123456789', // 21, leading zeros
      '946684800000000001', // 18
      '946684800000001', // 15: read whole (then out of range, rejected)
      '9466848000000010000', // 19
      '17672256011234567890', // 20: after 2200, rejected
      '0017672256011234567890', // 22: read as text
      '17672256O1000000000', // a letter
      '',
    ];
    for (const target of targets) {
      const body = forecast(target);
      const read = direct(body);
      expect(read ?? general(body), target).toEqual(general(body));
      if (read)
        expect(read.points[0]?.targetTimeMs, target).toBe(general(body).points[0]?.targetTimeMs);
    }
    expect(direct(forecast('1767225601123456789'))?.points[0]?.targetTimeMs).toBe(
      1767225601123.4568,
    );
  });

  it('reads fields in any order, and skips fields the schema does not declare', () => {
    const unknown = join(
      w()
        .uint32((15 << 3) | 0)
        .uint64(300)
        .finish(),
      w()
        .uint32((16 << 3) | 2)
        .bytes(new Uint8Array([1, 2, 3]))
        .finish(),
      w()
        .uint32((17 << 3) | 5)
        .fixed32(9)
        .finish(),
      w()
        .uint32((18 << 3) | 1)
        .fixed64(9)
        .finish(),
    );
    for (const body of [outOfOrder(), outOfOrder(unknown)]) {
      const read = direct(body);
      expect(read?.points).toEqual([
        expect.objectContaining({ assetId: 'pump-9', property: 'speed', value: 2.5 }),
      ]);
      expect(read).toEqual(general(body));
    }
  });

  it('leaves to the general path what it does not read, which then decides as before', () => {
    const histogram = encode('metrics', 'otlp_proto', {
      resourceMetrics: [
        {
          resource: pumpResource(),
          scopeMetrics: [
            {
              metrics: [
                { name: 'h', histogram: { dataPoints: [{ timeUnixNano: t, count: '1' }] } },
              ],
            },
          ],
        },
      ],
    });
    const cases: Record<string, Uint8Array> = {
      'a histogram (rejected as unsupported)': histogram,
      'a point the conventions reject': speedPoint(attributes({ 'twin.source': 'guess' })),
      'a resource without an asset id': encode('metrics', 'otlp_proto', {
        resourceMetrics: [{ resource: { attributes: [] }, scopeMetrics: [] }],
      }),
      'a nested attribute value': speedPoint([
        { key: 'twin.source', value: { stringValue: 'physical' } },
        { key: 'deep', value: { arrayValue: { values: [{ intValue: '1' }] } } },
      ]),
      'a bytes value on a twin key': speedPoint([
        { key: 'twin.source', value: { bytesValue: 'AA==' } },
      ]),
      'a declared field with another wire type': outOfOrder(
        new Uint8Array(),
        join(
          w()
            .uint32((3 << 3) | 0)
            .uint64(5)
            .finish(),
          double,
        ),
      ),
      'a resource given twice': message(
        1,
        join(
          message(1, message(1, keyValue('twin.asset.id', 'a'))),
          message(1, message(1, keyValue('twin.asset.id', 'b'))),
        ),
      ),
      'a truncated body': outOfOrder().subarray(0, 30),
      'a length in 7 bytes': join(
        new Uint8Array([(1 << 3) | 2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]),
      ),
      'a group': new Uint8Array([(1 << 3) | 3, (1 << 3) | 4]),
    };
    for (const [what, body] of Object.entries(cases)) {
      expect(direct(body), what).toBeUndefined();
      const outcome = (read: () => unknown) => {
        try {
          return read();
        } catch (error) {
          return `${(error as Error).name}: ${(error as Error).message}`;
        }
      };
      expect(
        outcome(() => decodeAndNormalize('metrics', 'otlp_proto', body)),
        what,
      ).toEqual(outcome(() => general(body)));
    }
  });

  // Random and mutated requests: test/fuzz/otlp-invariants.ts compares the two paths on each.

  it('leaves a request over its bounds to the general path, at exactly the bounds it checks', () => {
    const body = Buffer.from(everyKind);
    const many = 1_000_000;
    expect(readMetricsDirect(body, { maxElements: many, maxPoints: 2 })).toBeUndefined();
    expect(readMetricsDirect(body, { maxElements: many, maxPoints: 3 })?.points).toHaveLength(3);
    // Every element cap: the direct reader answers exactly when checkRequestBounds lets it pass.
    const verdicts = boundsVerdicts('otlp_proto', body, 120, readMetricsDirect);
    for (const { maxElements, passed, answered } of verdicts) {
      expect(answered, `maxElements ${maxElements}`).toBe(passed);
    }
    expect(new Set(verdicts.map((v) => v.passed))).toEqual(new Set([true, false]));
  });
});
