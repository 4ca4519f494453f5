import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SnapshotStore } from './snapshot.js';

const freshPath = (): string => join(mkdtempSync(join(tmpdir(), 'twinops-store-')), 'state.db');

describe('snapshot store (SQLite)', () => {
  it('has nothing to load before the first save', () => {
    const store = new SnapshotStore(freshPath());
    expect(store.load()).toBeUndefined();
    store.close();
  });

  it('keeps the latest state and offsets across a reopen', () => {
    const path = freshPath();
    const store = new SnapshotStore(path);
    store.save({ takenAtMs: 1000, chunks: ['a', 'b', 'c'], offsets: { 't:0': '5' } });
    store.save({ takenAtMs: 2000, chunks: ['d', 'e'], offsets: { 't:0': '9', 't:1': '3' } });
    store.close();
    const reopened = new SnapshotStore(path);
    expect(reopened.load()).toEqual({
      takenAtMs: 2000,
      chunks: ['d', 'e'],
      offsets: { 't:0': '9', 't:1': '3' },
    });
    reopened.close();
  });

  it('refuses to load a snapshot that lost chunks, rather than restore half a state', () => {
    const path = freshPath();
    const store = new SnapshotStore(path);
    store.save({ takenAtMs: 1000, chunks: ['a', 'b'], offsets: {} });
    store.close();
    const db = new Database(path);
    db.prepare('DELETE FROM snapshot_chunks WHERE seq = 1').run();
    db.close();
    const damaged = new SnapshotStore(path);
    expect(() => damaged.load()).toThrow('snapshot is incomplete: 1 of 2 chunks');
    damaged.close();
  });
});
