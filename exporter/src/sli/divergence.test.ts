import { describe, expect, it } from 'vitest';
import type { DivergenceConfig } from '../config/types.js';
import {
  documentHash,
  isDiverged,
  resolveDivergenceRule,
  toleranceFor,
  withinTolerance,
} from './divergence.js';

describe('tolerance', () => {
  it('absolute: agrees up to and including epsilon', () => {
    const rule = { kind: 'absolute', epsilon: 0.5 } as const;
    expect(withinTolerance(rule, 10, 10.5)).toBe(true);
    expect(withinTolerance(rule, 10, 9.5)).toBe(true);
    expect(withinTolerance(rule, 10, 10.51)).toBe(false);
  });

  it('relative: epsilon times |physical|, inclusive', () => {
    const rule = { kind: 'relative', epsilon: 0.1 } as const;
    expect(withinTolerance(rule, 100, 110)).toBe(true);
    expect(withinTolerance(rule, 100, 110.01)).toBe(false);
    expect(withinTolerance(rule, -100, -91)).toBe(true);
    expect(withinTolerance(rule, -100, -89)).toBe(false);
  });

  it('relative at a physical zero: only zero agrees, without dividing by zero', () => {
    const rule = { kind: 'relative', epsilon: 0.1 } as const;
    expect(withinTolerance(rule, 0, 0)).toBe(true);
    expect(withinTolerance(rule, 0, -0)).toBe(true);
    expect(withinTolerance(rule, 0, 1e-12)).toBe(false);
    // Relative to the physical side: a zero twin against a non-zero physical is 100 % off.
    expect(withinTolerance(rule, 1e-12, 0)).toBe(false);
  });

  it('numeric rules do not excuse values that are not both numbers', () => {
    expect(withinTolerance({ kind: 'absolute', epsilon: 100 }, 1, '1')).toBe(false);
    expect(withinTolerance({ kind: 'relative', epsilon: 1 }, true, false)).toBe(false);
  });

  it('exact: enums, strings and booleans compare by value and type', () => {
    const rule = { kind: 'exact' } as const;
    expect(withinTolerance(rule, 'running', 'running')).toBe(true);
    expect(withinTolerance(rule, 'running', 'stopped')).toBe(false);
    expect(withinTolerance(rule, true, true)).toBe(true);
    expect(withinTolerance(rule, 1, true)).toBe(false);
    expect(withinTolerance(rule, 1, 1.0000001)).toBe(false);
  });

  it('hash: compares documents by a stable hash of their canonical text', () => {
    const rule = { kind: 'hash' } as const;
    expect(withinTolerance(rule, '{"a":1,"b":[2]}', '{"a":1,"b":[2]}')).toBe(true);
    expect(withinTolerance(rule, '{"a":1,"b":[2]}', '{"a":1,"b":[3]}')).toBe(false);
    expect(documentHash('{}')).toBe(
      '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
    );
  });

  it('NaN agrees with NaN only', () => {
    const rule = { kind: 'absolute', epsilon: 1 } as const;
    expect(withinTolerance(rule, NaN, NaN)).toBe(true);
    expect(withinTolerance(rule, NaN, 1)).toBe(false);
    expect(withinTolerance(rule, Infinity, Infinity)).toBe(true);
  });

  it('defaults: the configured default for numbers, exact for anything else', () => {
    const fallback = { kind: 'absolute', epsilon: 2 } as const;
    expect(toleranceFor(undefined, fallback, 1, 2)).toBe(fallback);
    expect(toleranceFor(undefined, fallback, 'a', 'b')).toEqual({ kind: 'exact' });
    expect(toleranceFor(undefined, fallback, true, false)).toEqual({ kind: 'exact' });
    expect(toleranceFor(undefined, fallback, 1, '1')).toEqual({ kind: 'exact' });
    const explicit = { kind: 'relative', epsilon: 0.1 } as const;
    expect(toleranceFor(explicit, fallback, 1, 2)).toBe(explicit);
  });
});

describe('divergence rules', () => {
  const config: DivergenceConfig = {
    graceMs: 30_000,
    defaultTolerance: { kind: 'absolute', epsilon: 0 },
    rules: [
      { property: 'speed', tolerance: { kind: 'relative', epsilon: 0.05 } },
      {
        assetClass: 'pump',
        property: 'speed',
        tolerance: { kind: 'absolute', epsilon: 3 },
        graceMs: 5_000,
      },
      { property: 'config', tolerance: { kind: 'hash' } },
    ],
  };

  it('prefer a rule for the class over a rule for every class', () => {
    expect(resolveDivergenceRule(config, 'pump', 'speed')).toEqual({
      tolerance: { kind: 'absolute', epsilon: 3 },
      graceMs: 5_000,
    });
    expect(resolveDivergenceRule(config, 'fan', 'speed')).toEqual({
      tolerance: { kind: 'relative', epsilon: 0.05 },
      graceMs: 30_000,
    });
  });

  it('leave the tolerance to the defaults when no rule names the property', () => {
    expect(resolveDivergenceRule(config, 'pump', 'temperature')).toEqual({
      tolerance: undefined,
      graceMs: 30_000,
    });
  });
});

describe('grace', () => {
  it('a difference counts only once it lasted longer than the grace period', () => {
    expect(isDiverged(1_000, 1_500, 500)).toBe(false);
    expect(isDiverged(1_000, 1_501, 500)).toBe(true);
    expect(isDiverged(1_000, 1_001, 0)).toBe(true);
    expect(isDiverged(1_000, 1_000, 0)).toBe(false);
  });

  it('values that agree are never diverged', () => {
    expect(isDiverged(undefined, 1e15, 0)).toBe(false);
  });
});
