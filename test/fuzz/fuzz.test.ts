import { describe, expect, it } from 'vitest';
import { targets } from './targets.js';

/**
 * Each fuzz target for a bounded count from a fixed seed, so a failure reproduces
 * (`TWINOPS_FUZZ_SEED=<seed> TWINOPS_FUZZ_RUNS=<runs> npm run fuzz -- <target>` or the same seed
 * here). `npm run fuzz` runs them for long.
 */
const runs: Record<string, number> = {
  'otlp-protobuf': 2_000,
  'otlp-json': 2_000,
  'command-api': 1_000,
};
const seed = 20_260_101;

describe('fuzz (fast-check, fixed seed)', () => {
  for (const target of targets) {
    it(`${target.name}: ${runs[target.name]} inputs from seed ${seed}`, async () => {
      const result = await target.run(runs[target.name] ?? 1_000, seed);
      expect(result.failure, result.failure).toBeUndefined();
      expect(result.runs).toBe(runs[target.name]);
    });
  }
});
