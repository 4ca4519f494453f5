/**
 * Exact decimal arithmetic on the decimals users write. A double read from an SDK or a YAML file
 * stands for the shortest decimal that round-trips to it (what `String(x)` prints: 1.1, not
 * 1.100000000000000088…); these helpers compute on that decimal exactly, with a BigInt mantissa,
 * so `1.1 − 1.0` is 0.1. Slow next to floats: for deciding the cases floats cannot.
 */

/** The value `mantissa × 10^exponent`. Not normalized: 1.0 and 1 may differ in form. */
export interface Decimal {
  mantissa: bigint;
  exponent: number;
}

// String(x) of a finite double: an optional sign, digits with an optional fraction, and an
// exponent ("1e+21", "1.5e-7") beyond the range it writes in full.
const numberText = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/;

/** The shortest decimal that round-trips to `value`. Throws a RangeError for NaN and infinities. */
export function shortestDecimal(value: number): Decimal {
  const match = numberText.exec(String(value));
  if (!match) throw new RangeError(`${value} has no decimal form`);
  const [, sign, whole, fraction = '', exponent = '0'] = match;
  const digits = BigInt(whole! + fraction);
  return { mantissa: sign ? -digits : digits, exponent: Number(exponent) - fraction.length };
}

export function absDecimal(a: Decimal): Decimal {
  return a.mantissa < 0n ? { mantissa: -a.mantissa, exponent: a.exponent } : a;
}

/** a − b, exactly. */
export function subtractDecimals(a: Decimal, b: Decimal): Decimal {
  const exponent = Math.min(a.exponent, b.exponent);
  return { mantissa: scaled(a, exponent) - scaled(b, exponent), exponent };
}

/** a × b, exactly. */
export function multiplyDecimals(a: Decimal, b: Decimal): Decimal {
  return { mantissa: a.mantissa * b.mantissa, exponent: a.exponent + b.exponent };
}

/** −1, 0 or 1 as a is below, equal to or above b. */
export function compareDecimals(a: Decimal, b: Decimal): -1 | 0 | 1 {
  const exponent = Math.min(a.exponent, b.exponent);
  const left = scaled(a, exponent);
  const right = scaled(b, exponent);
  return left < right ? -1 : left > right ? 1 : 0;
}

/** The mantissa of `a` written with the smaller (or equal) exponent `exponent`. */
function scaled(a: Decimal, exponent: number): bigint {
  const shift = a.exponent - exponent;
  return shift === 0 ? a.mantissa : a.mantissa * 10n ** BigInt(shift);
}
