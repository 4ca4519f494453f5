import Database from 'better-sqlite3';
import type { Offsets } from '../ingest/kafka.js';

export interface StoredSnapshot {
  takenAtMs: number;
  /** The state as text chunks, in order (large fleets do not fit one string). */
  chunks: string[];
  /** Kafka offsets the state reflects: the next message to apply per partition. */
  offsets: Offsets;
}

/**
 * The embedded store of twin state snapshots (SQLite, WAL). The state and the Kafka offsets it
 * reflects are written in one transaction, so after a crash they always agree: the restored
 * state plus the messages after those offsets is exactly what was consumed.
 */
export class SnapshotStore {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS snapshot_meta (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        taken_at_ms INTEGER NOT NULL,
        chunk_count INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS snapshot_chunks (seq INTEGER PRIMARY KEY, data TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS kafka_offsets (
        topic_partition TEXT PRIMARY KEY,
        next_offset TEXT NOT NULL
      );
    `);
  }

  load(): StoredSnapshot | undefined {
    const meta = this.db
      .prepare('SELECT taken_at_ms, chunk_count FROM snapshot_meta WHERE id = 1')
      .get() as { taken_at_ms: number; chunk_count: number } | undefined;
    if (!meta) return undefined;
    const chunks = (
      this.db.prepare('SELECT data FROM snapshot_chunks ORDER BY seq').all() as { data: string }[]
    ).map((row) => row.data);
    if (chunks.length !== meta.chunk_count) {
      throw new Error(`snapshot is incomplete: ${chunks.length} of ${meta.chunk_count} chunks`);
    }
    const offsets = Object.fromEntries(
      (
        this.db.prepare('SELECT topic_partition, next_offset FROM kafka_offsets').all() as {
          topic_partition: string;
          next_offset: string;
        }[]
      ).map((row) => [row.topic_partition, row.next_offset]),
    );
    return { takenAtMs: meta.taken_at_ms, chunks, offsets };
  }

  save(snapshot: StoredSnapshot): void {
    const write = this.db.transaction(() => {
      this.db.prepare('DELETE FROM snapshot_chunks').run();
      const insert = this.db.prepare('INSERT INTO snapshot_chunks (seq, data) VALUES (?, ?)');
      snapshot.chunks.forEach((chunk, seq) => insert.run(seq, chunk));
      this.db
        .prepare(
          'INSERT OR REPLACE INTO snapshot_meta (id, taken_at_ms, chunk_count) VALUES (1, ?, ?)',
        )
        .run(Math.round(snapshot.takenAtMs), snapshot.chunks.length);
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
