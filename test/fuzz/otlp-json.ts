/**
 * OTLP/JSON bodies into `decodeAndNormalize`: arbitrary JSON values and text, and generated valid
 * requests changed in their structure (a subtree replaced, nested thousands deep, a huge array of
 * `{}`, numbers as strings and back, proto field names, control characters, duplicate keys) or in
 * their bytes (invalid UTF-8, broken syntax). See otlp-invariants.ts for what must hold.
 */
import fc from 'fast-check';
import type { Signal } from '../../exporter/src/model.js';
import { deepLogBodyJson } from '../../exporter/test/ingest/otlp/testing.js';
import { applyMutations, mutations, request } from './otlp-arbitraries.js';
import { bounds, checkWithBody } from './otlp-protobuf.js';
import { check, type FuzzTarget } from './run.js';

const signal = fc.constantFrom<Signal>('metrics', 'logs');
// Unbiased: fast-check's bias towards bounds would pick the root most of the time.
const at = fc.noBias(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }));

/** A change to one node of the document, as data so a counterexample prints readably. */
type Change =
  | { op: 'replace'; at: number; value: unknown }
  | { op: 'nest'; at: number; depth: number; open: '[' | '{"a":' | '{"arrayValue":{"values":[' }
  | { op: 'many'; at: number; count: number; item: string }
  | { op: 'retype'; at: number }
  | { op: 'snake'; at: number }
  | { op: 'text'; at: number; value: string }
  | { op: 'duplicate'; at: number };

const change: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ op: fc.constant('replace'), at, value: fc.jsonValue({ maxDepth: 3 }) }),
  fc.record({
    op: fc.constant('nest'),
    at,
    depth: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 20_000 })),
    open: fc.constantFrom('[', '{"a":', '{"arrayValue":{"values":['),
  }),
  fc.record({
    op: fc.constant('many'),
    at,
    count: fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 1_000, max: 200_000 })),
    item: fc.constantFrom('{}', '[]', 'null', '0', '""', '{"gauge":{}}', '{"stringValue":"x"}'),
  }),
  fc.record({ op: fc.constant('retype'), at }),
  fc.record({ op: fc.constant('snake'), at }),
  fc.record({
    op: fc.constant('text'),
    at,
    value: fc.oneof(
      fc.string({ unit: 'binary', maxLength: 12 }),
      fc.constantFrom('\u0000', '\u001f', '\u007f', '\u2028', '\ud800', '\ufeff', 'a\u0301'),
    ),
  }),
  fc.record({ op: fc.constant('duplicate'), at }),
) as fc.Arbitrary<Change>;

const sentinel = '\u0000fuzz-sentinel\u0000';

/** Every node of a document with the way to put something else in its place. */
function nodes(root: unknown): { value: unknown; set(next: unknown): void }[] {
  const found: { value: unknown; set(next: unknown): void }[] = [];
  const walk = (value: unknown, set: (next: unknown) => void) => {
    found.push({ value, set });
    if (Array.isArray(value)) value.forEach((item, i) => walk(item, (next) => (value[i] = next)));
    else if (value && typeof value === 'object') {
      const object = value as Record<string, unknown>;
      for (const key of Object.keys(object)) walk(object[key], (next) => (object[key] = next));
    }
  };
  walk(root, () => undefined);
  return found;
}

