/**
 * State divergence (M2): does the twin agree with the physical asset, within the property's
 * tolerance, and has a disagreement lasted longer than its grace period?
 */
import { createHash } from 'node:crypto';
import type { DivergenceConfig, ToleranceRule } from '../config/types.js';
import type { PropertyValue } from '../model.js';
import {
  absDecimal,
  compareDecimals,
  multiplyDecimals,
  shortestDecimal,
  subtractDecimals,
} from './decimal.js';

/** The divergence rule configured for a class's property: explicit tolerance (if any) and grace. */
export interface ResolvedDivergenceRule {
  /** Undefined: no rule, so the default applies by value type (see `toleranceFor`). */
  tolerance: ToleranceRule | undefined;
  graceMs: number;
}

/** A class-specific rule wins over a rule for every class; no rule leaves the defaults. */
export function resolveDivergenceRule(
  config: DivergenceConfig,
  assetClass: string,
  property: string,
): ResolvedDivergenceRule {
  const rule =
    config.rules.find((r) => r.property === property && r.assetClass === assetClass) ??
    config.rules.find((r) => r.property === property && r.assetClass === undefined);
  return { tolerance: rule?.tolerance, graceMs: rule?.graceMs ?? config.graceMs };
}

const exact: ToleranceRule = { kind: 'exact' };

/** The tolerance to use: the rule's, else the default for two numbers, else exact. */
export function toleranceFor(
  explicit: ToleranceRule | undefined,
  defaultTolerance: ToleranceRule,
  physical: PropertyValue,
  twin: PropertyValue,
): ToleranceRule {
  if (explicit) return explicit;
  return typeof physical === 'number' && typeof twin === 'number' ? defaultTolerance : exact;
}

/** A stable hash of a document's canonical JSON text (equal documents are equal texts). */
export function documentHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * True when `twin` agrees with `physical` under `rule`. Numeric rules need two numbers (anything
 * else differs). Relative epsilon is relative to |physical|, multiplied rather than divided, so a
 * physical 0 is well defined: only a twin of exactly 0 agrees with it (use an absolute rule for
 * properties that rest at zero). Equal values always agree, NaN included.
 */
export function withinTolerance(
  rule: ToleranceRule,
  physical: PropertyValue,
  twin: PropertyValue,
): boolean {
  if (physical === twin || Object.is(physical, twin)) return true;
  switch (rule.kind) {
    case 'exact':
      return false;
    case 'hash':
      return documentHash(String(physical)) === documentHash(String(twin));
    case 'absolute':
    case 'relative':
      return (
        typeof physical === 'number' &&
        typeof twin === 'number' &&
        withinEpsilon(physical, twin, rule.epsilon, rule.kind === 'relative')
      );
  }
}

/**
 * |twin − physical| ≤ epsilon (× |physical| when relative), true for the decimals as written:
 * 1.1 and 1.0 are within 0.1, though the doubles nearest them are 0.10000000000000009 apart.
 * Floats decide unless the difference lies within a few ulps of the bound; only such near ties are
 * decided in exact decimal arithmetic. NaN and infinities compare as floats: NaN differs from every
 * number.
 */
function withinEpsilon(
  physical: number,
  twin: number,
  epsilon: number,
  relative: boolean,
): boolean {
  const difference = Math.abs(twin - physical);
  const bound = relative ? epsilon * Math.abs(physical) : epsilon;
  // How far the float difference and bound can be from the decimal ones: each operand is within
  // half an ulp of its decimal (ulp(x) ≤ EPSILON·|x|, or MIN_VALUE below the normal range), plus
  // the rounding of the subtraction and product. Four times that, for the margin's own rounding.
  // NaN, an infinity or an overflow makes the margin infinite or NaN: both tests below fail.
  const margin =
    4 *
    (Number.EPSILON * (Math.abs(physical) + Math.abs(twin) + Math.abs(bound)) +
      Number.MIN_VALUE * (1 + Math.abs(epsilon)));
  if (difference < bound - margin) return true;
  if (difference > bound + margin) return false;
  if (!Number.isFinite(physical) || !Number.isFinite(twin) || !Number.isFinite(epsilon)) {
    return difference <= bound;
  }
  const physicalDecimal = shortestDecimal(physical);
  const exactDifference = absDecimal(subtractDecimals(shortestDecimal(twin), physicalDecimal));
  const epsilonDecimal = shortestDecimal(epsilon);
  const exactBound = relative
    ? multiplyDecimals(epsilonDecimal, absDecimal(physicalDecimal))
    : epsilonDecimal;
  return compareDecimals(exactDifference, exactBound) <= 0;
}

/**
 * Diverged iff the values have differed continuously for longer than the grace period:
 * `differsSinceMs` is when the current disagreement began (undefined: they agree).
 */
export function isDiverged(
  differsSinceMs: number | undefined,
  nowMs: number,
  graceMs: number,
): boolean {
  return differsSinceMs !== undefined && nowMs - differsSinceMs > graceMs;
}
