import { describe, expect, it } from 'vitest';
import type { Encoding, RejectReason, Signal, TwinPoint } from '../../model.js';
import { OtlpDecodeError, otlpRoot, type AnyValue, type LongBits } from './decode.js';
import { nanosToMs } from './conventions.js';
import { documentJson, decodeAndNormalize } from './normalize.js';
import {
  anyValue,
  attributes,
  encode,
  encodings,
  pumpResource,
  type JsonValue,
} from '../../../test/ingest/otlp/testing.js';

const T1 = '1700000000123456789';
/** 1700000000123.456789 ms, as the nearest double (a literal with that many digits fails lint). */
const T1_MS = Number('1700000000123.456789');
const T2 = '1700000060000000000';
const T2_MS = 1700000060000;

/** A TwinPoint with every optional field unset unless given. */
function twinPoint(fields: Partial<TwinPoint>): TwinPoint {
  return {
    assetId: 'pump-1',
    assetClass: 'pump',
    site: 'plant-a',
    source: 'physical',
    property: 'temperature',
    value: 0,
    sourceTimeMs: T1_MS,
    model: undefined,
    targetTimeMs: undefined,
    desiredVersion: undefined,
    reportedVersion: undefined,
    ...fields,
  };
}

type Attributes = Parameters<typeof attributes>[0];

const gauge = (name: string, dataPoints: object[]) => ({ name, gauge: { dataPoints } });
const numberPoint = (
  attrs: Attributes,
  value: object = { asDouble: 1 },
  timeUnixNano: unknown = T1,
) => ({
  attributes: attributes(attrs),
  timeUnixNano,
  ...value,
});
const metrics = (...resources: [object | null, object[]][]) => ({
  resourceMetrics: resources.map(([resource, metricList]) => ({
    resource,
    scopeMetrics: [{ scope: { name: 'test' }, metrics: metricList }],
  })),
});
const logRecord = (
  attrs: Attributes,
  body: JsonValue | undefined,
  time: unknown = T1,
  observed?: unknown,
) => ({
  attributes: attributes(attrs),
  timeUnixNano: time,
  observedTimeUnixNano: observed,
  body,
});
const logs = (resource: object | undefined, logRecords: object[]) => ({
  resourceLogs: [{ resource, scopeLogs: [{ logRecords }] }],
});

const run = (signal: Signal, encoding: Encoding, request: object) =>
  decodeAndNormalize(signal, encoding, encode(signal, encoding, request));

