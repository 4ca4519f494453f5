// Reads a checkpoint's assets for a start (see checkpoints.ts): every row, in admission order,
// packed back to back into large buffers handed over whole. SQLite makes a buffer per row; a
// million of them on the main thread would keep its garbage collector busy for the whole start.
// Here they are this thread's, while the main thread restores the batches it already has.
// Plain JavaScript: a worker thread does not inherit the TypeScript loader of its parent.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const batchBytes = 8 * 2 ** 20;
const db = new Database(workerData.path, { readonly: true });
db.pragma('mmap_size = 2147418112');
const rows = db.prepare('SELECT data FROM checkpoint_assets ORDER BY admit_seq').pluck().iterate();

function nextBatch() {
  let buffer = Buffer.allocUnsafe(batchBytes);
  let length = 0;
  const ends = [];
  for (;;) {
    const next = rows.next();
    if (next.done) break;
    const row = next.value;
    if (length + row.length > buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(buffer.length * 2, length + row.length));
      buffer.copy(grown, 0, 0, length);
      buffer = grown;
    }
    row.copy(buffer, length);
    length += row.length;
    ends.push(length);
    if (length >= batchBytes) break;
  }
  return { bytes: new Uint8Array(buffer.buffer, buffer.byteOffset, length), ends };
}

// Pulled, a batch at a time, so the reader never runs far ahead of the restore.
parentPort.on('message', () => {
  try {
    const batch = nextBatch();
    if (batch.ends.length === 0) {
      db.close();
      parentPort.postMessage({ done: true });
      parentPort.close();
      return;
    }
    // A fresh buffer each batch (allocUnsafe of this size is never pooled): it moves, uncopied.
    parentPort.postMessage(batch, [batch.bytes.buffer]);
  } catch (error) {
    parentPort.postMessage({ error: error.message });
  }
});
