import { describe, expect, it } from 'vitest';
import type { PredictionConfig } from '../config/types.js';
import {
  classify,
  isExpired,
  isVetted,
  matchesTarget,
  resolveScoringRule,
  scoreRegression,
} from './prediction.js';

describe('regression scoring', () => {
  it('error is predicted minus actual', () => {
    expect(scoreRegression(12, 10, { kind: 'absolute', epsilon: 1 })).toEqual({
      error: 2,
      withinTolerance: false,
    });
    expect(scoreRegression(9, 10, { kind: 'absolute', epsilon: 1 })).toEqual({
      error: -1,
      withinTolerance: true,
    });
  });

  it('relative tolerance is relative to the actual value', () => {
    expect(scoreRegression(105, 100, { kind: 'relative', epsilon: 0.05 }).withinTolerance).toBe(
      true,
    );
    expect(scoreRegression(100, 95, { kind: 'relative', epsilon: 0.05 }).withinTolerance).toBe(
      false,
    );
  });

  it('a prediction off by exactly the tolerance, as written, is within it', () => {
    // 21.6 − 21.5 is 0.10000000000000142 in binary floating point.
    expect(scoreRegression(21.6, 21.5, { kind: 'absolute', epsilon: 0.1 })).toEqual({
      error: 21.6 - 21.5,
      withinTolerance: true,
    });
    expect(scoreRegression(1.05, 1, { kind: 'relative', epsilon: 0.05 }).withinTolerance).toBe(
      true,
    );
    expect(
      scoreRegression(21.60001, 21.5, { kind: 'absolute', epsilon: 0.1 }).withinTolerance,
    ).toBe(false);
  });
});

describe('classification', () => {
  it('counts each confusion matrix cell against the positive value', () => {
    expect(classify('fault', 'fault', 'fault')).toBe('tp');
    expect(classify('fault', 'ok', 'fault')).toBe('fp');
    expect(classify('ok', 'fault', 'fault')).toBe('fn');
    expect(classify('ok', 'degraded', 'fault')).toBe('tn');
    expect(classify(true, true, true)).toBe('tp');
    expect(classify(1, true, true)).toBe('fn');
  });
});

describe('matching and expiry', () => {
  it('an actual scores a prediction within the window, both edges inclusive', () => {
    expect(matchesTarget(10_000, 12_000, 2_000)).toBe(true);
    expect(matchesTarget(10_000, 8_000, 2_000)).toBe(true);
    expect(matchesTarget(10_000, 12_001, 2_000)).toBe(false);
    expect(matchesTarget(10_000, 7_999, 2_000)).toBe(false);
  });

  it('a prediction expires once more than expireAfterMs past its target', () => {
    expect(isExpired(10_000, 70_000, 60_000)).toBe(false);
    expect(isExpired(10_000, 70_001, 60_000)).toBe(true);
  });
});

describe('scoring rules', () => {
  const config: PredictionConfig = {
    matchWindowMs: 1_000,
    expireAfterMs: 60_000,
    rules: [
      { kind: 'regression', property: 'flow', tolerance: { kind: 'absolute', epsilon: 2 } },
      {
        kind: 'regression',
        property: 'flow',
        model: 'special',
        tolerance: { kind: 'relative', epsilon: 0.1 },
      },
      { kind: 'classification', property: 'state', positive: 'fault' },
    ],
  };
  const fallback = { kind: 'absolute', epsilon: 0.5 } as const;

  it('prefer the rule naming the model', () => {
    expect(resolveScoringRule(config, fallback, 'special', 'flow', 1)).toEqual({
      kind: 'regression',
      tolerance: { kind: 'relative', epsilon: 0.1 },
    });
    expect(resolveScoringRule(config, fallback, 'other', 'flow', 1)).toEqual({
      kind: 'regression',
      tolerance: { kind: 'absolute', epsilon: 2 },
    });
    expect(resolveScoringRule(config, fallback, 'other', 'state', 'ok')).toEqual({
      kind: 'classification',
      positive: 'fault',
    });
  });

  it('score numbers without a rule against the default tolerance; nothing else', () => {
    expect(resolveScoringRule(config, fallback, 'm', 'pressure', 3)).toEqual({
      kind: 'regression',
      tolerance: fallback,
    });
    expect(resolveScoringRule(config, fallback, 'm', 'mode', 'auto')).toBeUndefined();
  });
});

describe('model version coverage', () => {
  it('a pair is vetted only when name and version both match', () => {
    const vetted = [{ name: 'flow', version: '1.2' }];
    expect(isVetted(vetted, { name: 'flow', version: '1.2' })).toBe(true);
    expect(isVetted(vetted, { name: 'flow', version: '1.3' })).toBe(false);
    expect(isVetted(vetted, { name: 'other', version: '1.2' })).toBe(false);
  });
});
