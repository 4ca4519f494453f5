import Database from 'better-sqlite3';
import type { Offsets } from '../ingest/kafka.js';

export interface StoredSnapshot<T> {
  takenAtMs: number;
  state: T;
  offsets: Offsets;
}

/**
 * The embedded store of twin state snapshots (SQLite, WAL). The state and the Kafka offsets it
 * reflects are written in one transaction, so after a crash they always agree: the restored
 * state plus the messages after those offsets is exactly what was consumed.
 */
export class SnapshotStore<T> {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS twin_snapshot (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        taken_at_ms INTEGER NOT NULL,
        state TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS kafka_offsets (
        topic_partition TEXT PRIMARY KEY,
        next_offset TEXT NOT NULL
      );
    `);
  }

  load(): StoredSnapshot<T> | undefined {
    const row = this.db
      .prepare('SELECT taken_at_ms, state FROM twin_snapshot WHERE id = 1')
      .get() as { taken_at_ms: number; state: string } | undefined;
    if (!row) return undefined;
    const offsets = Object.fromEntries(
      (
        this.db.prepare('SELECT topic_partition, next_offset FROM kafka_offsets').all() as {
          topic_partition: string;
          next_offset: string;
        }[]
      ).map((r) => [r.topic_partition, r.next_offset]),
    );
    return { takenAtMs: row.taken_at_ms, state: JSON.parse(row.state) as T, offsets };
  }

  save(snapshot: StoredSnapshot<T>): void {
    const text = JSON.stringify(snapshot.state);
    const write = this.db.transaction(() => {
      this.db
        .prepare('INSERT OR REPLACE INTO twin_snapshot (id, taken_at_ms, state) VALUES (1, ?, ?)')
        .run(Math.round(snapshot.takenAtMs), text);
      const upsert = this.db.prepare(
        'INSERT OR REPLACE INTO kafka_offsets (topic_partition, next_offset) VALUES (?, ?)',
      );
      for (const [key, offset] of Object.entries(snapshot.offsets)) upsert.run(key, offset);
    });
    write();
  }

  close(): void {
    this.db.close();
  }
}
