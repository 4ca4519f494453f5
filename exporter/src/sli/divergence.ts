/**
 * State divergence (M2): does the twin agree with the physical asset, within the property's
 * tolerance, and has a disagreement lasted longer than its grace period?
 */
import { createHash } from 'node:crypto';
import type { DivergenceConfig, ToleranceRule } from '../config/types.js';
import type { PropertyValue } from '../model.js';

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
      return (
        typeof physical === 'number' &&
        typeof twin === 'number' &&
        Math.abs(twin - physical) <= rule.epsilon
      );
    case 'relative':
      return (
        typeof physical === 'number' &&
        typeof twin === 'number' &&
        Math.abs(twin - physical) <= rule.epsilon * Math.abs(physical)
      );
  }
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
