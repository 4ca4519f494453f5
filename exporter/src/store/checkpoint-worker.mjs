// The checkpoint's writer thread (see checkpoints.ts): one checkpoint is one SQLite transaction,
// begun, filled with the assets that changed in slices as the event loop encodes them, and
// committed with the aggregates and the journal position it reflects. A crash before the commit
// leaves the previous checkpoint whole. Plain JavaScript: a worker thread does not inherit the
// TypeScript loader of its parent.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
const upsert = db.prepare(
  'INSERT OR REPLACE INTO checkpoint_assets (admit_seq, data) VALUES (?, ?)',
);
const remove = db.prepare('DELETE FROM checkpoint_assets WHERE admit_seq = ?');
const remember = db.prepare(
  'INSERT OR REPLACE INTO checkpoint_recent (digest, at_ms, rejected) VALUES (?, ?, ?)',
);
const forget = db.prepare('DELETE FROM checkpoint_recent WHERE at_ms < ?');
const writeMeta = db.prepare(
  `INSERT OR REPLACE INTO checkpoint_meta (id, format, seq, taken_at_ms, config, aggregates, durable)
   VALUES (1, 1, ?, ?, ?, ?, ?)`,
);

/** The first error of the checkpoint being written: it fails at commit, and rolls back. */
let error;

function attempt(work) {
  if (error) return;
  try {
    work();
  } catch (caught) {
    error = caught;
  }
}

parentPort.on('message', (message) => {
  switch (message.type) {
    case 'begin':
      error = undefined;
      attempt(() => {
        db.exec('BEGIN IMMEDIATE');
        if (message.replaceAll) db.exec('DELETE FROM checkpoint_assets');
      });
      break;
    case 'rows':
      attempt(() => {
        const bytes = Buffer.from(message.bytes);
        let start = 0;
        message.keys.forEach((key, i) => {
          const end = message.ends[i];
          upsert.run(key, bytes.subarray(start, end));
          start = end;
        });
      });
      break;
    case 'commit':
      attempt(() => {
        for (const key of message.removed) remove.run(key);
        for (const [digest, atMs, rejected] of message.recent.added)
          remember.run(digest, atMs, rejected);
        forget.run(message.recent.keptFromMs);
        writeMeta.run(
          message.seq,
          message.takenAtMs,
          message.config,
          message.aggregates,
          message.durable,
        );
        // Earlier versions kept one whole snapshot: gone once a checkpoint replaces it.
        db.exec('DROP TABLE IF EXISTS snapshot_chunks; DROP TABLE IF EXISTS snapshot_meta;');
        db.exec('DROP TABLE IF EXISTS kafka_offsets');
        db.exec('COMMIT');
      });
      if (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        parentPort.postMessage({ type: 'failed', seq: message.seq, message: error.message });
      } else {
        parentPort.postMessage({ type: 'committed', seq: message.seq });
        try {
          db.pragma('wal_checkpoint(TRUNCATE)');
        } catch {
          // Only the WAL file's size: SQLite checkpoints it again on its own.
        }
      }
      break;
    case 'close':
      if (db.inTransaction) db.exec('ROLLBACK');
      db.close();
      parentPort.close();
      break;
  }
});
