/**
 * Generators of OTLP export requests in their OTLP/JSON object form (as in
 * exporter/test/ingest/otlp/testing.ts), mostly near the conventions (twin attributes, times in
 * range) with every kind of wrong value mixed in, and of byte-level mutations of encoded bodies.
 */
import fc from 'fast-check';
import type { Signal } from '../../exporter/src/model.js';
import { delimited } from '../../exporter/test/ingest/otlp/testing.js';

/** Names: conventional ones, empty, at and over the 256 limit, any code point (controls too). */
export const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 40, arbitrary: fc.constantFrom('pump-1', 'valve-2', 'speed', 'plant-a', 'm', '1.0') },
  fc.constantFrom('', 'x'.repeat(256), 'x'.repeat(257), 'é\u0301', '\u{1F680}', '\ud800'),
  fc.constantFrom('pump\u0000-1', 'line\nbreak', '\u0007', '\u001b[31m', 'del\u007f', '\u0085'),
  fc.string({ maxLength: 10 }),
  fc.string({ unit: fc.nat({ max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 6 }),
  fc.string({ unit: 'binary', maxLength: 10 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
);

const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const uint64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const nsPerMs = 1_000_000n;
/** 1999–2202 in nanoseconds: in range, and just outside on both sides. */
const nearRange = fc.bigInt({
  min: BigInt(Date.UTC(1999, 0, 1)) * nsPerMs,
  max: BigInt(Date.UTC(2202, 0, 1)) * nsPerMs,
});

/**
 * A 64-bit integer field: a decimal string, as OTLP/JSON writes it. In JSON (only) also as a
 * number, or as a string that is no integer at all.
 */
function integer(json: boolean, values: fc.Arbitrary<bigint>): fc.Arbitrary<string | number> {
  const asString = values.map(String);
  if (!json) return asString;
  return fc.oneof(
    { weight: 20, arbitrary: asString },
    values.map(Number),
    fc.double().filter(Number.isFinite),
    fc.constantFrom('', '-0', '1.5', '1e9', ' 12', 'abc', '0x10', '١٢'),
  );
}

const time = (json: boolean) =>
  fc.oneof(
    { weight: 20, arbitrary: integer(json, nearRange) },
    integer(json, uint64),
    fc.constant('0'),
  );

const double = (json: boolean): fc.Arbitrary<number | string> =>
  json
    ? fc.oneof(
        { weight: 10, arbitrary: fc.double() },
        fc.constantFrom('NaN', 'Infinity', '-Infinity', '1.5', 'x', ''),
      )
    : fc.double();

type JsonObject = Record<string, unknown>;

/** AnyValue, nested a few levels (deep nesting has its own mutations). */
function anyValue(json: boolean): fc.Arbitrary<JsonObject> {
  const leaf = fc.oneof(
    text.map((stringValue) => ({ stringValue })),
    fc.boolean().map((boolValue) => ({ boolValue })),
    integer(json, int64).map((intValue) => ({ intValue })),
    double(json).map((doubleValue) => ({ doubleValue })),
    fc.uint8Array({ maxLength: 6 }).map((b) => ({ bytesValue: Buffer.from(b).toString('base64') })),
    fc.constant({}),
  );
  return fc.letrec<{ value: JsonObject }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.array(tie('value'), { maxLength: 3 }).map((values) => ({ arrayValue: { values } })),
      fc
        .array(fc.record({ key: text, value: tie('value') }), { maxLength: 3 })
        .map((values) => ({ kvlistValue: { values } })),
    ),
  })).value;
}

/** A twin attribute: usually a fitting value, sometimes anything. */
const attribute = (key: string, usual: fc.Arbitrary<JsonObject>, json: boolean) =>
  fc.oneof({ weight: 30, arbitrary: usual }, anyValue(json)).map((value) => ({ key, value }));

const stringValue = (values: fc.Arbitrary<string>) => values.map((s) => ({ stringValue: s }));

function attributes(json: boolean, twin: Record<string, fc.Arbitrary<JsonObject>>) {
  const entries = Object.entries(twin).map(([key, usual]) =>
    fc.option(attribute(key, usual, json), { nil: undefined, freq: 12 }),
  );
  return fc
    .tuple(
      fc.tuple(...entries),
      fc.array(fc.record({ key: text, value: anyValue(json) }), { maxLength: 2 }),
    )
    .chain(([named, extra]) =>
      fc.shuffledSubarray([...named.filter((a) => a !== undefined), ...extra], {
        minLength: named.filter((a) => a !== undefined).length + extra.length,
      }),
    );
}