describe.each(encodings)('%s', (encoding) => {
  it('normalizes gauge and sum points into TwinPoints', () => {
    const request = metrics(
      [
        pumpResource(),
        [
          gauge('temperature', [
            numberPoint({ 'twin.source': 'physical' }, { asDouble: 21.5 }),
            numberPoint(
              { 'twin.source': 'twin', 'twin.desired.version': 4, 'twin.reported.version': '3' },
              { asDouble: -0.25 },
              T2,
            ),
          ]),
          {
            name: 'starts',
            sum: {
              aggregationTemporality: 2,
              isMonotonic: true,
              dataPoints: [
                numberPoint(
                  { 'twin.source': 'physical', 'twin.property': 'start_count' },
                  { asInt: '42' },
                ),
              ],
            },
          },
          gauge('temperature_forecast', [
            numberPoint(
              {
                'twin.source': 'model',
                'twin.property': 'temperature',
                'twin.model.name': 'thermal',
                'twin.model.version': '2.1.0',
                'twin.prediction.target_time_unix_nano': BigInt(T2),
              },
              { asDouble: 22 },
            ),
          ]),
        ],
      ],
      [
        // No site; the resource names the source of every point that does not name its own.
        {
          attributes: attributes({
            'twin.asset.id': 'pump-2',
            'twin.asset.class': 'pump',
            'twin.source': 'twin',
          }),
        },
        [
          gauge('pressure', [
            numberPoint({}, { asInt: -3 }, T2),
            numberPoint({ 'twin.source': 'physical' }, { asDouble: 1.5 }),
          ]),
        ],
      ],
    );
    const batch = run('metrics', encoding, request);
    expect(batch).toStrictEqual({
      points: batch.points,
      rejected: {},
      rejectedCount: 0,
      errorMessage: '',
    });
    expect(batch.points).toStrictEqual([
      twinPoint({ value: 21.5 }),
      twinPoint({
        source: 'twin',
        value: -0.25,
        sourceTimeMs: T2_MS,
        desiredVersion: 4,
        reportedVersion: 3,
      }),
      twinPoint({ property: 'start_count', value: 42 }),
      twinPoint({
        source: 'model',
        value: 22,
        model: { name: 'thermal', version: '2.1.0' },
        targetTimeMs: T2_MS,
      }),
      twinPoint({
        assetId: 'pump-2',
        site: undefined,
        source: 'twin',
        property: 'pressure',
        value: -3,
        sourceTimeMs: T2_MS,
      }),
      twinPoint({ assetId: 'pump-2', site: undefined, property: 'pressure', value: 1.5 }),
    ]);
  });

  it('keeps 64-bit timestamps exact: nanoseconds to fractional milliseconds', () => {
    const batch = run(
      'metrics',
      encoding,
      metrics([pumpResource(), [gauge('t', [numberPoint({ 'twin.source': 'physical' })])]]),
    );
    const time = batch.points[0]!.sourceTimeMs;
    expect(Math.abs(time - T1_MS)).toBeLessThan(1e-6);
    expect(time).toBe(T1_MS); // the nearest double, not merely close
  });

  it('normalizes log records: the body is the value', () => {
    const at = (property: string, body: JsonValue, source = 'twin') =>
      logRecord({ 'twin.source': source, 'twin.property': property }, body);
    const request = logs(pumpResource(), [
      at('valve', { stringValue: 'open' }),
      at('running', { boolValue: true }),
      at('starts', { intValue: '9007199254740991' }, 'physical'),
      at('temperature', { doubleValue: 21.25 }, 'physical'),
      at('config', {
        kvlistValue: {
          values: [
            { key: 'mode', value: { stringValue: 'auto' } },
            {
              key: 'limits',
              value: {
                arrayValue: {
                  values: [{ intValue: '1' }, { doubleValue: 2.5 }, { boolValue: false }],
                },
              },
            },
            {
              key: 'alarm',
              value: {
                kvlistValue: {
                  values: [
                    { key: 'z', value: {} },
                    { key: 'a', value: { stringValue: 'é"' } },
                  ],
                },
              },
            },
          ],
        },
      }),
      at('setpoints', { arrayValue: { values: [{ intValue: 3 }, { stringValue: 'x' }] } }),
      // No time: the observed time is the observation time.
      logRecord(
        { 'twin.source': 'physical', 'twin.property': 'door' },
        { stringValue: 'closed' },
        null,
        T2,
      ),
    ]);
    const batch = run('logs', encoding, request);
    expect(batch.rejectedCount).toBe(0);
    expect(batch.points).toStrictEqual([
      twinPoint({ source: 'twin', property: 'valve', value: 'open' }),
      twinPoint({ source: 'twin', property: 'running', value: true }),
      twinPoint({ property: 'starts', value: 9007199254740991 }),
      twinPoint({ property: 'temperature', value: 21.25 }),
      twinPoint({
        source: 'twin',
        property: 'config',
        value: '{"alarm":{"a":"é\\"","z":null},"limits":[1,2.5,false],"mode":"auto"}',
      }),
      twinPoint({ source: 'twin', property: 'setpoints', value: '[3,"x"]' }),
      twinPoint({ property: 'door', value: 'closed', sourceTimeMs: T2_MS }),
    ]);
  });

  it('keeps the good points next to the bad ones', () => {
    const good = numberPoint({ 'twin.source': 'physical' }, { asDouble: 7 });
    const request = metrics(
      [pumpResource(), [gauge('a', [good, numberPoint({ 'twin.source': 'physical' }, {}), good])]],
      [{ attributes: attributes({ 'twin.asset.class': 'pump' }) }, [gauge('b', [good, good])]],
      [
        pumpResource('pump-3'),
        [
          gauge('c', [numberPoint({}, { asDouble: 1 }), good]),
          { name: 'h', histogram: { dataPoints: [{}, {}] } },
        ],
      ],
    );
    const batch = run('metrics', encoding, request);
    expect(
      batch.points.map((point) => `${point.assetId}/${point.property}=${point.value}`),
    ).toEqual(['pump-1/a=7', 'pump-1/a=7', 'pump-3/c=7']);
    expect(batch.rejected).toEqual({
      unsupported_value: 1,
      unsupported_metric_type: 2,
      missing_asset_id: 2,
      unknown_source: 1,
    });
    expect(batch.rejectedCount).toBe(6);
    expect(batch.errorMessage).toBe(
      '6 points rejected: 2 missing_asset_id (resourceMetrics[1]), ' +
        '2 unsupported_metric_type (resourceMetrics[2].scopeMetrics[0].metrics[1].histogram.dataPoints[0]), ' +
        '1 unsupported_value (resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[1]), and 1 more reason',
    );
  });

  it('rejects every point of histograms, exponential histograms and summaries, keeping the rest', () => {
    const good = numberPoint({ 'twin.source': 'physical' }, { asDouble: 7 });
    const request = metrics([
      pumpResource(),
      [
        gauge('temperature', [good]),
        { name: 'h', histogram: { dataPoints: [{}] } },
        {
          name: 'vibration',
          exponentialHistogram: {
            aggregationTemporality: 2,
            dataPoints: [numberPoint({ 'twin.source': 'physical' }, {}), {}],
          },
        },
        { name: 'latency', summary: { dataPoints: [{ count: '3', sum: 1.5 }, {}, {}] } },
        { name: 'empty' }, // no data: no points, nothing rejected
        { name: 'starts', sum: { dataPoints: [numberPoint({ 'twin.source': 'physical' })] } },
      ],
    ]);
    const batch = run('metrics', encoding, request);
    expect(batch.points.map((point) => `${point.property}=${point.value}`)).toEqual([
      'temperature=7',
      'starts=1',
    ]);
    expect(batch.rejected).toEqual({ unsupported_metric_type: 6 });
    expect(batch.rejectedCount).toBe(6);
    expect(batch.errorMessage).toBe(
      '6 points rejected: 6 unsupported_metric_type (resourceMetrics[0].scopeMetrics[0].metrics[1].histogram.dataPoints[0])',
    );
  });

  it('rejects a request of exponential histograms and summaries alone, naming the first', () => {
    const batch = run(
      'metrics',
      encoding,
      metrics([
        pumpResource(),
        [
          { name: 'latency', summary: { dataPoints: [{}] } },
          { name: 'vibration', exponentialHistogram: { dataPoints: [{}, {}] } },
        ],
      ]),
    );
    expect(batch).toStrictEqual({
      points: [],
      rejected: { unsupported_metric_type: 3 },
      rejectedCount: 3,
      errorMessage:
        '3 points rejected: 3 unsupported_metric_type (resourceMetrics[0].scopeMetrics[0].metrics[0].summary.dataPoints[0])',
    });
  });

  it('a metric without data, or with no points, rejects nothing', () => {
    const batch = run(
      'metrics',
      encoding,
      metrics([
        pumpResource(),
        [{ name: 'empty' }, { name: 'vibration', exponentialHistogram: { dataPoints: [] } }],
      ]),
    );
    expect(batch).toStrictEqual({ points: [], rejected: {}, rejectedCount: 0, errorMessage: '' });
  });

  it('writes the message of the OTLP partial success: most frequent reasons first, with an example path', () => {
    const good = numberPoint({ 'twin.source': 'physical' });
    const request = metrics(
      [
        pumpResource(),
        [
          gauge('a', [good]),
          gauge('b', [good]),
          gauge('c', [numberPoint({ 'twin.source': 'physical' }, {}, '0')]),
        ],
      ],
      [{ attributes: attributes({ 'twin.asset.class': 'pump' }) }, [gauge('d', [good, good])]],
    );
    const batch = run('metrics', encoding, request);
    expect(batch.errorMessage).toBe(
      '3 points rejected: 2 missing_asset_id (resourceMetrics[1]), 1 bad_timestamp (resourceMetrics[0].scopeMetrics[0].metrics[2].gauge.dataPoints[0])',
    );
  });

  it('names three reasons and counts the rest', () => {
    const request = logs(pumpResource(), [
      logRecord({ 'twin.source': 'physical' }, { stringValue: 'x' }),
      logRecord({ 'twin.source': 'physical', 'twin.property': 'p' }, undefined),
      logRecord({ 'twin.property': 'p' }, { stringValue: 'x' }),
      logRecord({ 'twin.source': 'model', 'twin.property': 'p' }, { stringValue: 'x' }),
      logRecord({ 'twin.source': 'physical', 'twin.property': 'p' }, { stringValue: 'x' }, '5'),
      logRecord({ 'twin.source': 'physical', 'twin.property': 'p' }, { stringValue: 'x' }, '6'),
    ]);
    const batch = run('logs', encoding, request);
    const at = (index: number) => `resourceLogs[0].scopeLogs[0].logRecords[${index}]`;
    expect(batch.errorMessage).toBe(
      `6 log records rejected: 2 bad_timestamp (${at(4)}), 1 missing_property (${at(0)}), 1 unsupported_value (${at(1)}), and 2 more reasons`,
    );
    expect(
      run('logs', encoding, logs(pumpResource(), [logRecord({}, { stringValue: 'x' })]))
        .errorMessage,
    ).toBe(`1 log record rejected: 1 unknown_source (${at(0)})`);
  });

  it('an empty body is an empty batch', () => {
    for (const signal of ['metrics', 'logs'] as const) {
      expect(decodeAndNormalize(signal, encoding, new Uint8Array())).toStrictEqual({
        points: [],
        rejected: {},
        rejectedCount: 0,
        errorMessage: '',
      });
    }
  });

  it('throws OtlpDecodeError for a malformed body', () => {
    const body =
      encoding === 'otlp_json'
        ? Buffer.from('{"resourceMetrics": 5}')
        : Buffer.from([0x0a, 0x05, 0x01]);
    expect(() => decodeAndNormalize('metrics', encoding, body)).toThrow(OtlpDecodeError);
  });
});

