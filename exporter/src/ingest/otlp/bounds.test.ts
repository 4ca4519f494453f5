import { describe, expect, it } from 'vitest';
import { OtlpLimitError, checkRequestBounds, maxJsonDepth, type RequestBounds } from './bounds.js';
import { OtlpDecodeError, decodeRequest } from './decode.js';
import { decodeAndNormalize } from './normalize.js';
import {
  attributes,
  deepLogBodyJson,
  deepLogBodyProtobuf,
  encode,
  encodings,
  pumpResource,
  type JsonValue,
} from '../../../test/ingest/otlp/testing.js';

/** A metrics request of `points` gauge points, physical, for one pump. */
const gaugeRequest = (points: number) => ({
  resourceMetrics: [
    {
      resource: pumpResource(),
      scopeMetrics: [
        {
          metrics: [
            {
              name: 'level',
              gauge: {
                dataPoints: Array.from({ length: points }, (_, i) => ({
                  timeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n),
                  asDouble: i,
                  attributes: attributes({ 'twin.source': 'physical' }),
                })),
              },
            },
          ],
        },
      ],
    },
  ],
});

const roomy: RequestBounds = { maxElements: 1_000_000, maxPoints: 1_000_000 };

/** `{"resourceMetrics":[{},{},…]}`: one empty resource per three bytes. */
const emptyResourcesJson = (count: number) =>
  Buffer.from(`{"resourceMetrics":[${Array(count).fill('{}').join(',')}]}`);

/** The same in protobuf: field 1 (resource_metrics) of length 0, two bytes each. */
const emptyResourcesProtobuf = (count: number) => Buffer.alloc(count * 2, Buffer.from([0x0a, 0]));

