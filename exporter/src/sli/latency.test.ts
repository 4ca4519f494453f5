import { describe, expect, it } from 'vitest';
import { isClockSkewed, syncLatencySeconds } from './latency.js';

describe('sync latency', () => {
  it('is receipt minus source time, in seconds, sub-millisecond kept', () => {
    expect(syncLatencySeconds(10_000, 7_500)).toBe(2.5);
    expect(syncLatencySeconds(1_000.5, 1_000)).toBe(0.0005);
    expect(isClockSkewed(10_000, 7_500)).toBe(false);
  });

  it('clamps a negative latency to zero and calls it clock skew', () => {
    expect(syncLatencySeconds(1_000, 4_000)).toBe(0);
    expect(isClockSkewed(1_000, 4_000)).toBe(true);
  });

  it('is zero, without skew, when both times are equal', () => {
    expect(syncLatencySeconds(5_000, 5_000)).toBe(0);
    expect(isClockSkewed(5_000, 5_000)).toBe(false);
  });
});
