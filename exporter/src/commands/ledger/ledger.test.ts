import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalJson, verifyChain, type AuditEntry, type ChainHead } from './audit.js';
import {
  alice,
  awaitingOutcome,
  bob,
  byKey,
  freshPath,
  needsApproval,
  outbox,
  passing,
  refusedStale,
  request,
} from '../../../test/commands/ledger/fixtures.js';
import {
  CommandLedger,
  indexedQueries,
  type CommandRecord,
  type DecisionResult,
} from './ledger.js';

const accepted = { status: 'accepted', assetClass: 'pump', risk: 'low' } as const;
const pending = { status: 'pending_approval', assetClass: 'pump', risk: 'high' } as const;
const refused = { status: 'refused', assetClass: 'pump', risk: 'low' } as const;

const opened: CommandLedger[] = [];
function open(path = ':memory:'): CommandLedger {
  const ledger = new CommandLedger(path);
  opened.push(ledger);
  return ledger;
}
afterEach(() => {
  for (const ledger of opened.splice(0)) {
    try {
      ledger.close();
    } catch {
      // already closed by the test
    }
  }
});

function recorded(result: DecisionResult): CommandRecord {
  if (result.kind !== 'recorded') throw new Error(`expected a new record, got ${result.kind}`);
  return result.record;
}

/** The whole export as one text (small ledgers in tests). */
function exportedText(ledger: CommandLedger, after?: number): string {
  const exported = ledger.exportAudit(after);
  if (!exported.ok) throw new Error(exported.message);
  return [...exported.pages].join('');
}

const actions = (ledger: CommandLedger) =>
  ledger.readAudit({ limit: 1000 }).map((entry) => entry.action);

/** A second connection, as an operator with sqlite3 would have. */
function withRawDb(path: string, work: (db: Database.Database) => void): void {
  const db = new Database(path);
  try {
    work(db);
  } finally {
    db.close();
  }
}

describe('idempotency', () => {
  it('returns the first record, unchanged, for a repeated key, and queues it once', () => {
    const ledger = open();
    const first = recorded(ledger.recordDecision(request(), alice, passing, accepted, 1000));
    const again = ledger.recordDecision(request(), alice, passing, accepted, 2000);
    expect(again).toEqual({ kind: 'duplicate', record: first });
    expect(ledger.list({ limit: 10 })).toEqual([first]);
    expect(outbox(ledger, 10).map((r) => r.id)).toEqual([first.id]);
    expect(actions(ledger)).toEqual(['command.accepted', 'command.duplicate']);
  });

  it('wins over a different decision on the retry (the conflict guard saw the first one)', () => {
    const ledger = open();
    const first = recorded(ledger.recordDecision(request(), alice, passing, accepted, 1000));
    const retry = ledger.recordDecision(request(), alice, refusedStale, refused, 1500);
    expect(retry).toEqual({ kind: 'duplicate', record: first });
    expect(ledger.get(first.id)?.status).toBe('accepted');
  });

  it('reports the same key with different content as a conflict, writing no record', () => {
    const ledger = open();
    const first = recorded(ledger.recordDecision(request(), alice, passing, accepted, 1000));
    for (const changed of [
      request({ params: { rpm: 1300 } }),
      request({ assetId: 'pump-2' }),
      request({ expectedVersion: undefined }),
      request({ reason: 'other' }),
    ]) {
      expect(ledger.recordDecision(changed, alice, passing, accepted, 2000)).toEqual({
        kind: 'conflict',
        record: first,
      });
    }
    expect(ledger.list({ limit: 10 })).toHaveLength(1);
    expect(outbox(ledger, 10)).toHaveLength(1);
    expect(actions(ledger).filter((a) => a === 'command.idempotency_conflict')).toHaveLength(4);
  });

  it('scopes keys per user', () => {
    const ledger = open();
    recorded(ledger.recordDecision(request(), alice, passing, accepted, 1000));
    const bobs = ledger.recordDecision(request(), bob, passing, accepted, 1000);
    expect(bobs.kind).toBe('recorded');
    expect(byKey(ledger, 'bob', 'key-1')?.user).toBe('bob');
  });

  it('spends the key on a refusal too: a retry answers the same refusal', () => {
    const ledger = open();
    const first = recorded(ledger.recordDecision(request(), alice, refusedStale, refused, 1000));
    expect(first.status).toBe('refused');
    expect(ledger.recordDecision(request(), alice, passing, accepted, 2000)).toEqual({
      kind: 'duplicate',
      record: first,
    });
    expect(outbox(ledger, 10)).toEqual([]);
  });

  it('records no command for a dry run, and does not spend the key', () => {
    const ledger = open();
    const dry = ledger.recordDecision(request({ dryRun: true }), alice, passing, accepted, 1000);
    expect(dry).toEqual({ kind: 'audited' });
    expect(ledger.list({ limit: 10 })).toEqual([]);
    expect(recorded(ledger.recordDecision(request(), alice, passing, accepted, 2000)).status).toBe(
      'accepted',
    );
    expect(actions(ledger)).toEqual(['command.dry_run', 'command.accepted']);
  });
});

