/**
 * Prediction accuracy (M3) and model version coverage (M6). A prediction waits until the physical
 * value for its target time arrives; then it is scored, by error (regression) or by confusion
 * matrix cell (classification). Sums and counts only: RMSE and MAE are PromQL over any window.
 */
import type { PredictionConfig, PredictionRule, ToleranceRule } from '../config/types.js';
import type { ModelRef, PropertyValue } from '../model.js';
import { withinTolerance } from './divergence.js';

export type Classification = 'tp' | 'fp' | 'fn' | 'tn';
export const classifications: readonly Classification[] = ['tp', 'fp', 'fn', 'tn'];

/**
 * How a model's predictions of a property are scored. A rule naming the model wins over one for
 * any model. Without a rule, numbers are still scored as regression, judged against the
 * divergence default tolerance (the same "close enough" the twin itself is held to); other values
 * cannot be scored without knowing the positive class.
 */
export type ScoringRule =
  | { kind: 'regression'; tolerance: ToleranceRule }
  | { kind: 'classification'; positive: PropertyValue };

export function resolveScoringRule(
  config: PredictionConfig,
  defaultTolerance: ToleranceRule,
  model: string,
  property: string,
  predicted: PropertyValue,
): ScoringRule | undefined {
  const rule: PredictionRule | undefined =
    config.rules.find((r) => r.property === property && r.model === model) ??
    config.rules.find((r) => r.property === property && r.model === undefined);
  if (rule?.kind === 'classification') return { kind: 'classification', positive: rule.positive };
  if (rule?.kind === 'regression') return { kind: 'regression', tolerance: rule.tolerance };
  return typeof predicted === 'number'
    ? { kind: 'regression', tolerance: defaultTolerance }
    : undefined;
}

export interface RegressionScore {
  /** predicted − actual */
  error: number;
  withinTolerance: boolean;
}

/** Scores a numeric prediction; the tolerance is relative to |actual| for relative rules. */
export function scoreRegression(
  predicted: number,
  actual: number,
  tolerance: ToleranceRule,
): RegressionScore {
  return {
    error: predicted - actual,
    withinTolerance: withinTolerance(tolerance, actual, predicted),
  };
}

/** The confusion matrix cell of one prediction against the actual value. */
export function classify(
  predicted: PropertyValue,
  actual: PropertyValue,
  positive: PropertyValue,
): Classification {
  const predictedPositive = predicted === positive;
  const actualPositive = actual === positive;
  if (predictedPositive) return actualPositive ? 'tp' : 'fp';
  return actualPositive ? 'fn' : 'tn';
}

/** An actual observed at `actualTimeMs` scores a prediction for `targetTimeMs` (window inclusive). */
export function matchesTarget(
  targetTimeMs: number,
  actualTimeMs: number,
  matchWindowMs: number,
): boolean {
  return Math.abs(actualTimeMs - targetTimeMs) <= matchWindowMs;
}

/** A prediction still unmatched more than `expireAfterMs` after its target time expires. */
export function isExpired(targetTimeMs: number, nowMs: number, expireAfterMs: number): boolean {
  return nowMs - targetTimeMs > expireAfterMs;
}

/** Model version coverage: is this (name, version) pair vetted for production? */
export function isVetted(
  vetted: readonly { name: string; version: string }[],
  model: ModelRef,
): boolean {
  return vetted.some((v) => v.name === model.name && v.version === model.version);
}