describe('reject reasons', () => {
  const physical = { 'twin.source': 'physical' };
  const model = { 'twin.source': 'model', 'twin.model.name': 'thermal', 'twin.model.version': '1' };
  const long = 'x'.repeat(257);
  const point = 'resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0]';
  const pointOf = (kind: string) =>
    `resourceMetrics[0].scopeMetrics[0].metrics[0].${kind}.dataPoints[0]`;
  const record = 'resourceLogs[0].scopeLogs[0].logRecords[0]';
  const asset = (extra: Record<string, string | number>) => ({
    attributes: attributes({ 'twin.asset.id': 'pump-1', 'twin.asset.class': 'pump', ...extra }),
  });
  const one = (
    attrs: Attributes,
    value: object = { asDouble: 1 },
    time: unknown = T1,
    resource: object | null = pumpResource(),
  ) => metrics([resource, [gauge('temperature', [numberPoint(attrs, value, time)])]]);
  const oneLog = (
    attrs: Attributes,
    body: JsonValue | undefined,
    time: unknown = T1,
    observed?: unknown,
  ) => logs(pumpResource(), [logRecord({ 'twin.property': 'p', ...attrs }, body, time, observed)]);

  const cases: [string, Signal, object, RejectReason, string][] = [
    [
      'no twin.asset.id',
      'metrics',
      one(physical, undefined, T1, { attributes: attributes({ 'twin.asset.class': 'pump' }) }),
      'missing_asset_id',
      'resourceMetrics[0]',
    ],
    [
      'no resource at all',
      'metrics',
      one(physical, undefined, T1, null),
      'missing_asset_id',
      'resourceMetrics[0]',
    ],
    [
      'an empty twin.asset.id',
      'metrics',
      one(physical, undefined, T1, pumpResource('')),
      'missing_asset_id',
      'resourceMetrics[0]',
    ],
    [
      'no twin.asset.class',
      'metrics',
      one(physical, undefined, T1, { attributes: attributes({ 'twin.asset.id': 'p' }) }),
      'missing_asset_class',
      'resourceMetrics[0]',
    ],
    [
      'an integer twin.asset.id',
      'metrics',
      one(physical, undefined, T1, asset({ 'twin.asset.id': 7 })),
      'bad_attribute',
      'resourceMetrics[0]',
    ],
    [
      'a twin.asset.id over 256 characters',
      'metrics',
      one(physical, undefined, T1, pumpResource(long)),
      'bad_attribute',
      'resourceMetrics[0]',
    ],
    [
      'a twin.asset.class over 256 characters',
      'metrics',
      one(physical, undefined, T1, asset({ 'twin.asset.class': long })),
      'bad_attribute',
      'resourceMetrics[0]',
    ],
    [
      'an integer twin.site',
      'metrics',
      one(physical, undefined, T1, asset({ 'twin.site': 3 })),
      'bad_attribute',
      'resourceMetrics[0]',
    ],
    ['a missing twin.source', 'metrics', one({}), 'unknown_source', point],
    [
      'an unknown twin.source',
      'metrics',
      one({ 'twin.source': 'simulated' }),
      'unknown_source',
      point,
    ],
    ['an integer twin.source', 'metrics', one({ 'twin.source': 1 }), 'unknown_source', point],
    [
      'a bad point twin.source over a good resource one',
      'metrics',
      one({ 'twin.source': 'Physical' }, undefined, T1, asset({ 'twin.source': 'physical' })),
      'unknown_source',
      point,
    ],
    [
      'a bad resource twin.source',
      'metrics',
      one({}, undefined, T1, asset({ 'twin.source': 'sensor' })),
      'unknown_source',
      point,
    ],
    [
      'an integer twin.property',
      'metrics',
      one({ ...physical, 'twin.property': 5 }),
      'bad_attribute',
      point,
    ],
    [
      'a twin.property over 256 characters',
      'metrics',
      one({ ...physical, 'twin.property': long }),
      'bad_attribute',
      point,
    ],
    ...(
      [
        ['NUL', '\u0000'],
        ['CR', '\r'],
        ['TAB', '\t'],
        ['DEL', '\u007f'],
        ['C1 control', '\u0085'],
      ] as const
    ).flatMap(([name, control]): [string, Signal, object, RejectReason, string][] => [
      [
        `a ${name} in twin.asset.id`,
        'metrics',
        one(physical, undefined, T1, pumpResource(`pump${control}1`)),
        'bad_attribute',
        'resourceMetrics[0]',
      ],
      [
        `a ${name} in twin.asset.class`,
        'metrics',
        one(physical, undefined, T1, asset({ 'twin.asset.class': `pump${control}` })),
        'bad_attribute',
        'resourceMetrics[0]',
      ],
      [
        `a ${name} in twin.property`,
        'metrics',
        one({ ...physical, 'twin.property': `level${control}` }),
        'bad_attribute',
        point,
      ],
      [
        `a ${name} in a metric name`,
        'metrics',
        metrics([pumpResource(), [gauge(`${control}level`, [numberPoint(physical)])]]),
        'bad_attribute',
        point,
      ],
    ]),
    [
      'a metric name over 256 characters',
      'metrics',
      metrics([pumpResource(), [gauge(long, [numberPoint(physical)])]]),
      'bad_attribute',
      point,
    ],
    [
      'no metric name and no twin.property',
      'metrics',
      metrics([pumpResource(), [gauge('', [numberPoint(physical)])]]),
      'missing_property',
      point,
    ],
    [
      'a log record without twin.property',
      'logs',
      logs(pumpResource(), [logRecord(physical, { stringValue: 'x' })]),
      'missing_property',
      record,
    ],
    ['no time', 'metrics', one(physical, undefined, null), 'bad_timestamp', point],
    ['time 0', 'metrics', one(physical, undefined, '0'), 'bad_timestamp', point],
    [
      'seconds sent as nanoseconds',
      'metrics',
      one(physical, undefined, '1700000000'),
      'bad_timestamp',
      point,
    ],
    [
      'a time before 2000',
      'metrics',
      one(physical, undefined, '946684799999000000'),
      'bad_timestamp',
      point,
    ],
    [
      'a time after 2200',
      'metrics',
      one(physical, undefined, '7289654400000000000'),
      'bad_timestamp',
      point,
    ],
    [
      'a log record without any time',
      'logs',
      oneLog(physical, { stringValue: 'x' }, null),
      'bad_timestamp',
      record,
    ],
    [
      'a log record time before 2000, observed time fine',
      'logs',
      oneLog(physical, { stringValue: 'x' }, '5', T1),
      'bad_timestamp',
      record,
    ],
    ['a NaN value', 'metrics', one(physical, { asDouble: 'NaN' }), 'unsupported_value', point],
    [
      'an infinite value',
      'metrics',
      one(physical, { asDouble: 'Infinity' }),
      'unsupported_value',
      point,
    ],
    ['no value', 'metrics', one(physical, {}), 'unsupported_value', point],
    [
      'a histogram point',
      'metrics',
      metrics([
        pumpResource(),
        [{ name: 'h', histogram: { dataPoints: [numberPoint(physical, {})] } }],
      ]),
      'unsupported_metric_type',
      pointOf('histogram'),
    ],
    [
      'an exponential histogram point',
      'metrics',
      metrics([
        pumpResource(),
        [{ name: 'e', exponentialHistogram: { dataPoints: [numberPoint(physical, {})] } }],
      ]),
      'unsupported_metric_type',
      pointOf('exponentialHistogram'),
    ],
    [
      'a summary point',
      'metrics',
      metrics([
        pumpResource(),
        [{ name: 's', summary: { dataPoints: [numberPoint(physical, {})] } }],
      ]),
      'unsupported_metric_type',
      pointOf('summary'),
    ],
    [
      'a histogram point without a twin.source',
      'metrics',
      metrics([pumpResource(), [{ name: 'h', histogram: { dataPoints: [{}] } }]]),
      'unsupported_metric_type',
      pointOf('histogram'),
    ],
    ['a bytes body', 'logs', oneLog(physical, { bytesValue: 'AAEC' }), 'unsupported_value', record],
    ['an empty body', 'logs', oneLog(physical, {}), 'unsupported_value', record],
    ['no body', 'logs', oneLog(physical, undefined), 'unsupported_value', record],
    [
      'an empty string body',
      'logs',
      oneLog(physical, { stringValue: '' }),
      'unsupported_value',
      record,
    ],
    ['a NaN body', 'logs', oneLog(physical, { doubleValue: 'NaN' }), 'unsupported_value', record],
    [
      'a prediction without twin.model.name',
      'metrics',
      one({ ...model, 'twin.model.name': '' }),
      'missing_model',
      point,
    ],
    [
      'a prediction without twin.model.version',
      'logs',
      oneLog({ 'twin.source': 'model', 'twin.model.name': 'm' }, { stringValue: 'x' }),
      'missing_model',
      record,
    ],
    [
      'an integer twin.model.name',
      'metrics',
      one({ ...model, 'twin.model.name': 3 }),
      'bad_attribute',
      point,
    ],
    [
      'a double twin.model.version',
      'metrics',
      one({ ...model, 'twin.model.version': 1.5 }),
      'bad_attribute',
      point,
    ],
    [
      'a target time that is not a number',
      'metrics',
      one({ ...model, 'twin.prediction.target_time_unix_nano': 'tomorrow' }),
      'bad_timestamp',
      point,
    ],
    [
      'a target time of 0',
      'metrics',
      one({ ...model, 'twin.prediction.target_time_unix_nano': 0 }),
      'bad_timestamp',
      point,
    ],
    [
      'a target time as a double',
      'metrics',
      one({ ...model, 'twin.prediction.target_time_unix_nano': { doubleValue: 1.7e18 } }),
      'bad_timestamp',
      point,
    ],
    [
      'a negative twin.desired.version',
      'metrics',
      one({ ...physical, 'twin.desired.version': -1 }),
      'bad_attribute',
      point,
    ],
    [
      'a twin.desired.version that is not a number',
      'metrics',
      one({ ...physical, 'twin.desired.version': 'v2' }),
      'bad_attribute',
      point,
    ],
    [
      'a fractional twin.reported.version',
      'metrics',
      one({ ...physical, 'twin.reported.version': 2.5 }),
      'bad_attribute',
      point,
    ],
    [
      'a twin.reported.version "1.0"',
      'logs',
      oneLog({ ...physical, 'twin.reported.version': '1.0' }, { boolValue: true }),
      'bad_attribute',
      record,
    ],
    [
      'a twin.reported.version beyond 2^53',
      'metrics',
      one({ ...physical, 'twin.reported.version': '9007199254740993' }),
      'bad_attribute',
      point,
    ],
  ];

  // Values OTLP/JSON can carry and protobuf cannot: right JSON type, wrong value.
  const jsonOnly: typeof cases = [
    // JSON escapes can carry a lone surrogate; protobuf's UTF-8 cannot (it decodes to U+FFFD).
    ...(['\ud800', '\udc00'] as const).flatMap((lone): typeof cases => [
      [
        `a lone surrogate ${JSON.stringify(lone)} in twin.asset.id`,
        'metrics',
        one(physical, undefined, T1, pumpResource(`pump${lone}1`)),
        'bad_attribute',
        'resourceMetrics[0]',
      ],
      [
        `a lone surrogate ${JSON.stringify(lone)} in twin.property`,
        'metrics',
        one({ ...physical, 'twin.property': `level${lone}` }),
        'bad_attribute',
        point,
      ],
    ]),
    [
      'a timestamp that is not an integer',
      'metrics',
      one(physical, undefined, 'not-a-time'),
      'bad_timestamp',
      point,
    ],
    [
      'a fractional timestamp',
      'metrics',
      one(physical, undefined, '1700000000000000000.5'),
      'bad_timestamp',
      point,
    ],
    [
      'a timestamp with an exponent',
      'metrics',
      one(physical, undefined, '17e17'),
      'bad_timestamp',
      point,
    ],
    [
      'a log time that is not an integer',
      'logs',
      oneLog(physical, { stringValue: 'x' }, 'soon', T1),
      'bad_timestamp',
      record,
    ],
    [
      'an asInt that is not an integer',
      'metrics',
      one(physical, { asInt: '12x' }),
      'unsupported_value',
      point,
    ],
    [
      'an asDouble that is no number',
      'metrics',
      one(physical, { asDouble: 'warm' }),
      'unsupported_value',
      point,
    ],
    [
      'an int body that is not an integer',
      'logs',
      oneLog(physical, { intValue: '1.5' }),
      'unsupported_value',
      record,
    ],
    [
      'a document holding an int that is not an integer',
      'logs',
      oneLog(physical, { arrayValue: { values: [{ intValue: '1' }, { intValue: 'x' }] } }),
      'unsupported_value',
      record,
    ],
    [
      'an int twin.model.version that is not an integer',
      'metrics',
      one({ ...model, 'twin.model.version': { intValue: 'v1' } }),
      'bad_attribute',
      point,
    ],
    [
      'an int twin.desired.version that is not an integer',
      'metrics',
      one({ ...physical, 'twin.desired.version': { intValue: '2.0' } }),
      'bad_attribute',
      point,
    ],
    [
      'an int target time that is not an integer',
      'metrics',
      one({ ...model, 'twin.prediction.target_time_unix_nano': { intValue: 'later' } }),
      'bad_timestamp',
      point,
    ],
  ];

  describe.each(encodings)('%s', (encoding) => {
    it.each(encoding === 'otlp_json' ? [...cases, ...jsonOnly] : cases)(
      '%s',
      (_, signal, request, reason, path) => {
        const batch = run(signal, encoding, request);
        expect(batch.points).toEqual([]);
        expect(batch.rejected).toEqual({ [reason]: 1 });
        expect(batch.rejectedCount).toBe(1);
        const noun = signal === 'metrics' ? 'point' : 'log record';
        expect(batch.errorMessage).toBe(`1 ${noun} rejected: 1 ${reason} (${path})`);
      },
    );
  });

  it('counts every point of a rejected resource', () => {
    const request = metrics([
      { attributes: attributes({ 'twin.asset.id': 'p' }) },
      [
        gauge('a', [numberPoint(physical), numberPoint(physical)]),
        { name: 'h', histogram: { dataPoints: [{}] } },
        { name: 'e', exponentialHistogram: { dataPoints: [{}, {}] } },
        { name: 's', summary: { dataPoints: [{}] } },
        { name: 'x' },
      ],
    ]);
    for (const encoding of encodings) {
      expect(run('metrics', encoding, request).rejected).toEqual({ missing_asset_class: 6 });
    }
  });
});

