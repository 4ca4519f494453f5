import { describe, expect, it } from 'vitest';
import {
  applyDesired,
  applyReported,
  emptyVersionState,
  maxUnconvergedChanges,
  oldestUnconvergedAgeSeconds,
} from './convergence.js';

describe('convergence', () => {
  it('measures from the desired version to the first report at or above it', () => {
    const s = emptyVersionState();
    expect(applyDesired(s, 3, 10_000)).toEqual([]);
    expect(applyReported(s, 2, 12_000)).toEqual([]);
    expect(s.unconverged).toHaveLength(1);
    expect(applyReported(s, 4, 17_500)).toEqual([7.5]);
    expect(s.unconverged).toHaveLength(0);
  });

  it('one report can complete several changes, and only those at or below it', () => {
    const s = emptyVersionState();
    applyDesired(s, 1, 0);
    applyDesired(s, 2, 1_000);
    applyDesired(s, 3, 2_000);
    expect(applyReported(s, 2, 5_000)).toEqual([5, 4]);
    expect(s.unconverged).toEqual([{ version: 3, sinceMs: 2_000 }]);
  });

  it('ignores old or repeated versions (replays, out-of-order delivery)', () => {
    const s = emptyVersionState();
    applyDesired(s, 5, 1_000);
    expect(applyDesired(s, 5, 2_000)).toEqual([]);
    expect(applyDesired(s, 4, 3_000)).toEqual([]);
    expect(s.unconverged).toEqual([{ version: 5, sinceMs: 1_000 }]);
    expect(applyReported(s, 5, 4_000)).toEqual([3]);
    expect(applyReported(s, 5, 9_000)).toEqual([]);
  });

  it('a report that overtook its desire completes it at once, never negatively', () => {
    const s = emptyVersionState();
    applyReported(s, 7, 5_000);
    expect(applyDesired(s, 7, 8_000)).toEqual([0]);
    expect(applyDesired(s, 8, 9_000)).toEqual([]);
    expect(s.unconverged).toHaveLength(1);
  });

  it('folds a flood of changes into the newest, keeping its start', () => {
    const s = emptyVersionState();
    for (let v = 1; v <= maxUnconvergedChanges + 5; v++) applyDesired(s, v, v * 1_000);
    expect(s.unconverged).toHaveLength(maxUnconvergedChanges);
    expect(s.unconverged.at(-1)).toEqual({
      version: maxUnconvergedChanges + 5,
      sinceMs: maxUnconvergedChanges * 1_000,
    });
  });

  it('reports the age of the oldest unconverged change', () => {
    const s = emptyVersionState();
    expect(oldestUnconvergedAgeSeconds(s, 50_000)).toBe(0);
    applyDesired(s, 1, 10_000);
    applyDesired(s, 2, 20_000);
    expect(oldestUnconvergedAgeSeconds(s, 50_000)).toBe(40);
  });
});
