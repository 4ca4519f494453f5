import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import {
  type AuditEntry,
  canonicalJson,
  chainHash,
  entryHash,
  genesisHash,
  redactedCanonicalJson,
  verifyChain,
} from './audit.js';
import {
  alice,
  byKey,
  freshPath,
  passing,
  request,
} from '../../../test/commands/ledger/fixtures.js';
import { CommandLedger, type AuditRow } from './ledger.js';

/** A ledger file with five entries: three decisions, a dispatch, a kill switch. */
function seeded(): string {
  const path = freshPath();
  const ledger = new CommandLedger(path);
  const decision = { status: 'accepted', assetClass: 'pump', risk: 'low' } as const;
  for (const key of ['a', 'b', 'c']) {
    const assetId = `pump-${key}`;
    ledger.recordDecision(
      request({ idempotencyKey: key, assetId }),
      alice,
      passing,
      decision,
      1000,
    );
  }
  const first = byKey(ledger, 'alice', 'a');
  ledger.markAllDispatched([first?.id ?? ''], 1100);
  ledger.setKillSwitch('global', true, 'bob', 'storm', 1200);
  ledger.close();
  return path;
}

/** Tampers as someone with file access would: the append-only triggers dropped first. */
function tamper(path: string, sql: string): void {
  const db = new Database(path);
  db.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;');
  db.exec(sql);
  db.close();
}

function verify(path: string, anchor?: { seq: number; hash: string }) {
  const ledger = new CommandLedger(path);
  try {
    return ledger.verifyAudit(anchor);
  } finally {
    ledger.close();
  }
}

function head(path: string) {
  const ledger = new CommandLedger(path);
  const result = ledger.auditHead();
  ledger.close();
  return result;
}

describe('canonical JSON', () => {
  it('sorts keys at every depth and drops undefined, like JSON.stringify otherwise', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: undefined }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"z":1}]},"b":1}',
    );
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }));
    expect(canonicalJson([undefined, Number.NaN, 'é"'])).toBe('[null,null,"é\\""]');
  });

  it('redacts credential-like keys at every depth, even unset ones, and is canonical otherwise', () => {
    const value = {
      b: [{ apiKey: 'k-1', x: undefined }, undefined],
      Authorization: 'Bearer s3cr3t',
      a: { password: undefined, idempotencyKey: 'k', n: 1.5, t: null },
    };
    expect(redactedCanonicalJson(value)).toBe(
      '{"Authorization":"[redacted]","a":{"idempotencyKey":"k","n":1.5,"password":"[redacted]","t":null},"b":[{"apiKey":"[redacted]"},null]}',
    );
    // Without such keys it is canonicalJson, byte for byte.
    for (const plain of [
      { b: 1, a: { d: [3, { z: 1, y: undefined }], c: null } },
      [undefined, Number.NaN, 'é"', { '': [] }],
      'text',
      7,
      null,
    ]) {
      expect(redactedCanonicalJson(plain)).toBe(canonicalJson(plain));
    }
  });
});

describe('entry hash', () => {
  it('is sha256 of the previous hash and the canonical JSON of all fields', () => {
    const entries = [
      { seq: 1, atMs: 1.5, actor: 'a', action: 'x', details: { b: [1, 'é'], a: null } },
      { seq: 2, atMs: 2, actor: 'system', action: 'y', commandId: 'c', assetId: 'p', details: {} },
    ];
    for (const entry of entries) {
      const fields = {
        ...entry,
        commandId: entry.commandId ?? null,
        assetId: entry.assetId ?? null,
      };
      const expected = createHash('sha256')
        .update(genesisHash + canonicalJson(fields))
        .digest('hex');
      expect(entryHash(genesisHash, entry)).toBe(expected);
      expect(chainHash(genesisHash, entry, canonicalJson(entry.details))).toBe(expected);
    }
  });
});