const snakeCase = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Applies the changes to a copy of `document`; returns the JSON text (raw parts spliced in). */
export function changed(document: object, changes: Change[]): string {
  const root = { document: structuredClone(document) as unknown };
  const raw: string[] = [];
  for (const c of changes) {
    const all = nodes(root.document);
    const node = all[Math.floor(c.at * all.length)]!;
    const set = node === all[0] ? (next: unknown) => (root.document = next) : node.set;
    const splice = (text: string) => {
      raw.push(text);
      set(`${sentinel}${raw.length - 1}`);
    };
    const inner = () => JSON.stringify(node.value) ?? 'null';
    switch (c.op) {
      case 'replace':
        set(c.value);
        break;
      case 'nest': {
        const close = c.open === '[' ? ']' : c.open === '{"a":' ? '}' : ']}}';
        splice(c.open.repeat(c.depth) + inner() + close.repeat(c.depth));
        break;
      }
      case 'many':
        splice(`[${Array<string>(c.count).fill(c.item).join(',')}]`);
        break;
      case 'retype': {
        const v = node.value;
        set(
          typeof v === 'number'
            ? String(v)
            : typeof v === 'string'
              ? Number.isNaN(Number(v))
                ? v.length
                : Number(v)
              : typeof v === 'boolean'
                ? String(v)
                : Array.isArray(v)
                  ? { ...v }
                  : v && typeof v === 'object'
                    ? Object.values(v)
                    : 0,
        );
        break;
      }
      case 'snake':
        if (node.value && typeof node.value === 'object' && !Array.isArray(node.value)) {
          const object = node.value as Record<string, unknown>;
          set(Object.fromEntries(Object.entries(object).map(([k, v]) => [snakeCase(k), v])));
        }
        break;
      case 'text':
        set(c.value);
        break;
      case 'duplicate':
        // The same member twice (JSON.parse keeps the last), or an element twice.
        if (node.value && typeof node.value === 'object' && !Array.isArray(node.value)) {
          const members = Object.entries(node.value).map(
            ([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`,
          );
          splice(`{${[...members, ...members.slice(0, 1), ...members].join(',')}}`);
        } else if (Array.isArray(node.value)) {
          splice(
            `[${[...node.value, ...node.value].map((v) => JSON.stringify(v) ?? 'null').join(',')}]`,
          );
        }
        break;
    }
  }
  // A raw part may hold the sentinels of earlier changes: resolving the last first reaches them all.
  let text = JSON.stringify(root.document) ?? 'null';
  for (let i = raw.length - 1; i >= 0; i--) {
    text = text.split(JSON.stringify(`${sentinel}${i}`)).join(raw[i]!);
  }
  return text;
}

export function jsonInputs(): fc.Arbitrary<{ signal: Signal; body: Uint8Array }> {
  const bytes = (text: string) => Buffer.from(text, 'utf8');
  const valid = signal.chain((s) => request(s, true).map((document) => ({ signal: s, document })));
  const withChanges = fc
    .tuple(valid, fc.array(change, { minLength: 1, maxLength: 3 }))
    .map(([{ signal, document }, list]) => ({ signal, body: bytes(changed(document, list)) }));
  const deepFixture = fc
    .tuple(signal, fc.integer({ min: 1, max: 40 }))
    .map(([, depth]) => ({ signal: 'logs' as const, body: deepLogBodyJson(depth) }));
  const anyJson = fc.tuple(signal, fc.jsonValue()).map(([s, value]) => ({
    signal: s,
    body: bytes(JSON.stringify(value) ?? 'null'),
  }));
  const underKey = fc
    .tuple(
      signal,
      fc.jsonValue(),
      fc.constantFrom('resourceMetrics', 'resourceLogs', 'resource_metrics'),
    )
    .map(([s, value, key]) => ({ signal: s, body: bytes(JSON.stringify({ [key]: value })) }));
  const anyText = fc
    .tuple(signal, fc.string({ unit: 'binary', maxLength: 200 }))
    .map(([s, text]) => ({
      signal: s,
      body: bytes(text),
    }));
  const mutatedBytes = fc
    .tuple(
      fc.oneof(
        valid.map(({ signal, document }) => ({ signal, body: bytes(JSON.stringify(document)) })),
        deepFixture,
      ),
      mutations,
    )
    .map(([{ signal, body }, list]) => ({ signal, body: applyMutations(body, list) }));
  return fc.oneof(
    {
      weight: 3,
      arbitrary: valid.map(({ signal, document }) => ({
        signal,
        body: bytes(JSON.stringify(document)),
      })),
    },
    { weight: 5, arbitrary: withChanges },
    { weight: 2, arbitrary: mutatedBytes },
    anyJson,
    underKey,
    anyText,
    deepFixture,
  );
}

export const otlpJson: FuzzTarget = {
  name: 'otlp-json',
  longRuns: 200_000,
  run: (runs, seed) =>
    check(
      'otlp-json',
      fc.property(jsonInputs(), bounds, ({ signal, body }, limits) =>
        checkWithBody(signal, 'otlp_json', body, limits),
      ),
      runs,
      seed,
    ),
};