describe('decisions', () => {
  it('stores the whole record', () => {
    const ledger = open();
    const record = recorded(
      ledger.recordDecision(request(), alice, passing, { ...accepted, id: 'cmd-1' }, 1000),
    );
    expect(record).toMatchObject({
      id: 'cmd-1',
      idempotencyKey: 'key-1',
      user: 'alice',
      assetId: 'pump-1',
      assetClass: 'pump',
      name: 'setSpeed',
      params: { rpm: 1200 },
      risk: 'low',
      reason: 'raise flow for the morning peak',
      expectedVersion: 7,
      status: 'accepted',
      verdicts: passing,
      submittedAtMs: 1000,
    });
    expect(record.outcome).toBeUndefined();
    expect(ledger.get('cmd-1')).toEqual(record);
  });

  it('refuses to store a decision its own verdicts contradict', () => {
    const ledger = open();
    expect(() => ledger.recordDecision(request(), alice, refusedStale, accepted, 1)).toThrow(
      'cannot accept a command a guard refused (freshness)',
    );
    expect(() => ledger.recordDecision(request(), alice, refusedStale, pending, 1)).toThrow();
    expect(ledger.readAudit({ limit: 10 })).toEqual([]);
  });

  it('audits large params by digest, and keeps them so in a refused record', () => {
    const ledger = open();
    const params = { rpm: 1200, note: 'x'.repeat(60_000) };
    const json = canonicalJson(params);
    const digest = { digest: createHash('sha256').update(json).digest('hex'), bytes: json.length };
    const refusedOne = recorded(
      ledger.recordDecision(request({ params }), alice, refusedStale, refused, 1),
    );
    expect(refusedOne.params).toEqual(digest);
    expect(ledger.get(refusedOne.id)?.params).toEqual(digest);
    // The same request again is the same request (compared by digest), a different one is not.
    const again = ledger.recordDecision(request({ params }), alice, refusedStale, refused, 2);
    expect(again.kind).toBe('duplicate');
    const other = { ...params, rpm: 1300 };
    expect(
      ledger.recordDecision(request({ params: other }), alice, passing, accepted, 3).kind,
    ).toBe('conflict');
    // Accepted: the record keeps what is sent; the audit entry only the digest.
    const sent = recorded(
      ledger.recordDecision(
        request({ idempotencyKey: 'key-2', params }),
        alice,
        passing,
        accepted,
        4,
      ),
    );
    expect(sent.params).toEqual(params);
    const entries = ledger.readAudit({ limit: 10 });
    expect(entries.map((e) => e.action)).toEqual([
      'command.refused',
      'command.duplicate',
      'command.idempotency_conflict',
      'command.accepted',
    ]);
    for (const entry of entries) {
      const audited = entry.action === 'command.idempotency_conflict' ? other : params;
      const json = canonicalJson(audited);
      expect(entry.details).toMatchObject({
        request: {
          params: { digest: createHash('sha256').update(json).digest('hex'), bytes: json.length },
        },
      });
      expect(canonicalJson(entry).length).toBeLessThan(4096);
    }
    // Small params are audited as they are.
    ledger.recordDecision(request({ idempotencyKey: 'key-3' }), alice, passing, accepted, 5);
    expect(ledger.readAudit({ limit: 10 }).at(-1)?.details).toMatchObject({
      request: { params: { rpm: 1200 } },
    });
    expect(ledger.verifyAudit().ok).toBe(true);
  });
});

describe('approvals', () => {
  it('holds, then accepts into the outbox on a second person’s approval', () => {
    const ledger = open();
    const held = recorded(ledger.recordDecision(request(), alice, needsApproval, pending, 1000));
    expect(held.status).toBe('pending_approval');
    expect(outbox(ledger, 10)).toEqual([]);
    expect(ledger.approve(held.id, 'alice', 1500)).toMatchObject({
      ok: false,
      code: 'self_approval',
    });
    const approved = ledger.approve(held.id, 'bob', 2000);
    expect(approved).toMatchObject({
      ok: true,
      record: { status: 'accepted', approvedBy: 'bob', approvedAtMs: 2000 },
    });
    expect(outbox(ledger, 10).map((r) => r.id)).toEqual([held.id]);
    expect(ledger.approve(held.id, 'carol', 2500)).toMatchObject({
      ok: false,
      code: 'not_pending',
    });
    expect(ledger.approve('nope', 'bob', 2500)).toMatchObject({ ok: false, code: 'not_found' });
    expect(ledger.recentAccepted('pump-1', 'setSpeed', 1800).map((r) => r.id)).toEqual([held.id]);
    expect(actions(ledger)).toEqual([
      'command.pending_approval',
      'command.approval_refused',
      'command.approved',
      'command.approval_refused',
      'command.approval_refused',
    ]);
  });

  it('closes a rejected one without sending it', () => {
    const ledger = open();
    const held = recorded(ledger.recordDecision(request(), alice, needsApproval, pending, 1000));
    const result = ledger.rejectApproval(held.id, 'bob', 'not during the shift change', 2000);
    expect(result).toMatchObject({
      ok: true,
      record: {
        status: 'approval_rejected',
        rejectedBy: 'bob',
        rejectedAtMs: 2000,
        rejectionReason: 'not during the shift change',
      },
    });
    expect(ledger.approve(held.id, 'carol', 3000)).toMatchObject({
      ok: false,
      code: 'not_pending',
    });
    expect(outbox(ledger, 10)).toEqual([]);
    expect(ledger.recentAccepted('pump-1', 'setSpeed', 0)).toEqual([]);
  });
});