describe('accepted edge cases', () => {
  const accepted = (attrs: Attributes, time: unknown = T1) => {
    const batch = run(
      'metrics',
      'otlp_json',
      metrics([pumpResource(), [gauge('t', [numberPoint(attrs, { asDouble: 1 }, time)])]]),
    );
    expect(batch.errorMessage).toBe('');
    return batch.points[0]!;
  };

  it('accepts the first and last instants of the window, and the future', () => {
    expect(accepted({ 'twin.source': 'physical' }, '946684800000000000').sourceTimeMs).toBe(
      Date.UTC(2000, 0, 1),
    );
    expect(accepted({ 'twin.source': 'physical' }, '7289654399999000000').sourceTimeMs).toBe(
      Date.UTC(2201, 0, 1) - 1,
    );
    expect(accepted({ 'twin.source': 'physical' }, '4102444800000000000').sourceTimeMs).toBe(
      Date.UTC(2100, 0, 1),
    );
  });

  it("takes twin.source from the resource for log records too; the record's own wins", () => {
    const resource = pumpResource('pump-1', { 'twin.source': 'physical' });
    const batch = run(
      'logs',
      'otlp_json',
      logs(resource, [
        logRecord({ 'twin.property': 'valve' }, { stringValue: 'open' }),
        logRecord({ 'twin.property': 'valve', 'twin.source': 'twin' }, { stringValue: 'shut' }),
      ]),
    );
    expect(batch.points.map((point) => point.source)).toEqual(['physical', 'twin']);
  });

  it('takes state versions as integers or decimal strings, zero included', () => {
    const point = accepted({
      'twin.source': 'twin',
      'twin.desired.version': '0',
      'twin.reported.version': 0,
    });
    expect([point.desiredVersion, point.reportedVersion]).toEqual([0, 0]);
  });

  it('defaults the target time of a prediction to its own time; takes it as a decimal string too', () => {
    const model = { 'twin.source': 'model', 'twin.model.name': 'm', 'twin.model.version': 3 };
    expect(accepted(model)).toMatchObject({
      model: { name: 'm', version: '3' },
      targetTimeMs: T1_MS,
    });
    expect(accepted({ ...model, 'twin.prediction.target_time_unix_nano': T2 }).targetTimeMs).toBe(
      T2_MS,
    );
  });

  it('accepts a timestamp given as a JSON number, as exact as a double can carry it', () => {
    // JSON.parse rounds 1700000000123456789 to a multiple of 256 ns.
    expect(accepted({ 'twin.source': 'physical' }, 1.7000000001234568e18).sourceTimeMs).toBeCloseTo(
      T1_MS,
      3,
    );
  });
});

