import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import type { Encoding, Signal } from '../../model.js';
import {
  OtlpDecodeError,
  decodeRequest,
  encodeExportResponse,
  encodeStatus,
  otlpRoot,
  type LongBits,
} from './decode.js';
import { jsonErrorOffset } from './json.js';
import {
  attributes,
  deepLogBodyJson,
  deepLogBodyProtobuf,
  delimited,
  encode,
  encodings,
  pumpResource,
} from '../../../test/ingest/otlp/testing.js';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const gaugeRequest = (dataPoints: unknown) => ({
  resourceMetrics: [
    { scopeMetrics: [{ metrics: [{ name: 'temperature', gauge: { dataPoints } }] }] },
  ],
});
const gaugePath = 'resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints';

describe('decodeRequest', () => {
  it.each(encodings)('%s: decodes a metrics request into the shared shapes', (encoding) => {
    const body = encode('metrics', encoding, {
      resourceMetrics: [
        {
          resource: pumpResource(),
          scopeMetrics: [
            {
              scope: { name: 'sim', version: '1.2' },
              metrics: [
                {
                  name: 'temperature',
                  gauge: {
                    dataPoints: [
                      {
                        attributes: attributes({ 'twin.source': 'physical' }),
                        timeUnixNano: '1700000000123456789',
                        asDouble: 21.5,
                      },
                    ],
                  },
                },
                {
                  name: 'starts',
                  sum: { dataPoints: [{ timeUnixNano: '1', asInt: '-9007199254740993' }] },
                },
              ],
            },
          ],
        },
      ],
    });
    const request = decodeRequest('metrics', encoding, body);
    const scope = request.resourceMetrics[0]!.scopeMetrics[0]!;
    expect(request.resourceMetrics[0]!.resource!.attributes[1]).toMatchObject({
      key: 'twin.asset.id',
      value: { value: 'stringValue', stringValue: 'pump-1' },
    });
    expect(scope.scope).toMatchObject({ name: 'sim', version: '1.2' });
    const [gauge, sum] = scope.metrics;
    expect(gauge).toMatchObject({ name: 'temperature', data: 'gauge' });
    expect(gauge!.gauge!.dataPoints[0]).toMatchObject({ value: 'asDouble', asDouble: 21.5 });
    expect(sum).toMatchObject({ name: 'starts', data: 'sum' });
    expect(sum!.sum!.dataPoints[0]!.value).toBe('asInt');

    // 64-bit integers stay exact: a Long from protobuf, the decimal string from JSON.
    const time = gauge!.gauge!.dataPoints[0]!.timeUnixNano;
    const asInt = sum!.sum!.dataPoints[0]!.asInt!;
    if (encoding === 'otlp_proto') {
      expect(bigintOf(time as LongBits)).toBe(1700000000123456789n);
      expect(bigintOf(asInt as LongBits)).toBe(-9007199254740993n);
    } else {
      expect(time).toBe('1700000000123456789');
      expect(asInt).toBe('-9007199254740993');
    }
  });

  it.each(encodings)('%s: decodes a logs request', (encoding) => {
    const body = encode('logs', encoding, {
      resourceLogs: [
        {
          resource: pumpResource(),
          scopeLogs: [
            {
              logRecords: [
                {
                  observedTimeUnixNano: '1700000000000000000',
                  body: {
                    kvlistValue: { values: [{ key: 'mode', value: { stringValue: 'auto' } }] },
                  },
                  attributes: attributes({ 'twin.property': 'config' }),
                },
              ],
            },
          ],
        },
      ],
    });
    const record = decodeRequest('logs', encoding, body).resourceLogs[0]!.scopeLogs[0]!
      .logRecords[0]!;
    expect(record.body).toMatchObject({
      value: 'kvlistValue',
      kvlistValue: {
        values: [{ key: 'mode', value: { value: 'stringValue', stringValue: 'auto' } }],
      },
    });
    expect(record.attributes).toMatchObject([
      { key: 'twin.property', value: { stringValue: 'config' } },
    ]);
  });

  it('accepts the proto field names (snake_case) in JSON, and null as unset', () => {
    const request = decodeRequest(
      'metrics',
      'otlp_json',
      json({
        resource_metrics: [
          {
            resource: { attributes: [{ key: 'k', value: { string_value: 'v', int_value: null } }] },
            scope_metrics: [
              {
                metrics: [
                  {
                    name: 'm',
                    gauge: { data_points: [{ time_unix_nano: 5, as_int: 7, attributes: null }] },
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
    const resourceMetrics = request.resourceMetrics[0]!;
    expect(resourceMetrics.resource!.attributes[0]!.value).toEqual({
      value: 'stringValue',
      stringValue: 'v',
    });
    expect(resourceMetrics.scopeMetrics[0]!.metrics[0]!.gauge!.dataPoints[0]).toEqual({
      attributes: [],
      timeUnixNano: 5,
      value: 'asInt',
      asInt: 7,
    });
  });

  it('ignores unknown JSON fields, as OTLP asks of receivers', () => {
    const request = decodeRequest(
      'metrics',
      'otlp_json',
      json({
        resourceMetrics: [{ schemaUrl: 'x', futureField: { a: 1 }, scopeMetrics: [] }],
        other: 1,
      }),
    );
    expect(request).toEqual({ resourceMetrics: [{ resource: undefined, scopeMetrics: [] }] });
  });

  it('reads doubles written as strings in JSON, NaN and Infinity included', () => {
    const values = ['NaN', '-Infinity', '2.5', 'warm', ''].map((asDouble) => ({ asDouble }));
    const points = decodeRequest('metrics', 'otlp_json', json(gaugeRequest(values)))
      .resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.gauge!.dataPoints;
    // A string that is no number is a bad value (NaN), rejected per point, not a malformed body.
    expect(points.map((point) => point.asDouble)).toEqual([NaN, -Infinity, 2.5, NaN, NaN]);
  });

  it('leaves 64-bit integers that are not integers to the normalizer', () => {
    const points = decodeRequest(
      'metrics',
      'otlp_json',
      json(gaugeRequest([{ timeUnixNano: 'not-a-time', asInt: 1.5 }])),
    ).resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.gauge!.dataPoints;
    expect(points[0]).toMatchObject({ timeUnixNano: 'not-a-time', asInt: 1.5 });
  });

  it('decodes a Uint8Array that is not a Buffer', () => {
    const body = new Uint8Array(encode('metrics', 'otlp_proto', gaugeRequest([{ asDouble: 1 }])));
    const request = decodeRequest('metrics', 'otlp_proto', body);
    expect(
      request.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.gauge!.dataPoints[0]!.asDouble,
    ).toBe(1);
  });

  it('takes the last of two oneof members on the wire, as protobuf does', () => {
    // NumberDataPoint { as_double = 1.5 (field 4), as_int = 7 (field 6) }: the encoder writes both.
    const type = otlpRoot.lookupType('opentelemetry.proto.NumberDataPoint');
    const point = type.encode({ asDouble: 1.5, asInt: 7 }).finish();
    const body = delimited(1, delimited(2, delimited(2, delimited(5, delimited(1, point)))));
    const decoded = decodeRequest('metrics', 'otlp_proto', body).resourceMetrics[0]!
      .scopeMetrics[0]!.metrics[0]!.gauge!.dataPoints[0]!;
    expect(decoded.value).toBe('asInt');
  });

  it.each(encodings)(
    '%s: decodes exponential histograms and summaries, to count their points',
    (encoding) => {
      const point = {
        attributes: attributes({ 'twin.source': 'physical' }),
        timeUnixNano: '1700000000123456789',
        count: '4',
      };
      const body = encode('metrics', encoding, {
        resourceMetrics: [
          {
            resource: pumpResource(),
            scopeMetrics: [
              {
                metrics: [
                  {
                    name: 'vibration',
                    exponentialHistogram: { aggregationTemporality: 2, dataPoints: [point, {}] },
                  },
                  { name: 'latency', summary: { dataPoints: [{ ...point, sum: 2.5 }] } },
                  { name: 'nothing' },
                ],
              },
            ],
          },
        ],
      });
      const [exponential, summary, nothing] = decodeRequest('metrics', encoding, body)
        .resourceMetrics[0]!.scopeMetrics[0]!.metrics;
      expect(exponential).toMatchObject({ name: 'vibration', data: 'exponentialHistogram' });
      expect(exponential!.exponentialHistogram!.dataPoints).toHaveLength(2);
      expect(exponential!.exponentialHistogram!.dataPoints[0]!.attributes).toMatchObject([
        { key: 'twin.source', value: { stringValue: 'physical' } },
      ]);
      expect(summary).toMatchObject({ name: 'latency', data: 'summary' });
      expect(summary!.summary!.dataPoints).toHaveLength(1);
      const time = summary!.summary!.dataPoints[0]!.timeUnixNano;
      if (encoding === 'otlp_proto') expect(bigintOf(time as LongBits)).toBe(1700000000123456789n);
      else expect(time).toBe('1700000000123456789');
      expect(nothing!.data ?? undefined).toBeUndefined();
    },
  );

  it('reads the snake_case names of the new kinds in JSON', () => {
    const request = decodeRequest(
      'metrics',
      'otlp_json',
      json({
        resource_metrics: [
          {
            scope_metrics: [
              { metrics: [{ name: 'e', exponential_histogram: { data_points: [{}, {}, {}] } }] },
            ],
          },
        ],
      }),
    );
    const metric = request.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!;
    expect(metric.data).toBe('exponentialHistogram');
    expect(metric.exponentialHistogram!.dataPoints).toHaveLength(3);
  });

  it('decodes the upstream field numbers: Metric 10 and 11, and the points the SDKs write', () => {
    // Written field by field as opentelemetry-proto numbers them, fields the exporter omits
    // included: ExponentialHistogramDataPoint { attributes = 1, time_unix_nano = 3, count = 4,
    // scale = 6, positive = 8 { offset = 1, bucket_counts = 2 } }, SummaryDataPoint
    // { attributes = 7, time_unix_nano = 3, sum = 5, quantile_values = 6 }.
    const attribute = delimited(1, Buffer.from('twin.source'));
    const keyValue = Buffer.concat([attribute, delimited(2, delimited(1, Buffer.from('model')))]);
    const fixed64 = (field: number, value: bigint) =>
      protobuf.Writer.create()
        .uint32((field << 3) | 1)
        .fixed64(value.toString())
        .finish();
    const time = fixed64(3, 1700000000123456789n);
    const exponentialPoint = Buffer.concat([
      delimited(1, keyValue),
      time,
      fixed64(4, 3n),
      protobuf.Writer.create().uint32(48).sint32(-2).finish(), // scale = 6, varint
      delimited(
        8,
        protobuf.Writer.create().uint32(8).sint32(1).uint32(18).bytes(Uint8Array.of(1, 2)).finish(),
      ),
    ]);
    const summaryPoint = Buffer.concat([
      delimited(7, keyValue),
      time,
      protobuf.Writer.create().uint32(41).double(2.5).finish(), // sum = 5, 64-bit
      delimited(6, protobuf.Writer.create().uint32(9).double(0.5).uint32(17).double(1).finish()),
    ]);
    const metrics = Buffer.concat([
      delimited(
        2,
        Buffer.concat([
          delimited(1, Buffer.from('e')),
          delimited(10, delimited(1, exponentialPoint)),
        ]),
      ),
      delimited(
        2,
        Buffer.concat([delimited(1, Buffer.from('s')), delimited(11, delimited(1, summaryPoint))]),
      ),
    ]);
    const body = delimited(1, delimited(2, metrics)); // resource_metrics.scope_metrics
    const [exponential, summary] = decodeRequest('metrics', 'otlp_proto', body).resourceMetrics[0]!
      .scopeMetrics[0]!.metrics;
    for (const [metric, kind] of [
      [exponential!, 'exponentialHistogram'],
      [summary!, 'summary'],
    ] as const) {
      expect(metric.data).toBe(kind);
      const point = metric[kind]!.dataPoints[0]!;
      expect(point.attributes).toMatchObject([
        { key: 'twin.source', value: { value: 'stringValue', stringValue: 'model' } },
      ]);
      expect(bigintOf(point.timeUnixNano as LongBits)).toBe(1700000000123456789n);
    }
  });

  it.each(encodings)('%s: an empty body is an empty request', (encoding) => {
    expect(decodeRequest('metrics', encoding, new Uint8Array())).toEqual({ resourceMetrics: [] });
    expect(decodeRequest('logs', encoding, new Uint8Array())).toEqual({ resourceLogs: [] });
  });

  it.each(encodings)('%s: accepts AnyValues nested exactly 32 deep', (encoding) => {
    const body = encoding === 'otlp_proto' ? deepLogBodyProtobuf(32) : deepLogBodyJson(32);
    expect(() => decodeRequest('logs', encoding, body)).not.toThrow();
  });
});

describe('malformed bodies', () => {
  const valid = encode('metrics', 'otlp_proto', gaugeRequest([{ timeUnixNano: '1', asDouble: 1 }]));
  const randomBytes = Uint8Array.from({ length: 64 }, (_, i) => (i * 151 + 7) % 256);

  const cases: [string, Signal, Encoding, Uint8Array | string, string | RegExp][] = [
    [
      'truncated protobuf',
      'metrics',
      'otlp_proto',
      valid.subarray(0, valid.length - 3),
      /^invalid protobuf: index out of range at offset \d+$/,
    ],
    ['random bytes', 'metrics', 'otlp_proto', randomBytes, /^invalid protobuf: .+ at offset \d+$/],
    [
      'a wrong wire type (its offset said once)',
      'metrics',
      'otlp_proto',
      Uint8Array.from([0x0f, 0x00]),
      /^invalid protobuf: invalid wire type 7 at offset \d+$/,
    ],
    [
      'random bytes as logs',
      'logs',
      'otlp_proto',
      randomBytes,
      /^invalid protobuf: .+ at offset \d+$/,
    ],
    [
      'JSON that is not JSON',
      'metrics',
      'otlp_json',
      'resourceMetrics',
      'invalid JSON at position 0',
    ],
    [
      'a JSON syntax error',
      'metrics',
      'otlp_json',
      '{"resourceMetrics": [}',
      'invalid JSON at position 21',
    ],
    [
      'truncated JSON',
      'logs',
      'otlp_json',
      '{"resourceLogs": [',
      'invalid JSON: unexpected end at position 18',
    ],
    [
      'JSON that is not UTF-8',
      'metrics',
      'otlp_json',
      Buffer.from([0x7b, 0xff, 0x7d]),
      'invalid JSON: not valid UTF-8',
    ],
    [
      'a JSON array as the request',
      'metrics',
      'otlp_json',
      '[]',
      'request: expected an object, got an array',
    ],
    [
      'resourceMetrics: 5',
      'metrics',
      'otlp_json',
      '{"resourceMetrics": 5}',
      'resourceMetrics: expected an array, got number 5',
    ],
    [
      'a string where a resource must be',
      'metrics',
      'otlp_json',
      '{"resourceMetrics": [{"resource": "pump-1"}]}',
      'resourceMetrics[0].resource: expected an object, got the string "pump-1"',
    ],
    [
      'dataPoints as a string',
      'metrics',
      'otlp_json',
      JSON.stringify(gaugeRequest('many')),
      `${gaugePath}: expected an array, got the string "many"`,
    ],
    [
      'a timestamp of the wrong JSON type',
      'metrics',
      'otlp_json',
      JSON.stringify(gaugeRequest([{}, {}, {}, { timeUnixNano: true }])),
      `${gaugePath}[3].timeUnixNano: expected an integer string, got boolean true`,
    ],
    [
      'a timestamp in an array',
      'metrics',
      'otlp_json',
      JSON.stringify(gaugeRequest([{ timeUnixNano: ['1700000000000000000'] }])),
      `${gaugePath}[0].timeUnixNano: expected an integer string, got an array`,
    ],
    [
      'a value that is not a number',
      'metrics',
      'otlp_json',
      JSON.stringify(gaugeRequest([{ asDouble: true }])),
      `${gaugePath}[0].asDouble: expected a number, got boolean true`,
    ],
    [
      'both asDouble and asInt',
      'metrics',
      'otlp_json',
      JSON.stringify(gaugeRequest([{ asDouble: 1, asInt: '1' }])),
      `${gaugePath}[0]: both asDouble and asInt are set`,
    ],
    [
      'a metric with two kinds of data',
      'metrics',
      'otlp_json',
      '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{},"sum":{}}]}]}]}',
      'resourceMetrics[0].scopeMetrics[0].metrics[0]: both gauge and sum are set',
    ],
    [
      'an exponential histogram and a summary in one metric',
      'metrics',
      'otlp_json',
      '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"summary":{},"exponential_histogram":{}}]}]}]}',
      'resourceMetrics[0].scopeMetrics[0].metrics[0]: both exponentialHistogram and summary are set',
    ],
    [
      'exponential histogram points as a string',
      'metrics',
      'otlp_json',
      '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"exponentialHistogram":{"dataPoints":"p"}}]}]}]}',
      'resourceMetrics[0].scopeMetrics[0].metrics[0].exponentialHistogram.dataPoints: expected an array, got the string "p"',
    ],
    [
      'a summary point timestamp of the wrong JSON type',
      'metrics',
      'otlp_json',
      '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"summary":{"dataPoints":[{"timeUnixNano":{}}]}}]}]}]}',
      'resourceMetrics[0].scopeMetrics[0].metrics[0].summary.dataPoints[0].timeUnixNano: expected an integer string, got an object',
    ],
    [
      'an attribute key that is not a string',
      'logs',
      'otlp_json',
      '{"resourceLogs":[{"resource":{"attributes":[{"key":1}]}}]}',
      'resourceLogs[0].resource.attributes[0].key: expected a string, got number 1',
    ],
    [
      'an AnyValue with two members',
      'logs',
      'otlp_json',
      '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"a","boolValue":true}}]}]}]}',
      'resourceLogs[0].scopeLogs[0].logRecords[0].body: both stringValue and boolValue are set',
    ],
    [
      'a wrong type inside a kvlist',
      'logs',
      'otlp_json',
      '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"kvlistValue":{"values":[{"key":"a","value":{"intValue":false}}]}}}]}]}]}',
      'resourceLogs[0].scopeLogs[0].logRecords[0].body.kvlistValue.values[0].value.intValue: expected an integer string, got boolean false',
    ],
    [
      'nesting 1000 levels deep (protobuf)',
      'logs',
      'otlp_proto',
      deepLogBodyProtobuf(1000),
      'invalid protobuf: nesting deeper than 32 levels',
    ],
    [
      'nesting 40 levels deep (protobuf)',
      'logs',
      'otlp_proto',
      deepLogBodyProtobuf(40),
      'resourceLogs[0].scopeLogs[0].logRecords[0].body: nesting deeper than 32 levels',
    ],
    [
      'nesting 1000 levels deep (JSON)',
      'logs',
      'otlp_json',
      deepLogBodyJson(1000),
      'resourceLogs[0].scopeLogs[0].logRecords[0].body: nesting deeper than 32 levels',
    ],
    [
      'nesting 33 levels deep in an attribute (JSON)',
      'metrics',
      'otlp_json',
      JSON.stringify(
        gaugeRequest([
          {},
          {
            attributes: [
              {
                key: 'deep',
                value: JSON.parse(deepLogBodyJson(33).toString()).resourceLogs[0].scopeLogs[0]
                  .logRecords[0].body,
              },
            ],
          },
        ]),
      ),
      `${gaugePath}[1].attributes[0].value: nesting deeper than 32 levels`,
    ],
    [
      'JSON arrays 100,000 deep',
      'metrics',
      'otlp_json',
      '['.repeat(100_000) + ']'.repeat(100_000),
      'request: expected an object, got an array',
    ],
  ];

  it.each(cases)('%s', (_, signal, encoding, body, message) => {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    let error: unknown;
    try {
      decodeRequest(signal, encoding, bytes);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(OtlpDecodeError);
    if (typeof message === 'string') expect((error as Error).message).toBe(message);
    else expect((error as Error).message).toMatch(message);
  });

  it('names the attribute of a protobuf point nested too deep', () => {
    // NumberDataPoint { attributes = [KeyValue { key: "deep", value: <33 nested arrays> }] }
    let value = delimited(1, Buffer.from('leaf'));
    for (let level = 1; level < 33; level++) value = delimited(5, delimited(1, value));
    const keyValue = Buffer.concat([delimited(1, Buffer.from('deep')), delimited(2, value)]);
    const point = delimited(7, keyValue);
    const body = delimited(1, delimited(2, delimited(2, delimited(5, delimited(1, point)))));
    expect(() => decodeRequest('metrics', 'otlp_proto', body)).toThrow(
      'resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0].attributes[0].value: nesting deeper than 32 levels',
    );
  });
});

describe('attributes nested too deep on points of every kind', () => {
  it.each(['histogram', 'exponentialHistogram', 'summary'])('%s (JSON)', (kind) => {
    const deep = JSON.parse(deepLogBodyJson(33).toString()).resourceLogs[0].scopeLogs[0]
      .logRecords[0].body;
    const request = {
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                { [kind]: { dataPoints: [{ attributes: [{ key: 'deep', value: deep }] }] } },
              ],
            },
          ],
        },
      ],
    };
    expect(() => decodeRequest('metrics', 'otlp_json', json(request))).toThrow(
      `resourceMetrics[0].scopeMetrics[0].metrics[0].${kind}.dataPoints[0].attributes[0].value: nesting deeper than 32 levels`,
    );
  });

  it.each([
    ['exponentialHistogram', 10, 1],
    ['summary', 11, 7],
  ] as const)('%s (protobuf)', (kind, metricField, attributesField) => {
    let value = delimited(1, Buffer.from('leaf'));
    for (let level = 1; level < 33; level++) value = delimited(5, delimited(1, value));
    const keyValue = Buffer.concat([delimited(1, Buffer.from('deep')), delimited(2, value)]);
    const point = delimited(attributesField, keyValue);
    const metric = delimited(metricField, delimited(1, point));
    const body = delimited(1, delimited(2, delimited(2, metric)));
    expect(() => decodeRequest('metrics', 'otlp_proto', body)).toThrow(
      `resourceMetrics[0].scopeMetrics[0].metrics[0].${kind}.dataPoints[0].attributes[0].value: nesting deeper than 32 levels`,
    );
  });
});

describe('jsonErrorOffset', () => {
  it.each([
    '{}',
    ' [ ] ',
    '{"a": [1, -2.5e+3, "x\\u00e9\\n", true, false, null, {"b": {}}]}',
    '"text"',
    '0',
  ])('finds no error in %s', (text) => {
    expect(() => JSON.parse(text)).not.toThrow();
    expect(jsonErrorOffset(text)).toBe(-1);
  });

  it.each([
    ['', 0],
    ['{"a" 1}', 5],
    ['{"a": 1,}', 8],
    ['[1 2]', 3],
    ['[01]', 2],
    ['{a: 1}', 1],
    ['"tab\there"', 0],
    ['{"a": tru}', 6],
    ['[1]]', 3],
    ['{"a": [1, 2}', 11],
  ] as const)('finds the error in %j at %i', (text, offset) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(jsonErrorOffset(text)).toBe(offset);
  });
});

describe('encodeExportResponse', () => {
  const decode = (signal: Signal, body: Uint8Array) =>
    otlpRoot
      .lookupType(
        `opentelemetry.proto.Export${signal === 'metrics' ? 'Metrics' : 'Logs'}ServiceResponse`,
      )
      .toObject(
        otlpRoot
          .lookupType(
            `opentelemetry.proto.Export${signal === 'metrics' ? 'Metrics' : 'Logs'}ServiceResponse`,
          )
          .decode(body),
        { longs: Number },
      );

  it('protobuf: partial_success only when something was rejected', () => {
    expect(encodeExportResponse('metrics', 'otlp_proto', 0, '')).toHaveLength(0);
    expect(
      decode('metrics', encodeExportResponse('metrics', 'otlp_proto', 3, '3 points rejected')),
    ).toEqual({
      partialSuccess: { rejectedDataPoints: 3, errorMessage: '3 points rejected' },
    });
    expect(decode('logs', encodeExportResponse('logs', 'otlp_proto', 1, 'one'))).toEqual({
      partialSuccess: { rejectedLogRecords: 1, errorMessage: 'one' },
    });
  });

  it('JSON: camelCase, the count as a proto3 JSON int64 string', () => {
    const parse = (body: Uint8Array) => JSON.parse(Buffer.from(body).toString()) as unknown;
    expect(parse(encodeExportResponse('metrics', 'otlp_json', 0, ''))).toEqual({});
    expect(parse(encodeExportResponse('metrics', 'otlp_json', 2, 'two'))).toEqual({
      partialSuccess: { rejectedDataPoints: '2', errorMessage: 'two' },
    });
    expect(parse(encodeExportResponse('logs', 'otlp_json', 2, 'two'))).toEqual({
      partialSuccess: { rejectedLogRecords: '2', errorMessage: 'two' },
    });
  });
});

describe('encodeStatus', () => {
  it('encodes google.rpc.Status in both encodings', () => {
    const statusType = otlpRoot.lookupType('opentelemetry.proto.Status');
    expect(
      statusType.toObject(statusType.decode(encodeStatus('otlp_proto', 3, 'bad body'))),
    ).toEqual({
      code: 3,
      message: 'bad body',
    });
    expect(JSON.parse(Buffer.from(encodeStatus('otlp_json', 8, 'slow down')).toString())).toEqual({
      code: 8,
      message: 'slow down',
    });
  });
});

function bigintOf(long: LongBits): bigint {
  const bits = (BigInt(long.high >>> 0) << 32n) | BigInt(long.low >>> 0);
  return long.unsigned ? bits : BigInt.asIntN(64, bits);
}
