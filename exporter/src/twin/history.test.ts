import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter } from '../bytes.js';
import { HistoryStore, readHistory, type HistoryEntry } from './history.js';

describe('the history store', () => {
  it('keeps the last entries of each ring in arrival order, numbers, booleans and strings alike', () => {
    const store = new HistoryStore(3);
    const a = store.allocate();
    const b = store.allocate();
    store.push(a, 'physical', 1, 1.5);
    store.push(b, 'twin', 1, 'b1');
    store.push(a, 'twin', 2, 'on');
    store.push(a, 'physical', 3, true);
    expect(store.toArray(a)).toEqual([
      { source: 'physical', sourceTimeMs: 1, value: 1.5 },
      { source: 'twin', sourceTimeMs: 2, value: 'on' },
      { source: 'physical', sourceTimeMs: 3, value: true },
    ]);
    // Full: the oldest goes first; a string slot overwritten by a number keeps no string.
    store.push(a, 'physical', 4, false);
    store.push(a, 'physical', 5, NaN);
    expect(store.toArray(a).map((e) => [e.sourceTimeMs, e.value])).toEqual([
      [3, true],
      [4, false],
      [5, NaN],
    ]);
    expect(store.size(a)).toBe(3);
    expect(store.toArray(b)).toEqual([{ source: 'twin', sourceTimeMs: 1, value: 'b1' }]);
  });

  it('gives a released ring out again, empty', () => {
    const store = new HistoryStore(2);
    const a = store.allocate();
    store.push(a, 'physical', 1, 'x');
    store.release(a);
    expect(store.ringsInUse).toBe(0);
    const again = store.allocate();
    expect(again).toBe(a);
    expect(store.toArray(again)).toEqual([]);
    store.push(again, 'physical', 2, 7);
    expect(store.toArray(again)).toEqual([{ source: 'physical', sourceTimeMs: 2, value: 7 }]);
  });

  it('grows by chunks without disturbing the rings it holds', () => {
    const store = new HistoryStore(4);
    const rings = Array.from({ length: 10_000 }, () => store.allocate());
    rings.forEach((ring, i) => store.push(ring, 'twin', i, i * 0.5));
    expect(store.ringsInUse).toBe(10_000);
    expect(store.toArray(rings[0]!)).toEqual([{ source: 'twin', sourceTimeMs: 0, value: 0 }]);
    expect(store.toArray(rings[9_999]!)).toEqual([
      { source: 'twin', sourceTimeMs: 9_999, value: 4_999.5 },
    ]);
  });

  it('encodes a ring oldest first, wrapped or not, and reads it back entry by entry', () => {
    const store = new HistoryStore(4);
    const ring = store.allocate();
    const pushed: [string, number, number | string | boolean][] = [
      ['physical', 1, 1.25],
      ['twin', 2, 'auto'],
      ['physical', 3, true],
      ['twin', 4, NaN],
      ['physical', 5, 'manual'],
      ['twin', 6, -0],
    ];
    const roundTrip = () => {
      const out = new ByteWriter(8);
      store.encode(ring, out);
      const read: HistoryEntry[] = [];
      const input = new ByteReader(out.copy());
      readHistory(input, (source, sourceTimeMs, value) =>
        read.push({ source, sourceTimeMs, value }),
      );
      expect(input.done).toBe(true);
      return read;
    };
    expect(roundTrip()).toEqual([]);
    for (const [i, [source, time, value]] of pushed.entries()) {
      store.push(ring, source as 'physical' | 'twin', time, value);
      expect(roundTrip(), `after ${i + 1} entries`).toEqual(store.toArray(ring));
    }
    expect(roundTrip().map((e) => e.value)).toEqual([true, NaN, 'manual', -0]);
  });
});