describe('nanosToMs', () => {
  const long = (nanos: bigint, unsigned = true): LongBits => ({
    low: Number(BigInt.asIntN(32, nanos)),
    high: Number(BigInt.asIntN(32, nanos >> 32n)),
    unsigned,
  });
  /** The exact quotient as decimal text, which Number() rounds to the nearest double. */
  const reference = (nanos: bigint) =>
    Number(`${nanos / 1_000_000n}.${String(nanos % 1_000_000n).padStart(6, '0')}`);

  it('converts the example exactly, from a Long, a string and a protobufjs-decoded value', () => {
    expect(nanosToMs(long(1700000000123456789n))).toBe(T1_MS);
    expect(nanosToMs('1700000000123456789')).toBe(T1_MS);
    const type = otlpRoot.lookupType('opentelemetry.proto.NumberDataPoint');
    const decoded = type.decode(
      type.encode({ timeUnixNano: '1700000000123456789' }).finish(),
    ) as unknown as {
      timeUnixNano: LongBits;
    };
    expect(nanosToMs(decoded.timeUnixNano)).toBe(T1_MS);
  });

  it('gives the double nearest the exact value across the accepted range', () => {
    let seed = 12345n;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 6364136223846793005n + 1442695040888963407n) % 2n ** 64n;
      const nanos = 946684800000000000n + (seed % 6342969600000000000n);
      expect(nanosToMs(long(nanos))).toBe(reference(nanos));
      expect(nanosToMs(String(nanos))).toBe(reference(nanos));
    }
    expect(nanosToMs(9007199254740991)).toBe(reference(9007199254740991n));
    expect(nanosToMs('00001700000000123456789')).toBe(T1_MS);
  });

  it('is NaN for what is not a non-negative integer', () => {
    for (const bad of ['-1', '1.5', '', ' 1', '0x10', '1e9', 1.5, -1, NaN])
      expect(nanosToMs(bad)).toBeNaN();
    expect(nanosToMs(long(-1n, false))).toBeNaN();
    expect(nanosToMs(long(2n ** 64n - 1n, true))).toBe(reference(2n ** 64n - 1n));
  });
});