describe('audit chain', () => {
  it('verifies an untouched log, and chains from the genesis value', () => {
    const path = seeded();
    expect(verify(path)).toEqual({ ok: true, entries: 5 });
    expect(verify(path, head(path))).toEqual({ ok: true, entries: 5 });
    const db = new Database(path, { readonly: true });
    const first = db.prepare('SELECT prev_hash FROM audit_log WHERE seq = 1').get();
    db.close();
    expect(first).toEqual({ prev_hash: genesisHash });
  });

  it('refuses UPDATE and DELETE at the SQL level', () => {
    const path = seeded();
    const db = new Database(path);
    expect(() => db.exec(`UPDATE audit_log SET actor = 'mallory' WHERE seq = 2`)).toThrow(
      'audit_log is append-only',
    );
    expect(() => db.exec('DELETE FROM audit_log WHERE seq = 2')).toThrow(
      'audit_log is append-only',
    );
    db.close();
    expect(verify(path)).toEqual({ ok: true, entries: 5 });
  });

  it.each([
    ['details', `UPDATE audit_log SET details = replace(details, '1200', '1900') WHERE seq = 2`, 2],
    ['actor', `UPDATE audit_log SET actor = 'mallory' WHERE seq = 3`, 3],
    ['time', `UPDATE audit_log SET at_ms = at_ms + 1 WHERE seq = 4`, 4],
    ['action', `UPDATE audit_log SET action = 'command.refused' WHERE seq = 1`, 1],
    ['command id', `UPDATE audit_log SET command_id = NULL WHERE seq = 4`, 4],
    ['unreadable details', `UPDATE audit_log SET details = '{' WHERE seq = 5`, 5],
  ])('names the row whose %s was edited', (_field, sql, seq) => {
    const path = seeded();
    tamper(path, sql);
    expect(verify(path)).toEqual({
      ok: false,
      seq,
      reason: `row ${seq} was altered (hash mismatch)`,
    });
  });

  it('names a removed row by its missing seq', () => {
    const path = seeded();
    tamper(path, 'DELETE FROM audit_log WHERE seq = 3');
    expect(verify(path)).toEqual({ ok: false, seq: 3, reason: 'row 3 is missing (next is 4)' });
  });

  it('names the first of two reordered rows', () => {
    const path = seeded();
    tamper(
      path,
      `UPDATE audit_log SET seq = -1 WHERE seq = 3;
       UPDATE audit_log SET seq = 3 WHERE seq = 2;
       UPDATE audit_log SET seq = 2 WHERE seq = -1;`,
    );
    expect(verify(path)).toEqual({ ok: false, seq: 2, reason: 'row 2 does not link to row 1' });
  });

  it('catches an edit whose hash was recomputed at the next row', () => {
    const path = seeded();
    const db = new Database(path);
    const row = db.prepare('SELECT * FROM audit_log WHERE seq = 2').get() as AuditRow;
    const details = { ...(JSON.parse(row.details) as object), status: 'refused' };
    const forged = entryHash(row.prev_hash, { ...entryOf(row), details });
    db.close();
    tamper(
      path,
      `UPDATE audit_log SET details = '${canonicalJson(details)}', hash = '${forged}' WHERE seq = 2`,
    );
    expect(verify(path)).toEqual({ ok: false, seq: 3, reason: 'row 3 does not link to row 2' });
  });

  it('catches a truncated or rewritten tail only against a published head', () => {
    const path = seeded();
    const published = head(path);
    tamper(path, 'DELETE FROM audit_log WHERE seq = 5');
    expect(verify(path)).toEqual({ ok: true, entries: 4 });
    expect(verify(path, published)).toEqual({
      ok: false,
      seq: 5,
      reason: 'log ends at row 4 but the anchored head is row 5',
    });
  });

  it('catches a whole rewritten chain against a published head', () => {
    const path = seeded();
    const published = head(path);
    // Rewrite row 4 and rehash everything after it: internally consistent again.
    const db = new Database(path);
    db.exec('DROP TRIGGER audit_log_no_update');
    const rows = db.prepare('SELECT * FROM audit_log ORDER BY seq').all() as AuditRow[];
    let prev = genesisHash;
    for (const row of rows) {
      const entry = entryOf(row);
      if (entry.seq === 4) entry.actor = 'mallory';
      const hash = entryHash(prev, entry);
      db.prepare('UPDATE audit_log SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?').run(
        entry.actor,
        prev,
        hash,
        entry.seq,
      );
      prev = hash;
    }
    db.close();
    expect(verify(path)).toEqual({ ok: true, entries: 5 });
    expect(verify(path, published)).toEqual({
      ok: false,
      seq: 5,
      reason: 'row 5 differs from the anchored head',
    });
  });

  it('exports JSON lines that verify on their own, from any seq', () => {
    const path = seeded();
    const ledger = new CommandLedger(path);
    const whole = ledger.exportAudit(undefined, 2);
    const after3 = ledger.exportAudit(3);
    if (!whole.ok || !after3.ok) throw new Error('export refused');
    expect(whole.start).toEqual({ seq: 0, hash: genesisHash });
    const pages = [...whole.pages];
    expect(pages).toHaveLength(3); // 2 + 2 + 1 lines
    const text = pages.join('');
    const tail = [...after3.pages].join('');
    ledger.close();
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    const entries = lines.map((line) => JSON.parse(line) as AuditEntry);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(lines.every((line, i) => line === canonicalJson(entries[i]))).toBe(true);
    expect(verifyChain(entries)).toEqual({ ok: true, entries: 5 });

    const tailEntries = tail
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as AuditEntry);
    const start = { seq: 3, hash: entries[2]?.hash ?? '' };
    expect(after3.start).toEqual(start);
    expect(verifyChain(tailEntries, undefined, start)).toEqual({ ok: true, entries: 2 });

    const edited = entries.map((e) => (e.seq === 3 ? { ...e, atMs: e.atMs + 1 } : e));
    expect(verifyChain(edited)).toMatchObject({ ok: false, seq: 3 });
  });
});

/** An audit row as the chain sees it (columns to fields). */
function entryOf(row: AuditRow) {
  return {
    seq: row.seq,
    atMs: row.at_ms,
    actor: row.actor,
    action: row.action,
    commandId: row.command_id ?? undefined,
    assetId: row.asset_id ?? undefined,
    details: JSON.parse(row.details) as Record<string, unknown>,
  };
}
