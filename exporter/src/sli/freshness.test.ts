import { describe, expect, it } from 'vitest';
import { isFresh, staleAfterMsFor } from './freshness.js';

const config = { staleAfterMs: 60_000, classes: { pump: { staleAfterMs: 30_000 } } };

describe('freshness', () => {
  it('is fresh up to and including the limit, stale after it', () => {
    expect(isFresh(160_000, 100_000, 60_000)).toBe(true);
    expect(isFresh(160_001, 100_000, 60_000)).toBe(false);
  });

  it('counts an asset never heard from physically as stale', () => {
    expect(isFresh(0, undefined, 60_000)).toBe(false);
  });

  it('is fresh when the source clock is ahead (negative age)', () => {
    expect(isFresh(100_000, 150_000, 60_000)).toBe(true);
  });

  it('takes the per-class override, else the default', () => {
    expect(staleAfterMsFor(config, 'pump')).toBe(30_000);
    expect(staleAfterMsFor(config, 'valve')).toBe(60_000);
    expect(staleAfterMsFor(config, 'toString')).toBe(60_000);
  });
});
