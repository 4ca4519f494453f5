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

describe('clock skew against a receipt time in whole milliseconds', () => {
  it('is no skew for a source time within the millisecond of receipt', () => {
    // Received at 1000 ms means at some instant in [1000, 1001): 1000.4 may be before it.
    expect(isClockSkewed(1_000, 1_000.4)).toBe(false);
    expect(isClockSkewed(1_000, 1_000.999)).toBe(false);
    expect(syncLatencySeconds(1_000, 1_000.4)).toBe(0);
  });

  it('is skew from the next millisecond on, exactly +1 ms included', () => {
    expect(isClockSkewed(1_000, 1_001)).toBe(true);
    expect(isClockSkewed(1_000, 1_001.2)).toBe(true);
    expect(syncLatencySeconds(1_000, 1_001)).toBe(0);
  });

  it('holds at epoch-sized times, where a double still carries the sub-millisecond fraction', () => {
    const received = 1_700_000_000_123;
    expect(isClockSkewed(received, received + 0.456)).toBe(false);
    expect(isClockSkewed(received, received + 1)).toBe(true);
    expect(isClockSkewed(received, received - 0.5)).toBe(false);
  });

  it('never calls a positive latency skew', () => {
    expect(isClockSkewed(1_000, 999.9)).toBe(false);
    expect(syncLatencySeconds(1_000, 999.5)).toBe(0.0005);
  });
});
