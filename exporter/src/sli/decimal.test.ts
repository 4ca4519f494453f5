import { describe, expect, it } from 'vitest';
import {
  absDecimal,
  compareDecimals,
  multiplyDecimals,
  shortestDecimal,
  subtractDecimals,
  type Decimal,
} from './decimal.js';

const decimal = (mantissa: bigint, exponent: number): Decimal => ({ mantissa, exponent });

describe('shortestDecimal', () => {
  it('reads the decimal String() prints, not the binary value', () => {
    expect(shortestDecimal(1.1)).toEqual(decimal(11n, -1));
    expect(shortestDecimal(0.1 + 0.2)).toEqual(decimal(30000000000000004n, -17));
    expect(shortestDecimal(1000000.1)).toEqual(decimal(10000001n, -1));
    expect(shortestDecimal(42)).toEqual(decimal(42n, 0));
    expect(shortestDecimal(-2.5)).toEqual(decimal(-25n, -1));
  });

  it('reads the exponent notation String() uses for large and small magnitudes', () => {
    expect(String(1e21)).toBe('1e+21');
    expect(shortestDecimal(1e21)).toEqual(decimal(1n, 21));
    expect(shortestDecimal(1.5e-7)).toEqual(decimal(15n, -8));
    expect(shortestDecimal(-1.0000000000000001e21)).toEqual(decimal(-10000000000000001n, 5));
    expect(shortestDecimal(Number.MIN_VALUE)).toEqual(decimal(5n, -324));
    expect(shortestDecimal(Number.MAX_VALUE)).toEqual(decimal(17976931348623157n, 292));
  });

  it('reads zero, negative zero included, as zero', () => {
    expect(shortestDecimal(0)).toEqual(decimal(0n, 0));
    expect(shortestDecimal(-0)).toEqual(decimal(0n, 0));
  });

  it('refuses what has no decimal form', () => {
    expect(() => shortestDecimal(NaN)).toThrow(RangeError);
    expect(() => shortestDecimal(Infinity)).toThrow('Infinity has no decimal form');
    expect(() => shortestDecimal(-Infinity)).toThrow(RangeError);
  });
});

describe('arithmetic', () => {
  it('subtracts exactly, across exponents', () => {
    expect(subtractDecimals(shortestDecimal(1.1), shortestDecimal(1))).toEqual(decimal(1n, -1));
    expect(subtractDecimals(shortestDecimal(1e21), shortestDecimal(1.5e-7))).toEqual(
      decimal(10n ** 28n * 10n - 15n, -8),
    );
    expect(subtractDecimals(shortestDecimal(-1), shortestDecimal(2.5))).toEqual(decimal(-35n, -1));
  });

  it('multiplies exactly', () => {
    expect(multiplyDecimals(shortestDecimal(0.02), shortestDecimal(100))).toEqual(
      decimal(200n, -2),
    );
    expect(multiplyDecimals(shortestDecimal(-1e-7), shortestDecimal(3e21))).toEqual(
      decimal(-3n, 14),
    );
  });

  it('takes the absolute value', () => {
    expect(absDecimal(decimal(-7n, 3))).toEqual(decimal(7n, 3));
    expect(absDecimal(decimal(7n, -3))).toEqual(decimal(7n, -3));
  });

  it('compares values, whatever their form', () => {
    expect(compareDecimals(decimal(1n, -1), decimal(100n, -3))).toBe(0);
    expect(compareDecimals(decimal(1n, 21), decimal(999n, 18))).toBe(1);
    expect(compareDecimals(decimal(-1n, 0), decimal(1n, -300))).toBe(-1);
    expect(compareDecimals(decimal(0n, 5), decimal(0n, -5))).toBe(0);
  });

  it('decides 1.1 − 1.0 = 0.1, which floats do not', () => {
    const difference = subtractDecimals(shortestDecimal(1.1), shortestDecimal(1));
    expect(compareDecimals(difference, shortestDecimal(0.1))).toBe(0);
    expect(1.1 - 1 <= 0.1).toBe(false);
  });
});
