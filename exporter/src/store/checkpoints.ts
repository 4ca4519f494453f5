import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';

/**
 * The checkpoint store (SQLite): the twin as of one journal position. Each asset is a row keyed
 * by its admission number, rewritten only when the asset changed; the aggregates, the
 * configuration in force and the journal position are one row beside them. A checkpoint is one
 * transaction, written by a worker thread, so writing one never stalls the event loop.
 */

const schema = `
  CREATE TABLE IF NOT EXISTS checkpoint_meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    format INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    taken_at_ms INTEGER NOT NULL,
    config TEXT NOT NULL,
    aggregates TEXT NOT NULL,
    durable TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS checkpoint_assets (admit_seq INTEGER PRIMARY KEY, data BLOB NOT NULL);
  CREATE TABLE IF NOT EXISTS checkpoint_recent (
    digest TEXT PRIMARY KEY,
    at_ms REAL NOT NULL,
    rejected INTEGER NOT NULL
  );
`;

/** An OTLP request applied recently: its digest, when, and how many points it rejected. */
export type RecentRow = [digest: string, atMs: number, rejected: number];

export interface CheckpointMeta {
  /** The last journal record the checkpoint reflects. */
  seq: number;
  takenAtMs: number;
  /** JSON texts, as the durable twin wrote them. */
  config: string;
  aggregates: string;
  durable: string;
}

/** A whole snapshot as earlier versions stored it: its JSON chunks and Kafka offsets. */
export interface LegacySnapshot {
  chunks: string[];
  offsets: Record<string, string>;
}

/** Reads the store at start (on the event loop, before anything is served). */
export class CheckpointReader {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // A start reads every row once: mapped pages spare a copy each.
    this.db.pragma('mmap_size = 2147418112');
    this.db.exec(schema);
  }

  meta(): CheckpointMeta | undefined {
    const row = this.db
      .prepare(
        'SELECT seq, taken_at_ms, config, aggregates, durable FROM checkpoint_meta WHERE id = 1',
      )
      .get() as
      | { seq: number; taken_at_ms: number; config: string; aggregates: string; durable: string }
      | undefined;
    return row && { ...row, takenAtMs: row.taken_at_ms };
  }

  /** The recent requests, oldest first. */
  recent(): RecentRow[] {
    return this.db
      .prepare('SELECT digest, at_ms, rejected FROM checkpoint_recent ORDER BY at_ms, rowid')
      .raw()
      .all() as RecentRow[];
  }

  /** The whole snapshot an earlier version left, if any (read once to migrate). */
  legacy(): LegacySnapshot | undefined {
    const has = (table: string) =>
      this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table);
    if (!has('snapshot_meta') || !has('snapshot_chunks')) return undefined;
    const meta = this.db.prepare('SELECT chunk_count FROM snapshot_meta WHERE id = 1').get() as
      { chunk_count: number } | undefined;
    if (!meta) return undefined;
    const chunks = this.db
      .prepare('SELECT data FROM snapshot_chunks ORDER BY seq')
      .pluck()
      .all() as string[];
    if (chunks.length !== meta.chunk_count) {
      throw new Error(`snapshot is incomplete: ${chunks.length} of ${meta.chunk_count} chunks`);
    }
    const offsets = has('kafka_offsets')
      ? Object.fromEntries(
          (
            this.db.prepare('SELECT topic_partition, next_offset FROM kafka_offsets').all() as {
              topic_partition: string;
              next_offset: string;
            }[]
          ).map((row) => [row.topic_partition, row.next_offset]),
        )
      : {};
    return { chunks, offsets };
  }

  close(): void {
    this.db.close();
  }
}

export interface CheckpointCommit {
  seq: number;
  takenAtMs: number;
  config: string;
  aggregates: string;
  durable: string;
  /** Admission numbers of the assets gone since the previous checkpoint. */
  removed: number[];
  /** Recent requests applied since the previous checkpoint, and the oldest time still kept. */
  recent: { added: RecentRow[]; keptFromMs: number };
}

/** Assets encoded back to back: asset i is bytes[ends[i-1]..ends[i]). */
export interface AssetBatch {
  bytes: Uint8Array;
  ends: number[];
}

type ReaderMessage = AssetBatch | { done: true } | { error: string };

/**
 * The checkpointed assets in admission order, in batches read by a worker thread while the
 * caller restores the batch before (see checkpoint-reader-worker.mjs).
 */
export async function* checkpointAssets(path: string): AsyncGenerator<AssetBatch> {
  const worker = new Worker(new URL('./checkpoint-reader-worker.mjs', import.meta.url), {
    workerData: { path },
  });
  const replies: ReaderMessage[] = [];
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  worker.on('message', (message: ReaderMessage) => {
    replies.push(message);
    wake?.();
  });
  worker.on('error', (error) => {
    failure = error;
    wake?.();
  });
  const reply = async (): Promise<ReaderMessage> => {
    while (replies.length === 0) {
      if (failure) throw failure;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    return replies.shift() as ReaderMessage;
  };
  try {
    worker.postMessage('next');
    for (;;) {
      const message = await reply();
      if ('error' in message) throw new Error(`reading the checkpoint ${path}: ${message.error}`);
      if ('done' in message) return;
      worker.postMessage('next'); // read the next batch while this one is restored
      yield message;
    }
  } finally {
    await worker.terminate();
  }
}

type WriterMessage =
  { type: 'committed'; seq: number } | { type: 'failed'; seq: number; message: string };

/** Writes checkpoints through a worker thread; one at a time. */
export class CheckpointWriter {
  private readonly worker: Worker;
  private waiting: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private broken: Error | undefined;

  constructor(path: string) {
    this.worker = new Worker(new URL('./checkpoint-worker.mjs', import.meta.url), {
      workerData: { path },
    });
    this.worker.on('message', (message: WriterMessage) => {
      const waiting = this.waiting;
      this.waiting = undefined;
      if (message.type === 'committed') waiting?.resolve();
      else waiting?.reject(new Error(`checkpoint ${message.seq} failed: ${message.message}`));
    });
    this.worker.on('error', (error) => {
      this.broken = error;
      this.waiting?.reject(error);
      this.waiting = undefined;
    });
  }

  /** Starts a checkpoint; `replaceAll`: every asset will be written (the old rows go). */
  begin(replaceAll: boolean): void {
    this.worker.postMessage({ type: 'begin', replaceAll });
  }

  /** Assets encoded back to back in `bytes`: row i is bytes[ends[i-1]..ends[i]) under keys[i]. */
  rows(bytes: Uint8Array, keys: number[], ends: number[]): void {
    // A copy of its own, so its memory moves to the writer rather than being copied again.
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    const payload = own ? bytes : bytes.slice();
    this.worker.postMessage({ type: 'rows', bytes: payload, keys, ends }, [
      payload.buffer as ArrayBuffer,
    ]);
  }

  /** Ends the checkpoint; resolves once it is on disk, rejects if any part of it failed. */
  commit(commit: CheckpointCommit): Promise<void> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.worker.postMessage({ type: 'commit', ...commit });
    });
  }

  async close(): Promise<void> {
    if (this.broken) return;
    this.worker.postMessage({ type: 'close' });
    await once(this.worker, 'exit');
  }
}