function pointAttributes(json: boolean) {
  return attributes(json, {
    'twin.source': stringValue(
      fc.constantFrom('physical', 'physical', 'twin', 'twin', 'model', 'bogus', ''),
    ),
    'twin.property': stringValue(text),
    'twin.model.name': stringValue(text),
    'twin.model.version': fc.oneof(
      stringValue(text),
      integer(json, int64).map((intValue) => ({ intValue })),
    ),
    'twin.prediction.target_time_unix_nano': fc.oneof(
      time(json).map((t) => ({ stringValue: String(t) })),
      time(json).map((intValue) => ({ intValue })),
    ),
    'twin.desired.version': fc
      .oneof({ weight: 10, arbitrary: fc.bigInt(0n, 1000n) }, int64)
      .chain((v) => integer(json, fc.constant(v)))
      .map((intValue) => ({ intValue })),
    'twin.reported.version': stringValue(
      fc.oneof(
        { weight: 10, arbitrary: fc.nat(1000).map(String) },
        fc.constantFrom('-1', 'v2', '9007199254740993', ''),
      ),
    ),
  });
}

const resource = (json: boolean) =>
  fc.option(
    attributes(json, {
      'twin.asset.id': stringValue(text),
      'twin.asset.class': stringValue(text),
      'twin.site': stringValue(text),
      'twin.source': stringValue(fc.constantFrom('physical', 'twin', 'model', 'bogus')),
    }).map((attributes) => ({ attributes })),
    { nil: undefined, freq: 8 },
  );

function numberPoint(json: boolean) {
  return fc
    .record({
      attributes: pointAttributes(json),
      timeUnixNano: time(json),
      value: fc.oneof(
        { weight: 10, arbitrary: double(json).map((asDouble) => ({ asDouble })) },
        { weight: 5, arbitrary: integer(json, int64).map((asInt) => ({ asInt })) },
        fc.constant({}),
      ),
    })
    .map(({ value, ...point }) => ({ ...point, ...value }));
}

const unsupportedPoint = (json: boolean) =>
  fc.record({ attributes: pointAttributes(json), timeUnixNano: time(json) });

function metric(json: boolean) {
  const points = (kind: fc.Arbitrary<JsonObject>) => fc.array(kind, { maxLength: 4 });
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        name: text,
        gauge: fc.record({ dataPoints: points(numberPoint(json)) }),
      }),
    },
    {
      weight: 4,
      arbitrary: fc.record({
        name: text,
        sum: fc.record({ dataPoints: points(numberPoint(json)) }),
      }),
    },
    fc.record({ name: text, histogram: fc.record({ dataPoints: points(unsupportedPoint(json)) }) }),
    fc.record({
      name: text,
      exponentialHistogram: fc.record({ dataPoints: points(unsupportedPoint(json)) }),
    }),
    fc.record({ name: text, summary: fc.record({ dataPoints: points(unsupportedPoint(json)) }) }),
    fc.record({ name: text }),
  );
}

function logRecord(json: boolean) {
  return fc.record(
    {
      timeUnixNano: time(json),
      observedTimeUnixNano: time(json),
      body: anyValue(json),
      attributes: pointAttributes(json),
    },
    { requiredKeys: ['attributes'] },
  );
}

const scope = fc.option(fc.record({ name: text, version: text }), { nil: undefined });

/** An export request of `signal` in OTLP/JSON object form; `json` allows what only JSON can carry. */
export function request(signal: Signal, json: boolean): fc.Arbitrary<JsonObject> {
  const resources = { maxLength: 3 };
  if (signal === 'metrics') {
    const scopeMetrics = fc.record({ scope, metrics: fc.array(metric(json), { maxLength: 3 }) });
    return fc
      .array(
        fc.record({
          resource: resource(json),
          scopeMetrics: fc.array(scopeMetrics, { maxLength: 2 }),
        }),
        resources,
      )
      .map((resourceMetrics) => ({ resourceMetrics }));
  }
  const scopeLogs = fc.record({ scope, logRecords: fc.array(logRecord(json), { maxLength: 4 }) });
  return fc
    .array(
      fc.record({ resource: resource(json), scopeLogs: fc.array(scopeLogs, { maxLength: 2 }) }),
      resources,
    )
    .map((resourceLogs) => ({ resourceLogs }));
}

