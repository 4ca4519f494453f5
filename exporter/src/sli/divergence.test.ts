import { describe, expect, it } from 'vitest';
import type { DivergenceConfig } from '../config/types.js';
import {
  absDecimal,
  compareDecimals,
  multiplyDecimals,
  shortestDecimal,
  subtractDecimals,
} from './decimal.js';
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
    expect(withinTolerance(rule, 1, NaN)).toBe(false);
    expect(withinTolerance({ kind: 'relative', epsilon: 1 }, NaN, 1)).toBe(false);
    expect(withinTolerance(rule, Infinity, Infinity)).toBe(true);
  });

  it('infinities compare as floats, without throwing', () => {
    const absolute = { kind: 'absolute', epsilon: 1 } as const;
    const relative = { kind: 'relative', epsilon: 0.1 } as const;
    expect(withinTolerance(absolute, Infinity, 1e308)).toBe(false);
    expect(withinTolerance(absolute, -Infinity, Infinity)).toBe(false);
    expect(withinTolerance(relative, 1, Infinity)).toBe(false);
    expect(withinTolerance(relative, -Infinity, -Infinity)).toBe(true);
    // |1 − ∞| ≤ 0.1 × |∞| holds in floats; kept as it was.
    expect(withinTolerance(relative, Infinity, 1)).toBe(true);
    expect(withinTolerance({ kind: 'absolute', epsilon: Infinity }, 0, 1e308)).toBe(true);
  });

  it('takes differences that overflow a double without throwing', () => {
    expect(withinTolerance({ kind: 'absolute', epsilon: 1 }, -1e308, 1e308)).toBe(false);
    expect(withinTolerance({ kind: 'relative', epsilon: 2 }, -1e308, 1e308)).toBe(true);
    expect(withinTolerance({ kind: 'relative', epsilon: 1.9 }, -1e308, 1e308)).toBe(false);
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

describe('tolerance holds for the decimals as written', () => {
  const absolute = (epsilon: number) => ({ kind: 'absolute', epsilon }) as const;
  const relative = (epsilon: number) => ({ kind: 'relative', epsilon }) as const;

  it('absolute: a difference of exactly epsilon agrees, one beyond it does not', () => {
    expect(1.1 - 1 <= 0.1).toBe(false); // what the float comparison said
    expect(withinTolerance(absolute(0.1), 1, 1.1)).toBe(true);
    expect(withinTolerance(absolute(0.1), 1.1, 1)).toBe(true);
    expect(withinTolerance(absolute(0.1), 1, 1.2)).toBe(false);
    expect(withinTolerance(absolute(0.1), 1, 1.1000000000000003)).toBe(false);
    expect(withinTolerance(absolute(0.1), 1000000, 1000000.1)).toBe(true);
    expect(withinTolerance(absolute(0.1), 1000000.1, 1000000.2)).toBe(true);
    expect(withinTolerance(absolute(0.1), 1000000.1, 1000000.2000001)).toBe(false);
    expect(withinTolerance(absolute(1e-8), 1.2e-7, 1.3e-7)).toBe(true);
  });

  it('absolute: a float difference just inside epsilon still differs when the decimals do', () => {
    expect(0.7 - 0.6 <= 0.09999999999999999).toBe(true); // what the float comparison said
    expect(withinTolerance(absolute(0.09999999999999999), 0.6, 0.7)).toBe(false);
  });

  it('takes 0.1 + 0.2 as the 0.30000000000000004 it is', () => {
    const sum = 0.1 + 0.2;
    expect(withinTolerance(absolute(0), 0.3, sum)).toBe(false);
    expect(withinTolerance(absolute(4e-17), 0.3, sum)).toBe(true);
    expect(withinTolerance(absolute(3e-17), 0.3, sum)).toBe(false);
    expect(withinTolerance(relative(0), sum, sum)).toBe(true);
  });

  it('relative: exactly epsilon × |physical| agrees', () => {
    expect(withinTolerance(relative(0.02), 100, 102)).toBe(true);
    expect(withinTolerance(relative(0.02), 100, 98)).toBe(true);
    expect(withinTolerance(relative(0.02), 100, 102.0000001)).toBe(false);
    expect(1.02 - 1 <= 0.02 * 1).toBe(false); // what the float comparison said
    expect(withinTolerance(relative(0.02), 1, 1.02)).toBe(true);
    expect(withinTolerance(relative(0.02), 1, 1.0200000000000002)).toBe(false);
  });

  it('holds for negative values', () => {
    expect(withinTolerance(absolute(0.1), -1, -1.1)).toBe(true);
    expect(withinTolerance(absolute(0.1), -1, -1.2)).toBe(false);
    expect(withinTolerance(absolute(0.3), -0.1, 0.2)).toBe(true);
    expect(withinTolerance(absolute(0.3), 0.2, -0.1)).toBe(true);
    expect(withinTolerance(relative(0.02), -1, -1.02)).toBe(true);
    expect(withinTolerance(relative(0.02), -1, -0.98)).toBe(true);
    expect(withinTolerance(relative(0.02), -1, -1.0200000000000002)).toBe(false);
  });

  it('relative at a physical zero: only zero agrees, however small the twin', () => {
    expect(withinTolerance(relative(0.5), 0, Number.MIN_VALUE)).toBe(false);
    expect(withinTolerance(relative(1e300), 0, Number.MIN_VALUE)).toBe(false);
    expect(withinTolerance(relative(0.5), 0, -0)).toBe(true);
  });

  it('holds for magnitudes String() writes in exponent notation', () => {
    expect(withinTolerance(absolute(1e-7), 1e-7, 2e-7)).toBe(true);
    expect(withinTolerance(absolute(1e-7), 1e-7, 2.0000000000000002e-7)).toBe(false);
    expect(withinTolerance(absolute(1e20), 1e21, 1.1e21)).toBe(true);
    expect(withinTolerance(absolute(1e20), 1e21, 1.1000000000000001e21)).toBe(false);
    expect(withinTolerance(relative(0.1), 3e21, 3.3e21)).toBe(true);
    expect(withinTolerance(relative(0.1), 3e21, 3.3000000000000005e21)).toBe(false);
    expect(withinTolerance(absolute(1e-323), 0, 1e-323)).toBe(true);
  });

  /** The rule decided in exact decimal arithmetic alone: what the fast path must agree with. */
  function exactlyWithin(physical: number, twin: number, epsilon: number, isRelative: boolean) {
    const physicalDecimal = shortestDecimal(physical);
    const difference = absDecimal(subtractDecimals(shortestDecimal(twin), physicalDecimal));
    const bound = isRelative
      ? multiplyDecimals(shortestDecimal(epsilon), absDecimal(physicalDecimal))
      : shortestDecimal(epsilon);
    return compareDecimals(difference, bound) <= 0;
  }

  it('agrees with exact decimal arithmetic on values at, just inside and just beyond the bound', () => {
    let seed = 42n;
    const random = (below: number): number => {
      seed = (seed * 6364136223846793005n + 1442695040888963407n) % 2n ** 64n;
      return Number((seed >> 16n) % BigInt(below));
    };
    let floatsWrong = 0;
    for (let i = 0; i < 20_000; i++) {
      const isRelative = random(2) === 1;
      const scale = random(5) === 0 ? random(600) - 300 : random(24) - 12;
      const physical = Number(`${random(2) ? '-' : ''}${random(1_000_000)}e${scale}`);
      const epsilon = Number(`${1 + random(999)}e${scale - random(6) - (isRelative ? 6 : 0)}`);
      const bound = isRelative ? epsilon * Math.abs(physical) : epsilon;
      // The twin at the bound, written as a decimal, then nudged by a unit in one of its last digits.
      const atBound = physical + (random(2) ? bound : -bound);
      const nudge = [0, 0, 1, -1, 2, -2][random(6)]!;
      const digits = 15 + random(3);
      const twin = Number(atBound.toPrecision(digits)) * (1 + nudge * 10 ** -digits);
      if (!Number.isFinite(twin)) continue;
      const rule = isRelative ? relative(epsilon) : absolute(epsilon);
      const expected = exactlyWithin(physical, twin, epsilon, isRelative);
      if (expected !== Math.abs(twin - physical) <= bound) floatsWrong++;
      expect(
        withinTolerance(rule, physical, twin),
        `${twin} vs ${physical}, ${rule.kind} ${epsilon}`,
      ).toBe(expected);
    }
    expect(floatsWrong).toBeGreaterThan(100); // the cases reached the boundary floats get wrong
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
