import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { fallbackLogger } from '../log.js';

/**
 * The journal: every change to the twin, as a numbered record, on disk before it takes effect
 * (write-ahead). A SQLite table in its own file: appends are written and flushed by a worker
 * thread, so the event loop never waits for the disk, and records that arrive while a flush is
 * under way share the next one (group commit). Records up to a checkpoint are deleted once the
 * checkpoint is safe.
 */

const schema = 'CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY, record BLOB NOT NULL)';

export interface JournalRecord {
  seq: number;
  record: Uint8Array;
}

/**
 * The records on disk after `afterSeq`, in order: read once at start, before the writer opens.
 * Creates the journal when there is none.
 */
export function* journalRecords(path: string, afterSeq: number): Generator<JournalRecord> {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.exec(schema);
    const rows = db
      .prepare('SELECT seq, record FROM journal WHERE seq > ? ORDER BY seq')
      .iterate(afterSeq) as IterableIterator<{ seq: number; record: Buffer }>;
    for (const row of rows) yield row;
  } finally {
    db.close();
  }
}

/** Thrown to the callers whose records could not be written: nothing of theirs took effect. */
export class JournalUnavailableError extends Error {}

export interface JournalListener {
  /** Every record up to `seq` is on disk. */
  durable(seq: number): void;
  /** Records from `seq` on were not written; the journal takes new ones from `nextSeq`. */
  failed(seq: number, error: JournalUnavailableError, nextSeq: number): void;
}

type WorkerMessage =
  | { type: 'durable'; seq: number }
  | { type: 'failed'; seq: number; message: string }
  | { type: 'warning'; message: string }
  | { type: 'closed' };

export class Journal {
  private readonly worker: Worker;
  private outgoing: JournalRecord[] = [];
  private flushScheduled = false;
  private durableSeq: number;
  private closed = false;
  /** The writer thread died: nothing can be written any more. */
  private broken = false;

  /** Opens the journal for appends from `nextSeq` on (the records before it were read already). */
  constructor(
    path: string,
    nextSeq: number,
    private readonly listener: JournalListener,
    private readonly warn: (message: string) => void = (m) => fallbackLogger().warn(m),
  ) {
    this.durableSeq = nextSeq - 1;
    this.worker = new Worker(new URL('./journal-worker.mjs', import.meta.url), {
      workerData: { path, nextSeq },
    });
    this.worker.on('message', (message: WorkerMessage) => this.onMessage(message));
    this.worker.on('error', (error) => {
      this.broken = true;
      this.onFailure(this.durableSeq + 1, `the journal writer stopped: ${error.message}`);
    });
  }

  /** False once the writer thread died: appends then throw. */
  get writable(): boolean {
    return !this.closed && !this.broken;
  }

  /** Queues a record; the listener hears when it is durable (or failed). */
  append(seq: number, record: Uint8Array): void {
    if (this.closed) throw new JournalUnavailableError('the journal is closed');
    if (this.broken) throw new JournalUnavailableError('the journal writer stopped');
    this.outgoing.push({ seq, record });
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Everything appended in this turn of the event loop goes to the writer as one message.
    setImmediate(() => {
      this.flushScheduled = false;
      const records = this.outgoing;
      this.outgoing = [];
      if (records.length > 0) this.worker.postMessage({ type: 'append', records });
    });
  }

  /** Deletes the records a safe checkpoint holds (through `seq`). */
  truncateThrough(seq: number): void {
    if (!this.closed) this.worker.postMessage({ type: 'truncate', throughSeq: seq });
  }

  /** Stops after writing what was appended. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.broken) return;
    if (this.outgoing.length > 0) {
      this.worker.postMessage({ type: 'append', records: this.outgoing });
      this.outgoing = [];
    }
    this.worker.postMessage({ type: 'close' });
    await once(this.worker, 'exit');
  }

  private onMessage(message: WorkerMessage): void {
    switch (message.type) {
      case 'durable':
        this.durableSeq = message.seq;
        this.listener.durable(message.seq);
        break;
      case 'failed':
        this.onFailure(message.seq, message.message);
        break;
      case 'warning':
        this.warn(message.message);
        break;
      case 'closed':
        break;
    }
  }

  private onFailure(seq: number, message: string): void {
    const nextSeq = this.durableSeq + 1;
    // Records not yet handed to the writer fail with the rest: the caller numbers anew.
    this.outgoing = [];
    if (!this.closed && !this.broken) this.worker.postMessage({ type: 'reset', nextSeq });
    this.listener.failed(
      seq,
      new JournalUnavailableError(`the journal could not be written: ${message}`),
      nextSeq,
    );
  }
}
