import { describe, expect, it } from 'vitest';
import {
  attributes,
  boundsVerdicts,
  encode,
  everyKindOfPoint,
  pumpResource,
} from '../../../test/ingest/otlp/testing.js';
import { maxJsonDepth } from './bounds.js';
import { readMetricsJsonDirect } from './direct-json.js';
import { decodeAndNormalize, decodeAndNormalizeGeneral } from './normalize.js';

const t = '1767225600000000000'; // 2026-01-01, in nanoseconds
const bytes = (body: Uint8Array | string) => Buffer.from(body);
const general = (body: Uint8Array | string) =>
  decodeAndNormalizeGeneral('metrics', 'otlp_json', bytes(body));
const direct = (body: Uint8Array | string) => readMetricsJsonDirect(bytes(body));
/** What decodeAndNormalize answers: a batch, or its error's name and message. */
const outcome = (read: () => unknown) => {
  try {
    return read();
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
};

const everyKind = everyKindOfPoint(t);

/** One `speed` point of pump-1 as JSON text, its data point's members given as text. */
const speedPoint = (point: string, resource = pumpResource()) =>
  `{"resourceMetrics":[{"resource":${JSON.stringify(resource)},"scopeMetrics":[{"metrics":[` +
  `{"name":"speed","gauge":{"dataPoints":[${point}]}}]}]}]}`;
const physical = '{"key":"twin.source","value":{"stringValue":"physical"}}';

describe('the direct reader of metrics JSON', () => {
  it('reads every kind of point the conventions know, as the general path does', () => {
    const body = encode('metrics', 'otlp_json', everyKind);
    const read = direct(body);
    expect(read?.points).toHaveLength(3);
    expect(read).toEqual(general(body));
    expect(read?.points[2]).toMatchObject({
      source: 'model',
      model: { name: 'lstm', version: '12345678901234567' },
      targetTimeMs: 1767225601000,
    });
    // Pretty-printed, the same.
    const pretty = JSON.stringify(JSON.parse(Buffer.from(body).toString()), null, 2);
    expect(direct(`\n ${pretty}\r\n\t`)).toEqual(read);
  });

  it('reads the forms proto3 JSON allows as the general path reads them', () => {
    const forms = [
      // Proto field names; numbers for 64-bit integers; a double as a string.
      `{"time_unix_nano":${t.slice(0, 15)}0000,"as_double":"2.5","attributes":[${physical}]}`,
      `{"timeUnixNano":1767225600000000000,"asInt":7,"attributes":[${physical}]}`,
      `{"timeUnixNano":"${t}","asDouble":1e2,"attributes":[${physical}]}`,
      `{"timeUnixNano":"${t}","asDouble":-0.5E-3,"attributes":[${physical}]}`,
      `{"timeUnixNano":"${t}","asDouble":"Infinity","attributes":[${physical}]}`, // rejected
      // Escapes in values, members in any order, unknown members of every type.
      `{"attributes":[{"value":{"stringValue":"physical"},"key":"twin.source"}],"asDouble":1,"timeUnixNano":"${t}"}`,
      `{"timeUnixNano":"${t}","asDouble":1,"attributes":[{"key":"twin.source","value":{"stringValue":"ph\\u0079sical"}},` +
        `{"key":"twin.property","value":{"stringValue":"sp\\"eed\\n"}}]}`,
      `{"x":[1,{"y":[null,true,false,"\\\\"]}],"timeUnixNano":"${t}","asDouble":1,"attributes":[${physical}],"z":{}}`,
      // A twin key written with an escape.
      `{"timeUnixNano":"${t}","asDouble":1,"attributes":[{"key":"twin.sourc\\u0065","value":{"stringValue":"physical"}}]}`,
      // Unset members of an AnyValue, and a key's unset value.
      `{"timeUnixNano":"${t}","asDouble":1,"attributes":[{"key":"twin.source","value":{"intValue":null,"stringValue":"physical"}},{"key":"other","value":null}]}`,
      `{"timeUnixNano":"${t}","asDouble":1,"attributes":[{"key":"twin.property","value":{}},${physical}]}`,
    ];
    for (const point of forms) {
      const body = speedPoint(point);
      const read = direct(body);
      expect(read ?? general(body), point).toEqual(general(body));
    }
    // Most of them answered here, not by the general path.
    expect(forms.filter((point) => direct(speedPoint(point))).length).toBeGreaterThanOrEqual(7);
  });

  it('reads target times given as decimal digits as the general path reads them', () => {
    const targets = [
      '1767225601000000000',
      '1767225601123456789',
      '001767225601123456789',
      '946684800000000001',
      '946684800000001', // 15 digits: out of range, rejected
      '17672256011234567890', // after 2200, rejected
      '0017672256011234567890', // 22: read as text
      '17672256O1000000000', // a letter
      '',
    ];
    for (const target of targets) {
      const body = speedPoint(
        `{"timeUnixNano":"${t}","asDouble":1,"attributes":${JSON.stringify(
          attributes({
            'twin.source': 'model',
            'twin.model.name': 'm',
            'twin.model.version': '1',
            'twin.prediction.target_time_unix_nano': target,
          }),
        )}}`,
      );
      const read = direct(body);
      expect(read ?? general(body), target).toEqual(general(body));
      // Those in range, of 1 to 21 digits, are read here, not by the general path.
      if (targets.indexOf(target) < 4) expect(read?.points, target).toHaveLength(1);
    }
  });

  it('leaves to the general path what it does not read, which then decides as before', () => {
    const point = `{"timeUnixNano":"${t}","asDouble":1,"attributes":[${physical}]}`;
    const good = speedPoint(point);
    expect(direct(good)?.points).toHaveLength(1);
    const cases: Record<string, string | Uint8Array> = {
      'a histogram': good.replace('"gauge":{"dataPoints":', '"histogram":{"dataPoints":'),
      'a point the conventions reject': good.replace('physical', 'guess'),
      'a resource without an asset id': speedPoint(point, { attributes: [] }),
      'a nested attribute value': speedPoint(
        point.replace(']}', ',{"key":"deep","value":{"arrayValue":{"values":[]}}}]}'),
      ),
      'a bytes value': speedPoint(point.replace('"stringValue":"physical"', '"bytesValue":"AA=="')),
      'two members of an AnyValue': speedPoint(
        point.replace('"stringValue":"physical"', '"stringValue":"physical","intValue":"1"'),
      ),
      'a string where a number goes': speedPoint(point.replace('"asDouble":1', '"asDouble":true')),
      'a key written with escapes': good.replace('"gauge"', '"g\\u0061uge"'),
      'a field given twice': speedPoint(point.replace('"asDouble":1', '"asDouble":1,"asDouble":2')),
      'a field under both its names': speedPoint(
        point.replace('"asDouble":1', '"asDouble":1,"as_double":2'),
      ),
      'both asDouble and asInt': speedPoint(
        point.replace('"asDouble":1', '"asDouble":1,"asInt":2'),
      ),
      'a field set to null': good.replace('"name":"speed"', '"name":null'),
      'the resource after its scopes': `{"resourceMetrics":[{"scopeMetrics":[],"resource":${JSON.stringify(pumpResource())}}]}`,
      'the name after the data': good
        .replace('{"name":"speed","gauge":', '{"gauge":')
        .replace(']}}]}]}]}', ']},"name":"speed"}]}]}]}'),
      'a value before its key': speedPoint(
        point.replace(physical, '{"value":{"stringValue":"physical"},"key":"twin.source"}'),
      ),
      'a trailing comma': good.replace(']}]}]}', ',]}]}]}'),
      'a truncated body': good.slice(0, -3),
      'something after the request': `${good} {}`,
      'a number JSON does not allow': speedPoint(point.replace('"asDouble":1', '"asDouble":01')),
      'a control character in a string': good.replace('speed', 'sp\u0001eed'),
      'invalid UTF-8': Buffer.concat([
        Buffer.from(good.slice(0, 20)),
        Buffer.from([0xff]),
        Buffer.from(good.slice(20)),
      ]),
      'a byte order mark': `\ufeff${good}`,
      'not an object': '[]',
      'nesting deeper than JSON OTLP reaches': `{"x":${'['.repeat(maxJsonDepth)}${']'.repeat(maxJsonDepth)},"resourceMetrics":[]}`,
    };
    for (const [what, body] of Object.entries(cases)) {
      expect(direct(body), what).toBeUndefined();
      expect(
        outcome(() => decodeAndNormalize('metrics', 'otlp_json', bytes(body))),
        what,
      ).toEqual(outcome(() => general(body)));
    }
  });

  // Random and mutated requests: test/fuzz/otlp-invariants.ts compares the two paths on each.

  it('leaves a request over its bounds to the general path, at exactly the bounds it checks', () => {
    const body = Buffer.from(encode('metrics', 'otlp_json', everyKind));
    const many = 1_000_000;
    expect(readMetricsJsonDirect(body, { maxElements: many, maxPoints: 2 })).toBeUndefined();
    expect(readMetricsJsonDirect(body, { maxElements: many, maxPoints: 3 })?.points).toHaveLength(
      3,
    );
    const verdicts = boundsVerdicts('otlp_json', body, 150, readMetricsJsonDirect);
    for (const { maxElements, passed, answered } of verdicts) {
      expect(answered, `maxElements ${maxElements}`).toBe(passed);
    }
    expect(new Set(verdicts.map((v) => v.passed))).toEqual(new Set([true, false]));
  });
});
