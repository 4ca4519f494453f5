/**
 * OTLP protobuf bodies into `decodeAndNormalize`: arbitrary bytes, and valid encodings (generated
 * requests, the repository's fixtures) with their bytes mutated. See otlp-invariants.ts for what
 * must hold.
 */
import fc from 'fast-check';
import type { Signal } from '../../exporter/src/model.js';
import { deepLogBodyProtobuf, encode } from '../../exporter/test/ingest/otlp/testing.js';
import { assetsRequest } from '../support/acknowledged-load.js';
import { payload } from '../bench/ingest-throughput.js';
import { applyMutations, mutations, request } from './otlp-arbitraries.js';
import { checkBody, type Bounds } from './otlp-invariants.js';
import { check, type FuzzTarget } from './run.js';

const signal = fc.constantFrom<Signal>('metrics', 'logs');

/** Fixed valid bodies the repository itself sends: load, benchmark and deep-nesting fixtures. */
const fixtures: { signal: Signal; body: Uint8Array }[] = [
  { signal: 'metrics', body: assetsRequest('pump', ['pump-1', 'pump-2'], 7, Date.now()).body },
  { signal: 'metrics', body: payload(0, Date.now()).body },
  ...[1, 31, 32, 33, 40].map((depth) => ({
    signal: 'logs' as const,
    body: deepLogBodyProtobuf(depth),
  })),
];

export function protobufInputs(): fc.Arbitrary<{ signal: Signal; body: Uint8Array }> {
  const generated = signal.chain((s) =>
    request(s, false).map((r) => ({ signal: s, body: encode(s, 'otlp_proto', r) })),
  );
  const mutated = (valid: fc.Arbitrary<{ signal: Signal; body: Uint8Array }>) =>
    fc
      .tuple(valid, mutations)
      .map(([{ signal, body }, list]) => ({ signal, body: applyMutations(body, list) }));
  return fc.oneof(
    { weight: 3, arbitrary: generated },
    { weight: 4, arbitrary: mutated(generated) },
    { weight: 2, arbitrary: mutated(fc.constantFrom(...fixtures)) },
    fc.record({ signal, body: fc.uint8Array({ maxLength: 512 }) }),
  );
}

/** Unbounded (as replay decodes), or with caps small enough that generated bodies reach them. */
export const bounds: fc.Arbitrary<Bounds> = fc.option(
  fc.record({
    maxElements: fc.integer({ min: 1, max: 20_000 }),
    maxPoints: fc.integer({ min: 0, max: 50 }),
  }),
  { nil: undefined },
);

/** Runs the checks, naming the exact body when they fail (base64, to replay by hand). */
export function checkWithBody(
  signal: Signal,
  encoding: 'otlp_proto' | 'otlp_json',
  body: Uint8Array,
  limits?: Bounds,
) {
  try {
    checkBody(signal, encoding, body, limits);
  } catch (error) {
    const bytes = Buffer.from(body);
    const shown =
      bytes.length > 4096 ? `${bytes.length} bytes` : `base64 ${bytes.toString('base64')}`;
    (error as Error).message +=
      `\n  input: ${signal} ${encoding}, ${shown}, bounds ${JSON.stringify(limits)}`;
    throw error;
  }
}

export const otlpProtobuf: FuzzTarget = {
  name: 'otlp-protobuf',
  longRuns: 200_000,
  run: (runs, seed) =>
    check(
      'otlp-protobuf',
      fc.property(protobufInputs(), bounds, ({ signal, body }, limits) =>
        checkWithBody(signal, 'otlp_proto', body, limits),
      ),
      runs,
      seed,
    ),
};
