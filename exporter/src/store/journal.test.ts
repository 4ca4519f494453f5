import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal, JournalUnavailableError, journalRecords } from './journal.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'twinops-journal-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A journal whose answers are collected, with a promise for the next one. */
function opened(path: string, nextSeq: number) {
  const heard: string[] = [];
  let wake: () => void = () => {};
  const journal = new Journal(path, nextSeq, {
    durable: (seq) => (heard.push(`durable ${seq}`), wake()),
    failed: (seq, error, next) => {
      expect(error).toBeInstanceOf(JournalUnavailableError);
      heard.push(`failed ${seq}, next ${next}`);
      wake();
    },
  });
  const until = async (text: string) => {
    while (!heard.includes(text)) await new Promise<void>((resolve) => (wake = resolve));
  };
  return { journal, heard, until };
}

const bytes = (n: number) => Uint8Array.of(n, n + 1);

describe('the journal', () => {
  it('writes records in order, groups those of one turn, and reads them back after a reopen', async () => {
    const path = join(dir, 'j.db');
    expect([...journalRecords(path, 0)]).toEqual([]); // creates it
    const { journal, heard, until } = opened(path, 1);
    for (let seq = 1; seq <= 5; seq++) journal.append(seq, bytes(seq));
    await until('durable 5');
    expect(heard).toEqual(['durable 5']);
    await journal.close();
    expect([...journalRecords(path, 2)].map((r) => [r.seq, [...r.record]])).toEqual([
      [3, [3, 4]],
      [4, [4, 5]],
      [5, [5, 6]],
    ]);
  });

  it('refuses a gap in the numbering, then takes records again from where it stands', async () => {
    const path = join(dir, 'j.db');
    expect([...journalRecords(path, 0)]).toEqual([]); // creates it
    const { journal, heard, until } = opened(path, 1);
    journal.append(1, bytes(1));
    await until('durable 1');
    journal.append(3, bytes(3)); // 2 never came
    await until('failed 3, next 2');
    journal.append(2, bytes(2));
    await until('durable 2');
    expect(heard).toEqual(['durable 1', 'failed 3, next 2', 'durable 2']);
    await journal.close();
    expect([...journalRecords(path, 0)].map((r) => r.seq)).toEqual([1, 2]);
  });

  it('trims the records a checkpoint holds', async () => {
    const path = join(dir, 'j.db');
    expect([...journalRecords(path, 0)]).toEqual([]); // creates it
    const { journal, until } = opened(path, 1);
    for (let seq = 1; seq <= 4; seq++) journal.append(seq, bytes(seq));
    await until('durable 4');
    journal.truncateThrough(3);
    await journal.close();
    expect([...journalRecords(path, 0)].map((r) => r.seq)).toEqual([4]);
  });

  it('refuses appends once closed', async () => {
    const path = join(dir, 'j.db');
    expect([...journalRecords(path, 0)]).toEqual([]); // creates it
    const { journal } = opened(path, 1);
    await journal.close();
    expect(() => journal.append(1, bytes(1))).toThrow(JournalUnavailableError);
  });
});
