// The journal's writer thread (see journal.ts): appends records to the SQLite journal and answers
// once they are on disk. Every record waiting in the port when a write starts joins it: one
// transaction and one flush for all of them (group commit), while the event loop goes on.
// Plain JavaScript: a worker thread does not inherit the TypeScript loader of its parent.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
const insert = db.prepare('INSERT INTO journal (seq, record) VALUES (?, ?)');
const truncate = db.prepare('DELETE FROM journal WHERE seq <= ?');
const append = db.transaction((records) => {
  for (const { seq, record } of records) insert.run(seq, record);
});

/** The next sequence number this writer accepts: a gap would make the journal unreplayable. */
let expected = workerData.nextSeq;
/** After a failed write nothing more is written until the parent resets the sequence. */
let failed = false;

function handle(messages) {
  let records = [];
  const flush = () => {
    if (records.length === 0) return;
    const last = records[records.length - 1].seq;
    if (!failed) {
      try {
        if (records[0].seq !== expected) {
          throw new Error(`journal record ${records[0].seq} arrived, ${expected} was expected`);
        }
        append(records);
        expected = last + 1;
        parentPort.postMessage({ type: 'durable', seq: last });
      } catch (error) {
        failed = true;
        parentPort.postMessage({ type: 'failed', seq: records[0].seq, message: error.message });
      }
    }
    records = [];
  };
  for (const message of messages) {
    if (message.type === 'append') {
      records.push(...message.records);
      continue;
    }
    flush();
    if (message.type === 'reset') {
      failed = false;
      expected = message.nextSeq;
    } else if (message.type === 'truncate') {
      try {
        truncate.run(message.throughSeq);
        db.pragma('wal_checkpoint(TRUNCATE)');
      } catch (error) {
        parentPort.postMessage({ type: 'warning', message: `journal truncate: ${error.message}` });
      }
    } else if (message.type === 'close') {
      db.close();
      parentPort.postMessage({ type: 'closed' });
      parentPort.close();
      return;
    }
  }
  flush();
}

parentPort.on('message', (first) => {
  const messages = [first];
  for (let next = receiveMessageOnPort(parentPort); next; next = receiveMessageOnPort(parentPort)) {
    messages.push(next.message);
  }
  handle(messages);
});
