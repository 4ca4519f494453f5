import { describe, expect, it } from 'vitest';
import { timeOrderedUuid } from './ids.js';

describe('command ids', () => {
  it('are version 7 UUIDs carrying the time, unique, and sorting in the order they were made', () => {
    const at = Date.UTC(2026, 11, 4, 7, 0, 0);
    const ids = Array.from({ length: 2_000 }, (_, i) => timeOrderedUuid(at + Math.floor(i / 10)));
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(parseInt(ids[0]!.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
    // Ids of a later millisecond sort after every id of an earlier one.
    for (let i = 10; i < ids.length; i += 10) expect(ids[i - 1]! < ids[i]!).toBe(true);
  });
});