// ---- byte mutations ----

/**
 * One change to a body's bytes, as data so a counterexample prints readably. Positions are
 * fractions of the body's length, so a mutation fits bodies of any size.
 */
export type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; byte: number }
  | { op: 'truncate'; at: number }
  | { op: 'cut'; from: number; to: number }
  | { op: 'insert'; at: number; bytes: number[] }
  /** A slice wrapped in a length-delimited field: the nesting of submessages shifts. */
  | { op: 'wrap'; from: number; to: number; field: number }
  /** A length prefix that claims more (or less) than follows. */
  | { op: 'prefix'; at: number; field: number; length: number }
  /** A slice repeated: duplicated fields, repeated elements. */
  | { op: 'repeat'; from: number; to: number; times: number };

// Unbiased: fast-check's bias towards bounds would pick the first byte most of the time.
const at = fc.noBias(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }));
const field = fc.integer({ min: 1, max: 20 });

/** Varints that are too long, unterminated, or decode to huge lengths and field numbers. */
const varintGarbage = fc.oneof(
  fc.constant([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
  fc.constant([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80]),
  fc.constant([0xff, 0xff, 0xff, 0xff, 0x0f]),
  fc.constant([0x80]),
  fc.array(fc.integer({ min: 0x80, max: 0xff }), { minLength: 1, maxLength: 12 }),
);

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip'), at, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set'), at, byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('truncate'), at }),
  fc.record({ op: fc.constant('cut'), from: at, to: at }),
  fc.record({
    op: fc.constant('insert'),
    at,
    bytes: fc.oneof(
      fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 16 }),
      varintGarbage,
    ),
  }),
  fc.record({ op: fc.constant('wrap'), from: at, to: at, field }),
  fc.record({ op: fc.constant('prefix'), at, field, length: fc.nat({ max: 2 ** 31 }) }),
  fc.record({
    op: fc.constant('repeat'),
    from: at,
    to: at,
    times: fc.integer({ min: 2, max: 50 }),
  }),
) as fc.Arbitrary<Mutation>;

export const mutations = fc.array(mutation, { minLength: 1, maxLength: 4 });

export function mutate(body: Uint8Array, change: Mutation): Uint8Array {
  const n = body.length;
  const index = (fraction: number, length = n) => Math.floor(fraction * length);
  const range = (a: number, b: number) =>
    [index(a), index(b)].sort((x, y) => x - y) as [number, number];
  const insertAt = (i: number, bytes: Uint8Array) =>
    Buffer.concat([body.subarray(0, i), bytes, body.subarray(i)]);
  switch (change.op) {
    case 'flip':
    case 'set': {
      if (n === 0) return body;
      const copy = Uint8Array.from(body);
      const i = index(change.at);
      copy[i] = change.op === 'flip' ? copy[i]! ^ (1 << change.bit) : change.byte;
      return copy;
    }
    case 'truncate':
      return body.subarray(0, index(change.at));
    case 'cut': {
      const [from, to] = range(change.from, change.to);
      return Buffer.concat([body.subarray(0, from), body.subarray(to)]);
    }
    case 'insert':
      return insertAt(index(change.at, n + 1), Uint8Array.from(change.bytes));
    case 'wrap': {
      const [from, to] = range(change.from, change.to);
      const wrapped = delimited(change.field, body.subarray(from, to));
      return Buffer.concat([body.subarray(0, from), wrapped, body.subarray(to)]);
    }
    case 'prefix':
      return insertAt(
        index(change.at, n + 1),
        Uint8Array.from([(change.field << 3) | 2, ...varint(change.length)]),
      );
    case 'repeat': {
      const [from, to] = range(change.from, change.to);
      const slice = body.subarray(from, to);
      return Buffer.concat([
        body.subarray(0, to),
        ...Array<Uint8Array>(change.times).fill(slice),
        body.subarray(to),
      ]);
    }
  }
}

export const applyMutations = (body: Uint8Array, list: Mutation[]): Uint8Array =>
  list.reduce(mutate, body);

function varint(value: number): number[] {
  const bytes: number[] = [];
  while (value > 0x7f) {
    bytes.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  bytes.push(value);
  return bytes;
}