describe('outbox, acks and outcomes', () => {
  it('records the first ack and the done ack apart, and upgrades a ledger file made without done_at_ms', () => {
    const path = freshPath();
    const first = open(path);
    const id = recorded(first.recordDecision(request(), alice, passing, accepted, 1000)).id;
    first.markAllDispatched([id], 1100);
    first.close();
    // A file from before the column existed: the command row is kept as it was.
    const raw = new Database(path);
    raw.exec('ALTER TABLE commands DROP COLUMN done_at_ms');
    raw.close();

    const ledger = open(path);
    ledger.recordAck({ commandId: id, assetId: 'pump-1', status: 'accepted' }, 1200);
    expect(ledger.get(id)).toMatchObject({ status: 'acked', ackedAtMs: 1200 });
    expect(ledger.get(id)?.doneAtMs).toBeUndefined();
    ledger.recordAck({ commandId: id, assetId: 'pump-1', status: 'done' }, 1500);
    ledger.recordAck({ commandId: id, assetId: 'pump-1', status: 'done' }, 1600); // a redelivery
    expect(ledger.get(id)).toMatchObject({ status: 'acked', ackedAtMs: 1200, doneAtMs: 1500 });
    expect(ledger.verifyAudit().ok).toBe(true);
  });

  it('survives a restart: unsent commands are still pending, sent ones await their outcome', () => {
    const path = freshPath();
    const before = open(path);
    const ids = ['a', 'b', 'c'].map(
      (key, i) =>
        recorded(
          before.recordDecision(
            request({ idempotencyKey: key, assetId: `pump-${i}` }),
            alice,
            passing,
            accepted,
            1000 + i,
          ),
        ).id,
    );
    expect(before.markAllDispatched([ids[0] as string], 1100)).toHaveLength(1);
    expect(before.outboxSize()).toBe(2);
    before.close();

    const after = open(path);
    expect(outbox(after, 10).map((r) => r.id)).toEqual(ids.slice(1));
    expect(outbox(after, 1).map((r) => r.id)).toEqual(ids.slice(1, 2));
    expect(awaitingOutcome(after).map((r) => r.id)).toEqual(ids.slice(0, 1));
    // The dispatcher after the restart: send, then mark; a second mark is a no-op.
    for (const pendingRecord of outbox(after, 10)) {
      expect(after.markAllDispatched([pendingRecord.id], 1200)).toHaveLength(1);
    }
    expect(after.markAllDispatched([ids[1] as string], 1300)).toEqual([]);
    expect(outbox(after, 10)).toEqual([]);
    expect(awaitingOutcome(after)).toHaveLength(3);

    const record = after.recordAck(
      { commandId: ids[0] as string, assetId: 'pump-0', status: 'accepted' },
      1400,
    );
    expect(record).toMatchObject({ status: 'acked', ackedAtMs: 1400, dispatchedAtMs: 1100 });
    expect(after.recordOutcome(ids[0] as string, 'applied', 'converged in 2 s', 1500)).toBe(true);
    expect(after.get(ids[0] as string)).toMatchObject({
      status: 'applied',
      outcome: 'applied',
      outcomeAtMs: 1500,
      outcomeMessage: 'converged in 2 s',
    });
    expect(awaitingOutcome(after).map((r) => r.id)).toEqual(ids.slice(1));
    after.close();

    const third = open(path);
    expect(awaitingOutcome(third).map((r) => r.id)).toEqual(ids.slice(1));
    expect(third.verifyAudit()).toEqual({ ok: true, entries: 3 + 3 + 2 });
  });

  it('marks a sent batch in one go, skipping what is no longer queued', () => {
    const ledger = open();
    const ids = ['a', 'b', 'c'].map(
      (key) =>
        recorded(
          ledger.recordDecision(request({ idempotencyKey: key }), alice, passing, accepted, 1),
        ).id,
    );
    expect(ledger.pendingIds(10)).toEqual(ids);
    expect(ledger.pendingIds(2)).toEqual(ids.slice(0, 2));
    expect(ledger.pendingAcceptedBefore(2, 10).map((r) => r.id)).toEqual(ids);
    expect(ledger.pendingAcceptedBefore(1, 10)).toEqual([]); // accepted at 1: not before 1
    ledger.markAllDispatched([ids[1] as string], 2);
    expect(ledger.pendingIds(10)).toEqual([ids[0], ids[2]]);
    expect(ledger.markAllDispatched([...ids, 'unknown'], 3)).toEqual([ids[0], ids[2]]);
    expect(ledger.pendingIds(10)).toEqual([]);
    expect(outbox(ledger, 10)).toEqual([]);
    expect(ids.map((id) => ledger.get(id)?.dispatchedAtMs)).toEqual([3, 2, 3]);
    expect(actions(ledger).filter((a) => a === 'command.dispatched')).toHaveLength(3);
  });

  it('tracks in-flight commands per asset until their outcome', () => {
    const ledger = open();
    const record = recorded(ledger.recordDecision(request(), alice, passing, accepted, 1000));
    recorded(
      ledger.recordDecision(
        request({ idempotencyKey: 'k2', assetId: 'pump-2' }),
        alice,
        passing,
        accepted,
        1000,
      ),
    );
    expect(ledger.inFlight('pump-1').map((r) => r.id)).toEqual([record.id]);
    ledger.markAllDispatched([record.id], 1100);
    ledger.recordAck({ commandId: record.id, assetId: 'pump-1', status: 'done' }, 1200);
    expect(ledger.inFlight('pump-1').map((r) => r.id)).toEqual([record.id]);
    ledger.recordOutcome(record.id, 'diverged_after_ack', 'reported 900 rpm', 5000);
    expect(ledger.inFlight('pump-1')).toEqual([]);
  });

  it('does not move an ack that beat markAllDispatched back to dispatched', () => {
    const ledger = open();
    const record = recorded(ledger.recordDecision(request(), alice, passing, accepted, 1000));
    ledger.recordAck({ commandId: record.id, assetId: 'pump-1', status: 'accepted' }, 1050);
    expect(ledger.markAllDispatched([record.id], 1060)).toHaveLength(1);
    expect(ledger.get(record.id)).toMatchObject({ status: 'acked', dispatchedAtMs: 1060 });
  });

  it('takes a device rejection as the final outcome; later outcomes are audited and ignored', () => {
    const ledger = open();
    const record = recorded(ledger.recordDecision(request(), alice, passing, accepted, 1000));
    ledger.markAllDispatched([record.id], 1100);
    const acked = ledger.recordAck(
      { commandId: record.id, assetId: 'pump-1', status: 'rejected', message: 'interlock' },
      1200,
    );
    expect(acked).toMatchObject({
      status: 'rejected_by_device',
      outcome: 'rejected_by_device',
      outcomeMessage: 'interlock',
    });
    expect(ledger.recordOutcome(record.id, 'timed_out', undefined, 9000)).toBe(false);
    expect(ledger.get(record.id)?.outcome).toBe('rejected_by_device');
    expect(
      ledger.recordAck({ commandId: record.id, assetId: 'pump-1', status: 'done' }, 9100),
    ).toBeUndefined();
    expect(
      ledger.recordAck({ commandId: 'unknown', assetId: 'pump-1', status: 'done' }, 9200),
    ).toBeUndefined();
    expect(actions(ledger)).toEqual([
      'command.accepted',
      'command.dispatched',
      'command.ack',
      'command.outcome',
      'command.outcome_ignored',
      'command.ack',
      'command.ack',
    ]);
  });

  it('ignores an ack naming another asset', () => {
    const ledger = open();
    const record = recorded(ledger.recordDecision(request(), alice, passing, accepted, 1000));
    ledger.markAllDispatched([record.id], 1100);
    expect(
      ledger.recordAck({ commandId: record.id, assetId: 'pump-9', status: 'done' }, 1200),
    ).toBeUndefined();
    expect(ledger.get(record.id)?.status).toBe('dispatched');
  });

  it('never sends a command that timed out before it was sent', () => {
    const ledger = open();
    const record = recorded(ledger.recordDecision(request(), alice, passing, accepted, 1000));
    expect(ledger.recordOutcome(record.id, 'timed_out', 'dispatcher stalled', 31000)).toBe(true);
    expect(outbox(ledger, 10)).toEqual([]);
    expect(ledger.markAllDispatched([record.id], 32000)).toEqual([]);
  });
});

