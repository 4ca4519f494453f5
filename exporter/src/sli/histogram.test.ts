import { describe, expect, it } from 'vitest';
import {
  bucketBounds,
  cumulativeBuckets,
  emptyHistogram,
  observe,
  rebin,
  sameBounds,
  syncLatencyExtraBounds,
} from './histogram.js';

describe('bucket bounds', () => {
  it('contain every threshold exactly, sorted, once', () => {
    const bounds = bucketBounds([0.3, 5, 7], [0.1, 1, 5, 10]);
    expect(bounds).toEqual([0.1, 0.3, 1, 5, 7, 10]);
    for (const t of [0.3, 5, 7]) expect(bounds).toContain(t);
  });

  it('drop values that cannot be bounds of a duration', () => {
    expect(bucketBounds([-1, NaN, Infinity, 2], [])).toEqual([2]);
  });

  it('keep the default extras when thresholds coincide with them', () => {
    expect(bucketBounds([1, 5, 30], syncLatencyExtraBounds)).toHaveLength(
      syncLatencyExtraBounds.length,
    );
  });
});

describe('histogram', () => {
  it('counts a value exactly on a bound in that bound’s bucket', () => {
    const h = emptyHistogram([1, 5, 30]);
    observe(h, 5);
    observe(h, 5.000001);
    observe(h, 0);
    expect(h.counts).toEqual([1, 1, 1, 0]);
    expect(h.count).toBe(3);
    expect(h.sum).toBeCloseTo(10.000001, 9);
  });

  it('puts values beyond the last bound in +Inf, and cumulates', () => {
    const h = emptyHistogram([1, 5]);
    for (const v of [0.5, 2, 3, 100]) observe(h, v);
    expect(cumulativeBuckets(h)).toEqual([
      { le: 1, count: 1 },
      { le: 5, count: 3 },
      { le: Infinity, count: 4 },
    ]);
  });

  it('rebins onto new bounds, keeping the cumulative count at every shared bound', () => {
    const h = emptyHistogram([1, 5, 30]);
    for (const v of [0.5, 2, 3, 10, 100]) observe(h, v);
    const moved = rebin(h, [1, 2, 5, 60]);
    expect(cumulativeBuckets(moved)).toEqual([
      { le: 1, count: 1 },
      { le: 2, count: 1 }, // new bound: cannot vouch for the 2 and 3 counted under le=5
      { le: 5, count: 3 },
      { le: 60, count: 4 },
      { le: Infinity, count: 5 },
    ]);
    expect(moved.sum).toBe(h.sum);
    expect(moved.count).toBe(5);
  });

  it('compares bounds exactly', () => {
    expect(sameBounds([1, 5], [1, 5])).toBe(true);
    expect(sameBounds([1, 5], [1, 5, 30])).toBe(false);
    expect(sameBounds([1, 5], [1, 6])).toBe(false);
  });
});
