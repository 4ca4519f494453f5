import { describe, expect, it } from 'vitest';
import { RecentRequests } from './recent-requests.js';

describe('recent requests', () => {
  it('forgets requests older than the window, oldest first', () => {
    const recent = new RecentRequests(1_000, 100);
    recent.remember('a', 0, 0);
    recent.remember('b', 500, 2);
    recent.remember('c', 1_000, 0);
    expect(recent.get('a')).toEqual({ atMs: 0, rejected: 0 });
    recent.remember('d', 1_001, 0);
    expect(recent.get('a')).toBeUndefined();
    expect(recent.get('b')).toEqual({ atMs: 500, rejected: 2 });
    expect(recent.size).toBe(3);
  });

  it('keeps at most maxRequests', () => {
    const recent = new RecentRequests(60_000, 2);
    for (const key of ['a', 'b', 'c']) recent.remember(key, 10, 0);
    expect([recent.get('a'), recent.get('b'), recent.get('c')].map(Boolean)).toEqual([
      false,
      true,
      true,
    ]);
  });

  it('hands a checkpoint what it remembered since the last one, and takes it back on failure', () => {
    const recent = new RecentRequests(1_000, 10);
    recent.remember('a', 0, 1);
    expect(recent.takeAdded()).toEqual({ added: [['a', 0, 1]], keptFromMs: 0 });
    recent.remember('b', 2_000, 0); // 'a' leaves the window
    const taken = recent.takeAdded();
    expect(taken).toEqual({ added: [['b', 2_000, 0]], keptFromMs: 2_000 });
    recent.restoreAdded(taken.added);
    recent.remember('c', 2_001, 0);
    expect(recent.takeAdded().added).toEqual([
      ['b', 2_000, 0],
      ['c', 2_001, 0],
    ]);
    const empty = new RecentRequests(1_000, 10);
    expect(empty.takeAdded()).toEqual({ added: [], keptFromMs: Infinity });
  });

  it('restores what a checkpoint stored, under the limits in force now', () => {
    const recent = RecentRequests.from(
      [
        ['a', 1, 0],
        ['b', 2, 0],
        ['c', 3, 4],
      ],
      1_000,
      2,
    );
    expect(recent.get('a')).toBeUndefined();
    expect(recent.get('c')).toEqual({ atMs: 3, rejected: 4 });
  });
});