describe('documentJson', () => {
  const kvlist = (entries: [string, AnyValue][]): AnyValue => ({
    value: 'kvlistValue',
    kvlistValue: { values: entries.map(([key, value]) => ({ key, value })) },
  });
  const text = (stringValue: string): AnyValue => ({ value: 'stringValue', stringValue });

  it('sorts keys, so equal documents are equal strings', () => {
    const a = kvlist([
      ['b', text('1')],
      [
        'a',
        kvlist([
          ['y', text('2')],
          ['x', text('3')],
        ]),
      ],
    ]);
    const b = kvlist([
      [
        'a',
        kvlist([
          ['x', text('3')],
          ['y', text('2')],
        ]),
      ],
      ['b', text('1')],
    ]);
    expect(documentJson(a)).toBe('{"a":{"x":"3","y":"2"},"b":"1"}');
    expect(documentJson(b)).toBe(documentJson(a));
  });

  it('keeps all digits of 64-bit integers and writes what JSON lacks as proto3 JSON does', () => {
    const values: AnyValue[] = [
      { value: 'intValue', intValue: { low: 1, high: 0x200000, unsigned: false } },
      { value: 'intValue', intValue: { low: -1, high: -1, unsigned: false } },
      { value: 'intValue', intValue: '-9223372036854775808' },
      { value: 'doubleValue', doubleValue: NaN },
      { value: 'bytesValue', bytesValue: Uint8Array.from([0, 1, 2]) },
      {},
    ];
    expect(documentJson({ value: 'arrayValue', arrayValue: { values } })).toBe(
      '[9007199254740993,-1,-9223372036854775808,"NaN","AAEC",null]',
    );
  });

  it('is undefined for a document holding an integer that is not one', () => {
    expect(documentJson(kvlist([['a', { value: 'intValue', intValue: '1e3' }]]))).toBeUndefined();
  });

  it('keeps the last of repeated keys, as JSON.parse does', () => {
    expect(
      documentJson(
        kvlist([
          ['a', text('1')],
          ['a', text('2')],
        ]),
      ),
    ).toBe('{"a":"2"}');
  });

  it('encodes a 32-level document from protobuf as JSON text', () => {
    let value: JsonValue = anyValue(1);
    for (let level = 1; level < 32; level++) value = { arrayValue: { values: [value] } };
    const batch = run(
      'logs',
      'otlp_proto',
      logs(pumpResource(), [logRecord({ 'twin.source': 'twin', 'twin.property': 'doc' }, value)]),
    );
    expect(batch.points[0]!.value).toBe(`${'['.repeat(31)}1${']'.repeat(31)}`);
  });
});