describe('request bounds, counted on the bytes', () => {
  it('refuses a JSON body of empty objects over the element cap, naming the cap', () => {
    const body = emptyResourcesJson(10_000);
    expect(() =>
      checkRequestBounds('metrics', 'otlp_json', body, { ...roomy, maxElements: 5_000 }),
    ).toThrow(
      new OtlpLimitError('request holds more than 5000 JSON values; send it in smaller batches'),
    );
  });

  it('refuses the protobuf twin of that body the same way', () => {
    const body = emptyResourcesProtobuf(10_000);
    expect(() =>
      checkRequestBounds('metrics', 'otlp_proto', body, { ...roomy, maxElements: 5_000 }),
    ).toThrow(/^request holds more than 5000 protobuf messages; send it in smaller batches$/);
  });

  it('takes a body exactly at the element cap, and refuses one more', () => {
    // `{"resourceMetrics":[…]}` counts the request, the array, and each item (its brace or comma).
    const items = 98;
    const atCap = emptyResourcesJson(items);
    const elements = 2 + items + (items - 1);
    expect(() =>
      checkRequestBounds('metrics', 'otlp_json', atCap, { ...roomy, maxElements: elements }),
    ).not.toThrow();
    expect(() =>
      checkRequestBounds('metrics', 'otlp_json', atCap, { ...roomy, maxElements: elements - 1 }),
    ).toThrow(OtlpLimitError);
    const protobufAtCap = emptyResourcesProtobuf(items);
    expect(() =>
      checkRequestBounds('metrics', 'otlp_proto', protobufAtCap, { ...roomy, maxElements: items }),
    ).not.toThrow();
    expect(() =>
      checkRequestBounds('metrics', 'otlp_proto', protobufAtCap, {
        ...roomy,
        maxElements: items - 1,
      }),
    ).toThrow(OtlpLimitError);
  });

  it('does not count braces, brackets and commas inside strings, escaped quotes included', () => {
    const text = `{"resourceMetrics":[{"resource":{"attributes":[{"key":"a\\",{[,]}\\\\","value":{"stringValue":"{,{,[,],\\"}"}}]}}]}`;
    expect(JSON.parse(text)).toBeTruthy();
    // request, array, resource item, resource, attributes, item, value: 7 containers, no commas.
    expect(() =>
      checkRequestBounds('metrics', 'otlp_json', Buffer.from(text), { ...roomy, maxElements: 8 }),
    ).not.toThrow();
    expect(() =>
      checkRequestBounds('metrics', 'otlp_json', Buffer.from(text), { ...roomy, maxElements: 6 }),
    ).toThrow(OtlpLimitError);
  });

  it('refuses JSON nested deeper than OTLP ever nests, before parsing, with the position', () => {
    const depth = maxJsonDepth + 1;
    const body = Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`);
    expect(() => checkRequestBounds('metrics', 'otlp_json', body, roomy)).toThrow(
      new OtlpDecodeError(
        `invalid JSON: nesting deeper than ${maxJsonDepth} levels at position ${depth - 1}`,
      ),
    );
  });

  it('takes the deepest legal OTLP/JSON: key-value lists nested 32 deep in a point attribute', () => {
    let value: JsonValue = { stringValue: 'leaf' };
    for (let level = 1; level < 32; level++) {
      value = { kvlistValue: { values: [{ key: `k${level}`, value }] } };
    }
    const request = gaugeRequest(1);
    request.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.gauge.dataPoints[0]!.attributes.push({
      key: 'deep',
      value,
    });
    const body = encode('metrics', 'otlp_json', request);
    expect(() => checkRequestBounds('metrics', 'otlp_json', body, roomy)).not.toThrow();
    expect(() => decodeRequest('metrics', 'otlp_json', body)).not.toThrow();
    for (const encoding of encodings) {
      const logs = encoding === 'otlp_json' ? deepLogBodyJson(32) : deepLogBodyProtobuf(32);
      expect(() => checkRequestBounds('logs', encoding, logs, roomy)).not.toThrow();
    }
  });

  it.each(encodings)('%s: refuses points over the cap, takes them at the cap', (encoding) => {
    const body = encode('metrics', encoding, gaugeRequest(100));
    const bounds = { maxElements: 1_000_000, maxPoints: 100 };
    expect(decodeAndNormalize('metrics', encoding, body, bounds).points).toHaveLength(100);
    expect(() =>
      decodeAndNormalize('metrics', encoding, body, { ...bounds, maxPoints: 99 }),
    ).toThrow(
      new OtlpLimitError('request holds more than 99 data points; send it in smaller batches'),
    );
  });

  it.each(encodings)('%s: counts log records as points', (encoding) => {
    const body = encode('logs', encoding, {
      resourceLogs: [
        {
          resource: pumpResource(),
          scopeLogs: [
            {
              logRecords: Array.from({ length: 3 }, () => ({
                timeUnixNano: '1700000000000000000',
                body: { stringValue: 'open' },
                attributes: attributes({ 'twin.source': 'physical', 'twin.property': 'mode' }),
              })),
            },
          ],
        },
      ],
    });
    expect(() =>
      decodeAndNormalize('logs', encoding, body, { maxElements: 1_000_000, maxPoints: 2 }),
    ).toThrow(/more than 2 log records/);
  });

  it('leaves a malformed protobuf body to the decoder, whose message stays as it was', () => {
    const truncated = encode('metrics', 'otlp_proto', gaugeRequest(3)).subarray(0, 40);
    const tight = { maxElements: 1_000, maxPoints: 10 };
    expect(() => checkRequestBounds('metrics', 'otlp_proto', truncated, tight)).not.toThrow();
    expect(() => decodeAndNormalize('metrics', 'otlp_proto', truncated, tight)).toThrow(
      /^invalid protobuf: index out of range at offset \d+$/,
    );
  });

  it('replays without bounds: what was once acknowledged is decoded whatever the caps are now', () => {
    const body = encode('metrics', 'otlp_proto', gaugeRequest(50));
    expect(decodeAndNormalize('metrics', 'otlp_proto', body).points).toHaveLength(50);
  });
});