describe('queries', () => {
  it('counts approved commands for cooldowns from their approval time', () => {
    const ledger = open();
    recorded(
      ledger.recordDecision(request({ idempotencyKey: 'a' }), alice, passing, accepted, 1000),
    );
    recorded(
      ledger.recordDecision(request({ idempotencyKey: 'b' }), alice, refusedStale, refused, 5000),
    );
    const held = recorded(
      ledger.recordDecision(request({ idempotencyKey: 'c' }), alice, needsApproval, pending, 2000),
    );
    expect(ledger.recentAccepted('pump-1', 'setSpeed', 3000)).toEqual([]);
    ledger.approve(held.id, 'bob', 4000);
    expect(ledger.recentAccepted('pump-1', 'setSpeed', 3000).map((r) => r.id)).toEqual([held.id]);
    expect(ledger.recentAccepted('pump-1', 'setSpeed', 0)).toHaveLength(2);
    expect(ledger.recentAccepted('pump-1', 'open', 0)).toEqual([]);
  });

  it('lists newest first, filtered, and pages without losing commands of the same millisecond', () => {
    const ledger = open();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const assetId = i % 2 === 0 ? 'pump-1' : 'pump-2';
      const decision = i === 3 ? refused : accepted;
      const verdicts = i === 3 ? refusedStale : passing;
      const at = 1000 + Math.floor(i / 3); // three commands per millisecond
      ids.push(
        recorded(
          ledger.recordDecision(
            request({ idempotencyKey: `k${i}`, assetId }),
            alice,
            verdicts,
            decision,
            at,
          ),
        ).id,
      );
    }
    const pages: string[] = [];
    let before: string | undefined;
    for (;;) {
      const page = ledger.list({ limit: 2, before });
      if (page.length === 0) break;
      pages.push(...page.map((r) => r.id));
      before = page.at(-1)?.id;
    }
    expect(pages).toEqual([...ids].reverse());
    expect(ledger.list({ assetId: 'pump-2', limit: 10 }).map((r) => r.id)).toEqual([
      ids[5],
      ids[3],
      ids[1],
    ]);
    expect(ledger.list({ status: 'refused', limit: 10 }).map((r) => r.id)).toEqual([ids[3]]);
  });

  it("answers the guards' and the follower's queries from an index, not the whole history", () => {
    const dir = mkdtempSync(join(tmpdir(), 'twinops-ledger-plan-'));
    try {
      const path = join(dir, 'commands.db');
      const ledger = open(path);
      const ids: string[] = [];
      for (let i = 0; i < 300; i++) {
        const result = ledger.recordDecision(
          request({ idempotencyKey: `h${i}` }),
          alice,
          passing,
          accepted,
          i,
        );
        if (result.kind === 'recorded') ids.push(result.record.id);
      }
      // Sent at 1,000 + i ms; the first one acked.
      ids.forEach((id, i) => ledger.markAllDispatched([id], 1_000 + i));
      ledger.recordAck({ commandId: ids[0]!, assetId: 'pump-1', status: 'accepted' }, 2_000);
      withRawDb(path, (db) => {
        db.exec('ANALYZE');
        const plan = (sql: string, ...params: unknown[]) =>
          (
            db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as {
              detail: string;
            }[]
          )
            .map((row) => row.detail)
            .join(' | ');
        expect(plan(indexedQueries.inFlight, 'pump-1')).toMatch(
          /^SEARCH commands USING INDEX commands_in_flight \(asset_id=\?\)/,
        );
        expect(plan(indexedQueries.recentAccepted, 'pump-1', 'setSpeed', 0)).toMatch(
          /^SEARCH commands USING INDEX commands_accepted_at \(asset_id=\? AND name=\? AND <expr>>\?\)/,
        );
        const followUp = plan(indexedQueries.dueForFollowUp, 1_010);
        expect(followUp).toContain(
          'SEARCH commands USING INDEX commands_open_by_status (status=?)',
        );
        expect(followUp).toContain(
          'SEARCH commands USING INDEX commands_open_by_status (status=? AND dispatched_at_ms<?)',
        );
        expect(followUp).not.toContain('SCAN');
      });
      // The acked one, then those sent before 1,010 ms (the acked one was sent first).
      expect(ledger.dueForFollowUp(1_010).map((r) => r.id)).toEqual(ids.slice(0, 10));
      expect(ledger.inFlight('pump-1')).toHaveLength(300);
      expect(ledger.recentAccepted('pump-1', 'setSpeed', 290)).toHaveLength(10);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('kill switches', () => {
  it('persists and audits every change', () => {
    const path = freshPath();
    const ledger = open(path);
    ledger.setKillSwitch('global', true, 'bob', 'storm', 1000);
    ledger.setKillSwitch({ assetClass: 'pump' }, true, 'bob', 'pump recall', 1100);
    ledger.setKillSwitch('global', false, 'carol', 'storm over', 2000);
    ledger.close();
    const reopened = open(path);
    expect(reopened.killSwitches()).toEqual([
      {
        scope: { assetClass: 'pump' },
        engaged: true,
        actor: 'bob',
        reason: 'pump recall',
        changedAtMs: 1100,
      },
      { scope: 'global', engaged: false, actor: 'carol', reason: 'storm over', changedAtMs: 2000 },
    ]);
    expect(reopened.readAudit({ limit: 10 }).map((e) => [e.actor, e.action, e.details])).toEqual([
      ['bob', 'kill_switch.engaged', { scope: 'global', engaged: true, reason: 'storm' }],
      [
        'bob',
        'kill_switch.engaged',
        { scope: { assetClass: 'pump' }, engaged: true, reason: 'pump recall' },
      ],
      ['carol', 'kill_switch.released', { scope: 'global', engaged: false, reason: 'storm over' }],
    ]);
  });
});

describe('audit of every write', () => {
  it('chains one entry per attempt, decision, dispatch, ack and outcome, with the details', () => {
    const ledger = open();
    ledger.recordDecision(
      request({ idempotencyKey: 'd', dryRun: true }),
      alice,
      passing,
      accepted,
      1,
    );
    ledger.recordDecision(request({ idempotencyKey: 'r' }), alice, refusedStale, refused, 2);
    const held = recorded(
      ledger.recordDecision(request({ idempotencyKey: 'h' }), alice, needsApproval, pending, 3),
    );
    ledger.approve(held.id, 'bob', 4);
    ledger.markAllDispatched([held.id], 5);
    ledger.recordAck({ commandId: held.id, assetId: 'pump-1', status: 'done' }, 6);
    ledger.recordOutcome(held.id, 'applied', undefined, 7);
    ledger.setKillSwitch('global', true, 'bob', 'drill', 8);

    const entries = ledger.readAudit({ limit: 100 });
    expect(entries.map((e) => [e.seq, e.atMs, e.actor, e.action, e.commandId])).toEqual([
      [1, 1, 'alice', 'command.dry_run', undefined],
      [2, 2, 'alice', 'command.refused', byKey(ledger, 'alice', 'r')?.id],
      [3, 3, 'alice', 'command.pending_approval', held.id],
      [4, 4, 'bob', 'command.approved', held.id],
      [5, 5, 'system', 'command.dispatched', held.id],
      [6, 6, 'system', 'command.ack', held.id],
      [7, 7, 'system', 'command.outcome', held.id],
      [8, 8, 'bob', 'kill_switch.engaged', undefined],
    ]);
    expect(entries[1]?.details).toMatchObject({
      request: { idempotencyKey: 'r', params: { rpm: 1200 } },
      principal: { user: 'alice', roles: ['operator'], via: 'token', kind: 'user' },
      verdicts: refusedStale,
      status: 'refused',
    });
    expect(entries[6]?.details).toEqual({ outcome: 'applied' });
    expect(
      ledger.readAudit({ commandId: held.id, limit: 2, afterSeq: 3 }).map((e) => e.seq),
    ).toEqual([4, 5]);
    expect(ledger.verifyAudit()).toEqual({ ok: true, entries: 8 });
  });

  it('strips credential-like keys before they reach the log', () => {
    const ledger = open();
    const params = { rpm: 1200, authorization: 'Bearer s3cr3t', nested: [{ apiKey: 'k-123' }] };
    ledger.recordDecision(request({ params }), alice, passing, accepted, 1);
    const entry = ledger.appendAudit(
      { actor: 'api', action: 'login', details: { headers: { Cookie: 'sid=9' } } },
      2,
    );
    expect(entry).toMatchObject({ seq: 2, details: { headers: { Cookie: '[redacted]' } } });
    const exported = exportedText(ledger);
    for (const secret of ['s3cr3t', 'k-123', 'sid=9']) expect(exported).not.toContain(secret);
    expect(ledger.readAudit({ limit: 1 })[0]?.details).toMatchObject({
      request: {
        params: { rpm: 1200, authorization: '[redacted]', nested: [{ apiKey: '[redacted]' }] },
      },
    });
    expect(ledger.verifyAudit()).toEqual({ ok: true, entries: 2 });
  });
});

describe('transactions', () => {
  /** Makes every insert into `table` fail, as a full disk or a bug would, from another connection. */
  function breakInserts(path: string, table: string): void {
    withRawDb(path, (db) =>
      db.exec(
        `CREATE TRIGGER broken BEFORE INSERT ON ${table} BEGIN SELECT RAISE(ABORT, 'disk full'); END`,
      ),
    );
  }
  const repair = (path: string) => withRawDb(path, (db) => db.exec('DROP TRIGGER broken'));

  it('writes nothing of a decision whose audit entry fails, nor of one whose outbox row fails', () => {
    const path = freshPath();
    const ledger = open(path);
    ledger.setKillSwitch('global', false, 'bob', 'baseline', 1);
    for (const table of ['audit_log', 'outbox']) {
      breakInserts(path, table);
      expect(() => ledger.recordDecision(request(), alice, passing, accepted, 2)).toThrow(
        'disk full',
      );
      repair(path);
      expect(ledger.list({ limit: 10 })).toEqual([]);
      expect(outbox(ledger, 10)).toEqual([]);
      expect(ledger.auditHead().seq).toBe(1);
    }
    // The key was not spent, and the chain goes on without a gap.
    expect(ledger.recordDecision(request(), alice, passing, accepted, 3).kind).toBe('recorded');
    expect(ledger.verifyAudit()).toEqual({ ok: true, entries: 2 });
  });

  it('leaves an approval pending and a dispatch queued when their audit entry fails', () => {
    const path = freshPath();
    const ledger = open(path);
    const held = recorded(
      ledger.recordDecision(request({ idempotencyKey: 'h' }), alice, needsApproval, pending, 1),
    );
    const queued = recorded(
      ledger.recordDecision(request({ idempotencyKey: 'q' }), alice, passing, accepted, 1),
    );
    breakInserts(path, 'audit_log');
    expect(() => ledger.approve(held.id, 'bob', 2)).toThrow('disk full');
    expect(() => ledger.markAllDispatched([queued.id], 2)).toThrow('disk full');
    expect(() => ledger.recordOutcome(queued.id, 'timed_out', undefined, 2)).toThrow('disk full');
    expect(() => ledger.setKillSwitch('global', true, 'bob', 'storm', 2)).toThrow('disk full');
    repair(path);
    expect(ledger.get(held.id)).toEqual(held);
    expect(ledger.get(queued.id)).toEqual(queued);
    expect(outbox(ledger, 10).map((r) => r.id)).toEqual([queued.id]);
    expect(ledger.killSwitches()).toEqual([]);
    expect(ledger.verifyAudit()).toEqual({ ok: true, entries: 2 });
  });
});

describe('archiving the audit log', () => {
  /** A ledger with `n` entries (kill-switch changes: one entry each). */
  function filled(n: number, path = ':memory:'): CommandLedger {
    const ledger = open(path);
    for (let i = 1; i <= n; i++)
      ledger.setKillSwitch('global', i % 2 === 1, 'ada', `drill ${i}`, i);
    return ledger;
  }
  const entriesOf = (text: string): AuditEntry[] =>
    text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as AuditEntry);

  it('removes the rows through a seq after a checkpoint, and the rest verifies from it', () => {
    const ledger = filled(10);
    const row6 = ledger.readAudit({ limit: 1, afterSeq: 5 })[0] as AuditEntry;
    const result = ledger.archiveAudit(6, 'ada', 'exported to cold storage', 100);
    expect(result).toEqual({
      ok: true,
      checkpoint: { seq: 6, hash: row6.hash, atMs: 100, actor: 'ada', count: 6 },
    });
    const left = ledger.readAudit({ limit: 100 });
    expect(left.map((e) => e.seq)).toEqual([7, 8, 9, 10, 11]);
    // The archive is itself an entry of the chain.
    expect(left.at(-1)).toMatchObject({
      actor: 'ada',
      action: 'audit.archived',
      details: { throughSeq: 6, hash: row6.hash, count: 6, reason: 'exported to cold storage' },
    });
    const checkpoint = { seq: 6, hash: row6.hash, atMs: 100, actor: 'ada', count: 6 };
    expect(ledger.verifyAudit()).toEqual({ ok: true, entries: 5, checkpoint });
    // The export starts after the checkpoint and verifies from it.
    const exported = ledger.exportAudit();
    if (!exported.ok) throw new Error(exported.message);
    expect(exported.start).toEqual({ seq: 6, hash: row6.hash });
    expect(exported.checkpoint).toEqual(checkpoint);
    const entries = entriesOf([...exported.pages].join(''));
    expect(verifyChain(entries, undefined, exported.start)).toEqual({ ok: true, entries: 5 });
    // A second archive goes on from the first.
    expect(ledger.archiveAudit(9, 'ada', 'again', 200)).toMatchObject({
      ok: true,
      checkpoint: { seq: 9, count: 3 },
    });
    expect(ledger.verifyAudit()).toMatchObject({ ok: true, entries: 3, checkpoint: { seq: 9 } });
  });

  it('still names a row edited, or removed, after the checkpoint', () => {
    const path = freshPath();
    const ledger = filled(10, path);
    expect(ledger.archiveAudit(4, 'ada', 'exported', 100).ok).toBe(true);
    ledger.close();
    withRawDb(path, (db) => {
      db.exec('DROP TRIGGER audit_log_no_update');
      db.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = 8").run();
    });
    const edited = open(path);
    expect(edited.verifyAudit()).toMatchObject({ ok: false, seq: 8, checkpoint: { seq: 4 } });
    // Archiving over the edited row is refused: it would hide the edit.
    const refusal = edited.archiveAudit(9, 'ada', 'hide it', 200);
    expect(refusal).toMatchObject({ ok: false, code: 'chain_broken' });
    expect(refusal.ok ? '' : refusal.message).toContain('row 8');
    expect(edited.auditCheckpoint()?.seq).toBe(4);
    edited.close();
    // A row under the checkpoint cannot be deleted; above it neither, and the gap is named.
    withRawDb(path, (db) => {
      expect(() => db.prepare('DELETE FROM audit_log WHERE seq = 6').run()).toThrow(/append-only/);
      db.exec('DROP TRIGGER audit_log_no_delete');
      db.prepare('DELETE FROM audit_log WHERE seq = 6').run();
    });
    expect(open(path).verifyAudit()).toMatchObject({ ok: false, seq: 6 });
  });

  it('verifies in slices, whole or from a head verified before, with the verdicts of the walk at once', async () => {
    const path = freshPath();
    const ledger = filled(25, path);
    let pauses = 0;
    const pause = async () => void pauses++;
    const paced = (from: CommandLedger, since?: ChainHead, budgetMs = 0) =>
      from.verifyAuditPaced(pause, { since, budgetMs }).then((r) => r.verification);
    expect(await paced(ledger)).toEqual(ledger.verifyAudit());
    expect(ledger.verifyAudit()).toMatchObject({ ok: true, entries: 25 });
    expect(pauses).toBe(1); // 25 entries: one page, a pause after it with no time to spare
    // From a head verified before: only what came after it.
    const { through } = await ledger.verifyAuditPaced(pause);
    expect(through).toEqual(ledger.auditHead());
    expect(await paced(ledger, through)).toEqual({ ok: true, entries: 0 });
    expect(ledger.archiveAudit(12, 'ada', 'exported', 100).ok).toBe(true);
    expect(await paced(ledger, through)).toEqual({
      ok: true,
      entries: 1,
      checkpoint: ledger.auditCheckpoint(),
    });
    // A head that no longer holds its hash (or was archived away) means the whole walk.
    expect(await paced(ledger, { seq: 20, hash: 'f'.repeat(64) })).toEqual(ledger.verifyAudit());
    expect(await paced(ledger, { seq: 3, hash: 'f'.repeat(64) })).toEqual(ledger.verifyAudit());
    ledger.close();
    // An archive while the walk pauses, past where it stands: it starts again from it.
    const long = filled(600);
    let archived = false;
    const archiving = async () => {
      if (!archived) archived = long.archiveAudit(400, 'ada', 'again', 200).ok;
    };
    expect(
      await long.verifyAuditPaced(archiving, { budgetMs: 0 }).then((r) => r.verification),
    ).toEqual(long.verifyAudit());
    expect(long.verifyAudit()).toMatchObject({ ok: true, checkpoint: { seq: 400 } });
    // An edited row and a removed one are named as the walk at once names them.
    withRawDb(path, (db) => {
      db.exec('DROP TRIGGER audit_log_no_update');
      db.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = 23").run();
    });
    const edited = open(path);
    expect(await paced(edited)).toEqual(edited.verifyAudit());
    expect(edited.verifyAudit()).toMatchObject({ ok: false, seq: 23 });
    edited.close();
    withRawDb(path, (db) => {
      db.exec('DROP TRIGGER audit_log_no_delete');
      db.prepare('DELETE FROM audit_log WHERE seq >= 22').run();
    });
    const cut = open(path);
    expect(await paced(cut)).toMatchObject({ ok: true });
    expect(cut.verifyAudit()).toMatchObject({ ok: true });
  });

  it('refuses beyond the head or at or below the checkpoint, audited, removing nothing', () => {
    const ledger = filled(5);
    const beyond = ledger.archiveAudit(99, 'ada', 'too far', 10);
    expect(beyond).toEqual({
      ok: false,
      code: 'beyond_head',
      message: 'throughSeq 99 is beyond the last audit entry (row 5)',
    });
    expect(ledger.readAudit({ limit: 100 }).at(-1)).toMatchObject({
      action: 'audit.archive_refused',
      details: { throughSeq: 99, code: 'beyond_head' },
    });
    expect(ledger.archiveAudit(3, 'ada', 'ok', 11).ok).toBe(true);
    expect(ledger.archiveAudit(2, 'ada', 'again', 12)).toMatchObject({
      ok: false,
      code: 'already_archived',
      message: 'rows through 3 are already archived: throughSeq must be above 3',
    });
    expect(ledger.readAudit({ limit: 100 }).map((e) => e.seq)[0]).toBe(4);
    expect(ledger.verifyAudit()).toMatchObject({ ok: true, checkpoint: { seq: 3 } });
  });

  it('keeps the chain going from the checkpoint when every row is archived, across a restart', () => {
    const path = freshPath();
    const ledger = filled(3, path);
    // Through the head: only the archive's own entry is left.
    expect(ledger.archiveAudit(3, 'ada', 'all of it', 10).ok).toBe(true);
    expect(ledger.auditHead().seq).toBe(4);
    ledger.close();
    const reopened = open(path);
    reopened.setKillSwitch('global', false, 'ada', 'after', 20);
    expect(reopened.verifyAudit()).toMatchObject({ ok: true, entries: 2, checkpoint: { seq: 3 } });
  });

  it('lets an archive through a ledger file made before archiving (its trigger refused every delete)', () => {
    const path = freshPath();
    filled(4, path).close();
    withRawDb(path, (db) => {
      db.exec('DROP TRIGGER audit_log_no_delete');
      db.exec(`CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;`);
    });
    const upgraded = open(path);
    expect(upgraded.archiveAudit(2, 'ada', 'first archive', 10).ok).toBe(true);
    expect(upgraded.verifyAudit()).toMatchObject({ ok: true, entries: 3 });
  });

  it('exports from a seq, and refuses one archived or beyond the head', () => {
    const ledger = filled(6);
    expect(ledger.archiveAudit(2, 'ada', 'exported', 10).ok).toBe(true);
    expect(ledger.exportAudit(1)).toEqual({
      ok: false,
      code: 'archived',
      message: 'rows through 2 are archived: export from after=2 or later',
    });
    expect(ledger.exportAudit(8)).toEqual({
      ok: false,
      code: 'beyond_head',
      message: 'after=8 is beyond the last audit entry (row 7)',
    });
    const lines = entriesOf(exportedText(ledger, 4));
    expect(lines.map((e) => e.seq)).toEqual([5, 6, 7]);
    expect(exportedText(ledger, 7)).toBe('');
    expect(ledger.exportAudit(0)).toMatchObject({ ok: false, code: 'archived' });
  });

  it('stops an export that an archive overtook, rather than skip rows', () => {
    const ledger = filled(6);
    const exported = ledger.exportAudit(0, 2);
    if (!exported.ok) throw new Error(exported.message);
    const pages = exported.pages[Symbol.iterator]();
    expect(pages.next().done).toBe(false);
    expect(ledger.archiveAudit(5, 'ada', 'meanwhile', 10).ok).toBe(true);
    expect(() => pages.next()).toThrow('rows through 5 were archived during the export');
  });
});
