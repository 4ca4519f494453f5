/**
 * The command ledger: one SQLite database holding the audit log (append-only, hash-chained),
 * the command records, the outbox and the kill switches. Every write that changes a command also
 * appends its audit entry in the same transaction, so nothing is ever dispatched, approved or
 * switched without its audit entry being durable first.
 *
 * Dispatch is at-least-once: the dispatcher sends the commands `pendingIds` names and then calls
 * `markAllDispatched`. A crash between the Kafka send and `markAllDispatched` sends the command again
 * after the restart. We assume devices de-duplicate by command id (carried in the Kafka headers);
 * Kafka's idempotent producer does not help here, since it only de-duplicates retries within one
 * producer session, and a restart is a new one.
 */
import { timeOrderedUuid } from './ids.js';
import Database from 'better-sqlite3';
import type { CommandRecord, KillSwitchState } from '../../../../contracts/api.js';
import type {
  CommandAck,
  CommandRequest,
  CommandStatus,
  Outcome,
  Principal,
  Risk,
  Verdict,
} from '../model.js';
import {
  type AuditCheckpoint,
  type AuditEntry,
  type AuditVerification,
  type ChainHead,
  boundedForAudit,
  canonicalJson,
  chainHash,
  genesisHash,
  redactedCanonicalJson,
  verifyChain,
} from './audit.js';

/** A command and a kill switch as the API serializes them: the contract's (contracts/api.ts). */
export type { CommandRecord, KillSwitchState } from '../../../../contracts/api.js';

/** What the guard chain concluded, and what it learned about the command on the way. */
export interface Judgement {
  status: 'accepted' | 'refused' | 'pending_approval';
  assetClass?: string;
  risk?: Risk;
  /** The new command's id; a fresh UUID by default. */
  id?: string;
  /** The W3C context of the deciding span (see CommandRecord.traceparent). */
  traceparent?: string;
}

export type DecisionResult =
  /** A new command record (refused ones too: their key is spent). */
  | { kind: 'recorded'; record: CommandRecord }
  /** The key was used before for the same request: the first record, unchanged. Send nothing. */
  | { kind: 'duplicate'; record: CommandRecord }
  /** The key was used before for a different request (HTTP 409). */
  | { kind: 'conflict'; record: CommandRecord }
  /** A dry run: audited, no record. */
  | { kind: 'audited' };

export type ApprovalResult =
  | { ok: true; record: CommandRecord }
  | { ok: false; code: 'not_found' | 'not_pending' | 'self_approval'; record?: CommandRecord };

export type KillSwitchScope = KillSwitchState['scope'];

export type ArchiveResult =
  | { ok: true; checkpoint: AuditCheckpoint }
  | {
      ok: false;
      code: 'beyond_head' | 'already_archived' | 'chain_broken';
      message: string;
    };

/**
 * Where an export begins: the entry before its first line (a checkpoint, or the genesis), which
 * `verifyChain` takes as `start`; or why it cannot begin where asked.
 */
export type AuditExport =
  | {
      ok: true;
      start: ChainHead;
      head: ChainHead;
      checkpoint?: AuditCheckpoint;
      pages: Iterable<string>;
    }
  | { ok: false; code: 'archived' | 'beyond_head'; message: string };

export interface AuditInput {
  actor: string;
  action: string;
  commandId?: string;
  assetId?: string;
  details: Record<string, unknown>;
}

interface CommandRow {
  id: string;
  idempotency_key: string;
  username: string;
  asset_id: string;
  asset_class: string | null;
  name: string;
  params: string;
  risk: Risk | null;
  reason: string;
  expected_version: number | null;
  status: CommandStatus;
  verdicts: string;
  submitted_at_ms: number;
  approved_by: string | null;
  approved_at_ms: number | null;
  rejected_by: string | null;
  rejected_at_ms: number | null;
  rejection_reason: string | null;
  dispatched_at_ms: number | null;
  acked_at_ms: number | null;
  done_at_ms: number | null;
  traceparent: string | null;
  outcome: Outcome | null;
  outcome_at_ms: number | null;
  outcome_message: string | null;
}

/** An audit_log row as SQLite returns it (its columns). */
export interface AuditRow {
  seq: number;
  at_ms: number;
  actor: string;
  action: string;
  command_id: string | null;
  asset_id: string | null;
  details: string;
  prev_hash: string;
  hash: string;
}

interface CheckpointRow {
  seq: number;
  hash: string;
  at_ms: number;
  actor: string;
  count: number;
}

interface KillSwitchRow {
  asset_class: string | null;
  engaged: number;
  actor: string;
  reason: string;
  changed_at_ms: number;
}

/** Rows leave the audit log only by an archive, once a checkpoint covers them. */
const auditNoDelete = `
  CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
    WHEN OLD.seq > (SELECT COALESCE(MAX(seq), 0) FROM audit_checkpoints)
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only (rows leave only by an archive)'); END;`;

const schema = `
  CREATE TABLE IF NOT EXISTS audit_log (
    seq INTEGER PRIMARY KEY,
    at_ms REAL NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    command_id TEXT,
    asset_id TEXT,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS audit_log_command ON audit_log (command_id, seq);
  -- Each archive: the rows through seq were removed, the last of them hashing to hash. The log
  -- verifies from the newest one on.
  CREATE TABLE IF NOT EXISTS audit_checkpoints (
    seq INTEGER PRIMARY KEY,
    hash TEXT NOT NULL,
    at_ms REAL NOT NULL,
    actor TEXT NOT NULL,
    count INTEGER NOT NULL
  );
  -- The chain detects edits; these make them take deliberate effort (dropping the triggers).
  CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
  ${auditNoDelete}
  CREATE TRIGGER IF NOT EXISTS audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
    BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
  CREATE TRIGGER IF NOT EXISTS audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
    BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;

  CREATE TABLE IF NOT EXISTS commands (
    -- The order commands were recorded in: never tied, and kept by VACUUM (an aliased rowid).
    position INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    idempotency_key TEXT NOT NULL,
    username TEXT NOT NULL,
    asset_id TEXT NOT NULL,
    asset_class TEXT,
    name TEXT NOT NULL,
    params TEXT NOT NULL,
    risk TEXT,
    reason TEXT NOT NULL,
    expected_version INTEGER,
    status TEXT NOT NULL,
    verdicts TEXT NOT NULL,
    submitted_at_ms REAL NOT NULL,
    approved_by TEXT,
    approved_at_ms REAL,
    rejected_by TEXT,
    rejected_at_ms REAL,
    rejection_reason TEXT,
    dispatched_at_ms REAL,
    acked_at_ms REAL,
    done_at_ms REAL,
    traceparent TEXT,
    outcome TEXT,
    outcome_at_ms REAL,
    outcome_message TEXT,
    UNIQUE (username, idempotency_key)
  );
  -- Open commands by status, dispatched ones by when they were sent: the follower's query reads
  -- only those past their ack window, not every command still waiting for its ack.
  CREATE INDEX IF NOT EXISTS commands_open_by_status ON commands (status, dispatched_at_ms)
    WHERE outcome IS NULL;
  -- The guards' per-submission queries: an asset's open commands, and its commands accepted
  -- since a moment (the second also finds an asset's commands for a list). Without them each
  -- submission read the asset's whole command history, a cost that grew with the ledger (found
  -- by npm run soak).
  CREATE INDEX IF NOT EXISTS commands_in_flight ON commands (asset_id, submitted_at_ms)
    WHERE outcome IS NULL;
  CREATE INDEX IF NOT EXISTS commands_accepted_at
    ON commands (asset_id, name, COALESCE(approved_at_ms, submitted_at_ms));

  -- Accepted, not yet sent, in the order they were accepted.
  CREATE TABLE IF NOT EXISTS outbox (
    position INTEGER PRIMARY KEY,
    command_id TEXT NOT NULL UNIQUE REFERENCES commands (id),
    enqueued_at_ms REAL NOT NULL
  );

  CREATE TABLE IF NOT EXISTS kill_switches (
    scope TEXT PRIMARY KEY,
    asset_class TEXT,
    engaged INTEGER NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    changed_at_ms REAL NOT NULL
  );
`;

/** Statuses of commands that were accepted (directly or by approval) at some point. */
const everAccepted = `status NOT IN ('refused', 'pending_approval', 'approval_rejected')`;
const open: readonly CommandStatus[] = ['accepted', 'dispatched', 'acked'];

/**
 * What the guards ask per submission and the follower each tick; each is an index search (the
 * ledger test checks), so its cost follows the answer, not the asset's history or the commands
 * still open. Accepted commands come in the order they were accepted (approval time for approved
 * ones).
 */
export const indexedQueries = {
  inFlight: `SELECT * FROM commands WHERE asset_id = ? AND outcome IS NULL
    AND status IN ('accepted', 'dispatched', 'acked') ORDER BY submitted_at_ms`,
  recentAccepted: `SELECT * FROM commands WHERE asset_id = ? AND name = ? AND ${everAccepted}
    AND COALESCE(approved_at_ms, submitted_at_ms) >= ?
    ORDER BY COALESCE(approved_at_ms, submitted_at_ms)`,
  /** The follower's, each tick: acked commands, and dispatched ones sent before a moment. */
  dueForFollowUp: `SELECT * FROM commands WHERE status = 'acked' AND outcome IS NULL
    UNION ALL
    SELECT * FROM commands WHERE status = 'dispatched' AND outcome IS NULL AND dispatched_at_ms < ?
    ORDER BY dispatched_at_ms`,
};

export class CommandLedger {
  private readonly db: Database.Database;
  private readonly sql;
  /** One wrapper for every write; better-sqlite3 makes each a transaction (a savepoint if nested). */
  private readonly transaction;
  private readonly synchronous;

  /** `path` is a file, or ':memory:' for tests. */
  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // Commands are safety records: a commit is on disk before we answer or dispatch.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.exec(schema);
    migrate(this.db);
    this.transaction = this.db.transaction((work: () => unknown) => work());
    // Prepared once: db.pragma() compiles its statement at every call.
    this.synchronous = {
      full: this.db.prepare('PRAGMA synchronous = FULL'),
      normal: this.db.prepare('PRAGMA synchronous = NORMAL'),
    };
    const db = this.db;
    this.sql = {
      head: db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1'),
      insertAudit: db.prepare(
        `INSERT INTO audit_log (seq, at_ms, actor, action, command_id, asset_id, details, prev_hash, hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertCommand: db.prepare(
        `INSERT INTO commands (id, idempotency_key, username, asset_id, asset_class, name, params,
           risk, reason, expected_version, status, verdicts, submitted_at_ms, traceparent)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      get: db.prepare('SELECT * FROM commands WHERE id = ?'),
      byKey: db.prepare('SELECT * FROM commands WHERE username = ? AND idempotency_key = ?'),
      enqueue: db.prepare('INSERT INTO outbox (command_id, enqueued_at_ms) VALUES (?, ?)'),
      dequeue: db.prepare('DELETE FROM outbox WHERE command_id = ?'),
      outboxSize: db.prepare('SELECT count(*) FROM outbox'),
      pendingIds: db.prepare('SELECT command_id FROM outbox ORDER BY position LIMIT ?').pluck(),
      pendingBefore: db.prepare(
        `SELECT commands.* FROM outbox JOIN commands ON commands.id = outbox.command_id
         WHERE COALESCE(commands.approved_at_ms, commands.submitted_at_ms) < ?
         ORDER BY outbox.position LIMIT ?`,
      ),
      approve: db.prepare(
        `UPDATE commands SET status = 'accepted', approved_by = ?, approved_at_ms = ? WHERE id = ?`,
      ),
      rejectApproval: db.prepare(
        `UPDATE commands SET status = 'approval_rejected', rejected_by = ?, rejected_at_ms = ?,
           rejection_reason = ? WHERE id = ?`,
      ),
      // An ack may beat markAllDispatched (it runs after the send resolves): never move status back.
      dispatched: db.prepare(
        `UPDATE commands SET dispatched_at_ms = ?,
           status = CASE status WHEN 'accepted' THEN 'dispatched' ELSE status END WHERE id = ?
         RETURNING asset_id`,
      ),
      acked: db.prepare(
        `UPDATE commands SET acked_at_ms = COALESCE(acked_at_ms, @now),
           done_at_ms = CASE WHEN @status = 'done' THEN COALESCE(done_at_ms, @now) ELSE done_at_ms END,
           status = 'acked' WHERE id = @id`,
      ),
      outcome: db.prepare(
        `UPDATE commands SET status = ?, outcome = ?, outcome_at_ms = ?, outcome_message = ?,
           acked_at_ms = COALESCE(acked_at_ms, ?) WHERE id = ? RETURNING asset_id`,
      ),
      inFlight: db.prepare(indexedQueries.inFlight),
      recentAccepted: db.prepare(indexedQueries.recentAccepted),
      dueForFollowUp: db.prepare(indexedQueries.dueForFollowUp),
      setKillSwitch: db.prepare(
        `INSERT OR REPLACE INTO kill_switches (scope, asset_class, engaged, actor, reason, changed_at_ms)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      killSwitches: db.prepare('SELECT * FROM kill_switches ORDER BY scope'),
      auditAt: db.prepare('SELECT * FROM audit_log WHERE seq = ?'),
      auditFrom: db.prepare('SELECT * FROM audit_log WHERE seq >= ? ORDER BY seq'),
      auditAfter: db.prepare('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?'),
      checkpoint: db.prepare('SELECT * FROM audit_checkpoints ORDER BY seq DESC LIMIT 1'),
      insertCheckpoint: db.prepare(
        'INSERT INTO audit_checkpoints (seq, hash, at_ms, actor, count) VALUES (?, ?, ?, ?, ?)',
      ),
      archive: db.prepare('DELETE FROM audit_log WHERE seq <= ?'),
      auditForCommand: db.prepare(
        'SELECT * FROM audit_log WHERE command_id = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
    };
  }

  close(): void {
    this.db.close();
  }

  // ---- decisions and approvals ----

  /**
   * Records one attempt: its audit entry, its command record and, when accepted, its outbox row,
   * in one transaction. A key already used by this user wins over the new decision: the first
   * record is returned unchanged (or reported as a conflict if the request differs).
   */
  recordDecision(
    request: CommandRequest,
    principal: Principal,
    verdicts: Verdict[],
    judgement: Judgement,
    nowMs: number,
  ): DecisionResult {
    const failing = verdicts.filter((verdict) => !verdict.pass);
    // The chain decides; this only refuses to store a decision its own verdicts contradict.
    if (judgement.status === 'accepted' && failing.length > 0) {
      throw new Error(`cannot accept a command a guard refused (${failing[0]?.guard})`);
    }
    if (
      judgement.status === 'pending_approval' &&
      (failing.length === 0 || failing.some((verdict) => verdict.code !== 'approval_required'))
    ) {
      throw new Error('pending approval needs approval_required as the only failing verdict');
    }
    const details = {
      request: requestFields(request),
      principal,
      verdicts,
      status: judgement.status,
      assetClass: judgement.assetClass,
      risk: judgement.risk,
    };
    const actor = principal.user;
    return this.write(() => {
      if (request.dryRun) {
        this.append({ actor, action: 'command.dry_run', assetId: request.assetId, details }, nowMs);
        return { kind: 'audited' };
      }
      const first = this.sql.byKey.get(principal.user, request.idempotencyKey) as
        CommandRow | undefined;
      if (first) {
        const record = toRecord(first);
        // Bounded on both sides: a refused record keeps only the digest of large params.
        const same =
          canonicalJson(requestContent(record)) === canonicalJson(requestContent(request));
        const action = same ? 'command.duplicate' : 'command.idempotency_conflict';
        this.append(
          { actor, action, commandId: record.id, assetId: request.assetId, details },
          nowMs,
        );
        return { kind: same ? 'duplicate' : 'conflict', record };
      }
      const id = judgement.id ?? timeOrderedUuid(nowMs);
      // A refused command is never sent: its params are kept only as large as an audit entry's.
      const params = (
        judgement.status === 'refused' ? boundedForAudit(request.params) : request.params
      ) as Record<string, unknown>;
      this.sql.insertCommand.run(
        id,
        request.idempotencyKey,
        principal.user,
        request.assetId,
        judgement.assetClass ?? null,
        request.name,
        JSON.stringify(params),
        judgement.risk ?? null,
        request.reason,
        request.expectedVersion ?? null,
        judgement.status,
        JSON.stringify(verdicts),
        nowMs,
        judgement.traceparent ?? null,
      );
      if (judgement.status === 'accepted') this.sql.enqueue.run(id, nowMs);
      const action = `command.${judgement.status}`;
      this.append({ actor, action, commandId: id, assetId: request.assetId, details }, nowMs);
      // The row just written, without reading it back (what `get` would return).
      const record: CommandRecord = {
        id,
        idempotencyKey: request.idempotencyKey,
        user: principal.user,
        assetId: request.assetId,
        assetClass: judgement.assetClass,
        name: request.name,
        params: JSON.parse(JSON.stringify(params)) as Record<string, unknown>,
        risk: judgement.risk,
        reason: request.reason,
        expectedVersion: request.expectedVersion,
        status: judgement.status,
        verdicts,
        submittedAtMs: nowMs,
        traceparent: judgement.traceparent,
      };
      return { kind: 'recorded', record };
    });
  }

  /**
   * Moves a pending command to accepted and into the outbox. The approval rules (role, expiry)
   * are the caller's; this refuses only what must never be stored: a second decision on the
   * same command, or the requester approving their own command. Refusals are audited too.
   */
  approve(commandId: string, approver: string, nowMs: number): ApprovalResult {
    return this.write(() => {
      const refusal = this.approvalRefusal(commandId, approver, nowMs, true);
      if (refusal) return refusal;
      this.sql.approve.run(approver, nowMs, commandId);
      this.sql.enqueue.run(commandId, nowMs);
      const record = this.mustGet(commandId);
      this.append(
        {
          actor: approver,
          action: 'command.approved',
          commandId,
          assetId: record.assetId,
          details: {},
        },
        nowMs,
      );
      return { ok: true, record };
    });
  }

  /** Closes a pending command without sending it (a reviewer said no, or the approval expired). */
  rejectApproval(
    commandId: string,
    rejecter: string,
    reason: string,
    nowMs: number,
  ): ApprovalResult {
    return this.write(() => {
      const refusal = this.approvalRefusal(commandId, rejecter, nowMs, false);
      if (refusal) return refusal;
      this.sql.rejectApproval.run(rejecter, nowMs, reason, commandId);
      const record = this.mustGet(commandId);
      this.append(
        {
          actor: rejecter,
          action: 'command.approval_rejected',
          commandId,
          assetId: record.assetId,
          details: { reason },
        },
        nowMs,
      );
      return { ok: true, record };
    });
  }

  // ---- outbox, acks and outcomes ----

  /**
   * Accepted commands not yet marked dispatched, oldest first: send these (again, after a crash).
   * Ids only: the outbox also holds what is on the wire, and reading a record costs.
   */
  pendingIds(limit: number): string[] {
    return this.sql.pendingIds.all(limit) as string[];
  }

  /** Queued commands accepted (or approved) before `acceptedBefore`: those past their time. */
  pendingAcceptedBefore(acceptedBefore: number, limit: number): CommandRecord[] {
    return (this.sql.pendingBefore.all(acceptedBefore, limit) as CommandRow[]).map(toRecord);
  }

  /** How many commands wait to be sent (a gauge; cheaper than loading them). */
  outboxSize(): number {
    return this.sql.outboxSize.pluck().get() as number;
  }

  /**
   * After the send: marks a batch sent together dispatched, in one transaction (one disk flush per
   * batch, not per command). Returns the ids that were still in the outbox (not already marked).
   */
  markAllDispatched(commandIds: readonly string[], nowMs: number): string[] {
    // Not flushed on its own: the next flushed commit carries it to disk (WAL frames are written
    // in order). Losing it to a power cut only sends the commands again after the restart, which
    // devices de-duplicate by command id, exactly as after a crash between send and mark.
    this.synchronous.normal.run();
    try {
      return this.write(() => commandIds.filter((commandId) => this.markOne(commandId, nowMs)));
    } finally {
      this.synchronous.full.run();
    }
  }

  /**
   * Stores a device's ack (every ack is audited, even unknown or late ones). A 'rejected' ack is
   * final: it records the outcome rejected_by_device too. Returns the record if the ack applied.
   */
  recordAck(ack: CommandAck, nowMs: number): CommandRecord | undefined {
    return this.write(() => {
      const record = this.get(ack.commandId);
      const applies =
        record !== undefined &&
        record.assetId === ack.assetId &&
        record.outcome === undefined &&
        open.includes(record.status);
      const { commandId, assetId } = ack;
      const details = { ack, applied: applies, status: record?.status };
      this.append({ actor: 'system', action: 'command.ack', commandId, assetId, details }, nowMs);
      if (!applies) return undefined;
      if (ack.status === 'rejected')
        this.storeOutcome(commandId, 'rejected_by_device', ack.message, nowMs);
      else this.sql.acked.run({ now: nowMs, status: ack.status, id: commandId });
      return this.mustGet(commandId);
    });
  }

  /**
   * The final outcome (from the follower). The first one wins; a later one, or one for a
   * command never accepted, is audited and returns false. Also drops any outbox row: a command
   * that timed out before it was sent must not be sent afterwards.
   */
  recordOutcome(
    commandId: string,
    outcome: Outcome,
    message: string | undefined,
    nowMs: number,
  ): boolean {
    return this.write(() => {
      const record = this.get(commandId);
      if (!record || record.outcome !== undefined || !open.includes(record.status)) {
        const details = { outcome, message, status: record?.status, current: record?.outcome };
        const entry = { actor: 'system', action: 'command.outcome_ignored', commandId, details };
        this.append({ ...entry, assetId: record?.assetId }, nowMs);
        return false;
      }
      this.storeOutcome(commandId, outcome, message, nowMs);
      return true;
    });
  }

  // ---- queries ----

  get(id: string): CommandRecord | undefined {
    const row = this.sql.get.get(id) as CommandRow | undefined;
    return row && toRecord(row);
  }

  /** Accepted, dispatched or acked, without an outcome yet: for the conflict guard. */
  inFlight(assetId: string): CommandRecord[] {
    return (this.sql.inFlight.all(assetId) as CommandRow[]).map(toRecord);
  }

  /** Commands accepted (on submission or on approval) since `sinceMs`: for rate limits, cooldowns. */
  recentAccepted(assetId: string, name: string, sinceMs: number): CommandRecord[] {
    return (this.sql.recentAccepted.all(assetId, name, sinceMs) as CommandRow[]).map(toRecord);
  }

  /**
   * What the follower must look at now: acked commands (is the asset there yet?) and dispatched
   * ones sent before `dispatchedBefore` (their ack is overdue). Dispatched commands still within
   * their ack window are left out, so a large backlog costs nothing per tick.
   */
  dueForFollowUp(dispatchedBefore: number): CommandRecord[] {
    return (this.sql.dueForFollowUp.all(dispatchedBefore) as CommandRow[]).map(toRecord);
  }

  /**
   * Newest first, in the order they were recorded (unlike the time, never tied).
   * `before` is the last command id of the previous page.
   */
  list(filter: {
    assetId?: string;
    status?: CommandStatus;
    limit: number;
    before?: string;
  }): CommandRecord[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.assetId !== undefined) {
      where.push('asset_id = ?');
      params.push(filter.assetId);
    }
    if (filter.status !== undefined) {
      where.push('status = ?');
      params.push(filter.status);
    }
    if (filter.before !== undefined) {
      where.push('position < (SELECT position FROM commands WHERE id = ?)');
      params.push(filter.before);
    }
    const rows = this.db
      .prepare(
        `SELECT * FROM commands ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY position DESC LIMIT ?`,
      )
      .all(...params, filter.limit) as CommandRow[];
    return rows.map(toRecord);
  }

  // ---- kill switches ----

  setKillSwitch(
    scope: KillSwitchScope,
    engaged: boolean,
    actor: string,
    reason: string,
    nowMs: number,
  ): KillSwitchState {
    const assetClass = scope === 'global' ? null : scope.assetClass;
    return this.write(() => {
      this.sql.setKillSwitch.run(
        scopeKey(scope),
        assetClass,
        engaged ? 1 : 0,
        actor,
        reason,
        nowMs,
      );
      const action = engaged ? 'kill_switch.engaged' : 'kill_switch.released';
      this.append({ actor, action, details: { scope, engaged, reason } }, nowMs);
      return { scope, engaged, actor, reason, changedAtMs: nowMs };
    });
  }

  /** Every switch ever set, engaged or released. */
  killSwitches(): KillSwitchState[] {
    return (this.sql.killSwitches.all() as KillSwitchRow[]).map((row) => ({
      scope: row.asset_class === null ? 'global' : { assetClass: row.asset_class },
      engaged: row.engaged === 1,
      actor: row.actor,
      reason: row.reason,
      changedAtMs: row.changed_at_ms,
    }));
  }

  // ---- audit log ----

  /** For events other parts audit themselves (e.g. an approval the API refused). */
  appendAudit(entry: AuditInput, nowMs: number): AuditEntry {
    const { seq } = this.write(() => this.append(entry, nowMs));
    return toEntry(this.sql.auditAt.get(seq) as AuditRow);
  }

  readAudit(query: { commandId?: string; limit: number; afterSeq?: number }): AuditEntry[] {
    const after = query.afterSeq ?? 0;
    const rows =
      query.commandId === undefined
        ? this.sql.auditAfter.all(after, query.limit)
        : this.sql.auditForCommand.all(query.commandId, after, query.limit);
    return (rows as AuditRow[]).map(toEntry);
  }

  /**
   * The entries after `afterSeq` (the checkpoint by default) as one canonical JSON entry per line,
   * `pageSize` lines per page, read a page at a time (keyset pagination): memory stays that of one
   * page however long the log, and the caller may pause between pages. Verifiable with
   * `verifyChain` from `start`.
   */
  exportAudit(afterSeq?: number, pageSize = 256): AuditExport {
    const checkpoint = this.auditCheckpoint();
    const head = this.auditHead();
    const from = checkpoint ?? { seq: 0, hash: genesisHash };
    const after = afterSeq ?? from.seq;
    if (after < from.seq) {
      const message = `rows through ${from.seq} are archived: export from after=${from.seq} or later`;
      return { ok: false, code: 'archived', message };
    }
    if (after > head.seq) {
      const message = `after=${after} is beyond the last audit entry (row ${head.seq})`;
      return { ok: false, code: 'beyond_head', message };
    }
    const startRow = after === from.seq ? undefined : (this.sql.auditAt.get(after) as AuditRow);
    // A row removed behind the ledger's back has no hash to start from: the verifier names it.
    const start = startRow ? { seq: after, hash: startRow.hash } : { ...from, seq: after };
    return {
      ok: true,
      start: { seq: start.seq, hash: start.hash },
      head,
      ...(checkpoint ? { checkpoint } : {}),
      pages: this.exportPages(after, pageSize),
    };
  }

  private *exportPages(afterSeq: number, pageSize: number): Generator<string> {
    let after = afterSeq;
    for (;;) {
      const rows = this.sql.auditAfter.all(after, pageSize) as AuditRow[];
      const last = rows.at(-1);
      if (!last) return;
      // An archive between two pages would make the export skip rows silently: stop instead.
      const checkpoint = this.auditCheckpoint();
      if (checkpoint && checkpoint.seq > after) {
        throw new Error(
          `rows through ${checkpoint.seq} were archived during the export; export again from after=${checkpoint.seq}`,
        );
      }
      let lines = '';
      for (const row of rows) lines += `${exportLine(row)}\n`;
      yield lines;
      after = last.seq;
    }
  }

  /** The last entry: publish it elsewhere now and then, and pass it to `verifyAudit` later. */
  auditHead(): ChainHead {
    return (
      (this.sql.head.get() as ChainHead | undefined) ??
      // Everything archived: the chain goes on from the checkpoint.
      this.auditCheckpoint() ?? { seq: 0, hash: genesisHash }
    );
  }

  /** The newest archive's checkpoint: where the log now begins (absent: from the genesis). */
  auditCheckpoint(): AuditCheckpoint | undefined {
    const row = this.sql.checkpoint.get() as CheckpointRow | undefined;
    return (
      row && { seq: row.seq, hash: row.hash, atMs: row.at_ms, actor: row.actor, count: row.count }
    );
  }

  /**
   * Recomputes the chain from the newest checkpoint (the genesis when nothing was archived);
   * names the first bad row, and says which checkpoint it started from.
   */
  verifyAudit(anchor?: ChainHead): AuditVerification & { checkpoint?: AuditCheckpoint } {
    const checkpoint = this.auditCheckpoint();
    const rows = this.sql.auditFrom.iterate(
      (checkpoint?.seq ?? 0) + 1,
    ) as IterableIterator<AuditRow>;
    const result = verifyChain(
      (function* () {
        for (const row of rows) yield toEntry(row);
      })(),
      anchor,
      checkpoint,
    );
    return checkpoint ? { ...result, checkpoint } : result;
  }

  /**
   * `verifyAudit` in slices of at most `budgetMs` of work, awaiting `pause` between them: a long
   * log is checked without holding the event loop (walked at once, a million entries take
   * seconds, and every request waits). From `since`, a head verified before whose row still holds
   * its hash, only what was appended after it is walked: a periodic check then costs what was
   * written since the last one, not the whole log. Stops at the head the walk began with, which
   * it returns as `through`; an archive during the walk starts it again.
   */
  async verifyAuditPaced(
    pause: () => Promise<unknown>,
    options: { since?: ChainHead; budgetMs?: number } = {},
  ): Promise<{
    verification: AuditVerification & { checkpoint?: AuditCheckpoint };
    through: ChainHead;
  }> {
    const budgetMs = options.budgetMs ?? 3;
    const checkpoint = this.auditCheckpoint();
    const head = this.auditHead();
    const from = checkpoint ?? { seq: 0, hash: genesisHash };
    const since = options.since;
    const sinceRow =
      since && since.seq > from.seq
        ? (this.sql.auditAt.get(since.seq) as AuditRow | undefined)
        : undefined;
    let start: ChainHead = sinceRow?.hash === since?.hash && sinceRow ? since! : from;
    let entries = 0;
    let sliceFrom = performance.now();
    while (start.seq < head.seq) {
      const limit = Math.min(256, head.seq - start.seq);
      const rows = this.sql.auditAfter.all(start.seq, limit) as AuditRow[];
      const page = verifyChain(rows.map(toEntry), rows.length ? undefined : head, start);
      if (!page.ok) {
        if (this.auditCheckpoint()?.seq !== checkpoint?.seq) return this.verifyAuditPaced(pause);
        return { verification: checkpoint ? { ...page, checkpoint } : page, through: start };
      }
      entries += page.entries;
      const last = rows.at(-1)!;
      start = { seq: last.seq, hash: last.hash };
      if (performance.now() - sliceFrom >= budgetMs) {
        await pause();
        sliceFrom = performance.now();
      }
    }
    const result: AuditVerification = { ok: true, entries };
    return { verification: checkpoint ? { ...result, checkpoint } : result, through: start };
  }

  /**
   * Removes the entries through `throughSeq` (export them first) after recording a checkpoint:
   * that row's seq and hash, so what remains still verifies from it. The archive itself is an
   * audit entry (`audit.archived`); a refused one too (`audit.archive_refused`). Refused when
   * `throughSeq` is beyond the head or already archived, or when the rows it would remove do
   * not verify (archiving them would hide the break).
   */
  archiveAudit(throughSeq: number, actor: string, reason: string, nowMs: number): ArchiveResult {
    return this.write((): ArchiveResult => {
      const previous = this.auditCheckpoint();
      const from = previous ?? { seq: 0, hash: genesisHash };
      const head = this.auditHead();
      const refusal = archiveRefusal(throughSeq, from.seq, head.seq, () =>
        verifyChain(
          (this.sql.auditAfter.all(from.seq, throughSeq - from.seq) as AuditRow[]).map(toEntry),
          undefined,
          from,
        ),
      );
      if (refusal) {
        const details = { throughSeq, reason, code: refusal.code, message: refusal.message };
        this.append({ actor, action: 'audit.archive_refused', details }, nowMs);
        return { ok: false, ...refusal };
      }
      const { hash } = this.sql.auditAt.get(throughSeq) as AuditRow;
      const count = throughSeq - from.seq;
      const checkpoint: AuditCheckpoint = { seq: throughSeq, hash, atMs: nowMs, actor, count };
      this.append(
        { actor, action: 'audit.archived', details: { throughSeq, hash, count, reason } },
        nowMs,
      );
      this.sql.insertCheckpoint.run(throughSeq, hash, nowMs, actor, count);
      this.sql.archive.run(throughSeq);
      return { ok: true, checkpoint };
    });
  }

  /**
   * Runs several writes as one transaction (each becomes a savepoint: one that throws is undone
   * alone). One commit, so one disk flush, however many decisions the batch holds.
   */
  batch<T>(work: () => T): T {
    return this.write(work);
  }

  // ---- internals ----

  /** BEGIN IMMEDIATE: read the chain head and write under one lock, even across processes. */
  private write<T>(work: () => T): T {
    return this.transaction.immediate(work) as T;
  }

  /** Appends to the chain; only inside `write`. */
  private append(input: AuditInput, atMs: number): ChainHead {
    const head = this.auditHead();
    // Hash exactly the text stored: redacted and canonical (it reads back to the same text).
    const detailsJson = redactedCanonicalJson(input.details);
    const seq = head.seq + 1;
    const { actor, action, commandId, assetId } = input;
    const hash = chainHash(
      head.hash,
      { seq, atMs, actor, action, commandId, assetId },
      detailsJson,
    );
    this.sql.insertAudit.run(
      seq,
      atMs,
      actor,
      action,
      commandId ?? null,
      assetId ?? null,
      detailsJson,
      head.hash,
      hash,
    );
    return { seq, hash };
  }

  private markOne(commandId: string, nowMs: number): boolean {
    if (this.sql.dequeue.run(commandId).changes === 0) return false;
    const { asset_id: assetId } = this.sql.dispatched.get(nowMs, commandId) as { asset_id: string };
    this.append(
      { actor: 'system', action: 'command.dispatched', commandId, assetId, details: {} },
      nowMs,
    );
    return true;
  }

  private storeOutcome(
    commandId: string,
    outcome: Outcome,
    message: string | undefined,
    nowMs: number,
  ): void {
    const { asset_id: assetId } = this.sql.outcome.get(
      outcome,
      outcome,
      nowMs,
      message ?? null,
      nowMs,
      commandId,
    ) as { asset_id: string };
    this.sql.dequeue.run(commandId);
    const details = { outcome, message };
    this.append({ actor: 'system', action: 'command.outcome', commandId, assetId, details }, nowMs);
  }

  private approvalRefusal(
    commandId: string,
    actor: string,
    nowMs: number,
    approving: boolean,
  ): ApprovalResult | undefined {
    const record = this.get(commandId);
    const code = !record
      ? 'not_found'
      : record.status !== 'pending_approval'
        ? 'not_pending'
        : approving && record.user === actor
          ? 'self_approval'
          : undefined;
    if (!code) return undefined;
    const action = approving ? 'command.approval_refused' : 'command.approval_rejection_refused';
    const details = { code, status: record?.status };
    this.append({ actor, action, commandId, assetId: record?.assetId, details }, nowMs);
    return { ok: false, code, record };
  }

  private mustGet(id: string): CommandRecord {
    const record = this.get(id);
    if (!record) throw new Error(`command ${id} vanished inside its transaction`);
    return record;
  }
}

/** Why an archive through `throughSeq` must not happen (pure but for the chain check it runs). */
function archiveRefusal(
  throughSeq: number,
  checkpointSeq: number,
  headSeq: number,
  verify: () => AuditVerification,
): { code: 'beyond_head' | 'already_archived' | 'chain_broken'; message: string } | undefined {
  if (throughSeq > headSeq) {
    return {
      code: 'beyond_head',
      message: `throughSeq ${throughSeq} is beyond the last audit entry (row ${headSeq})`,
    };
  }
  if (throughSeq <= checkpointSeq) {
    return {
      code: 'already_archived',
      message: `rows through ${checkpointSeq} are already archived: throughSeq must be above ${checkpointSeq}`,
    };
  }
  const verified = verify();
  if (!verified.ok) {
    return {
      code: 'chain_broken',
      message: `the audit chain is broken at row ${verified.seq} (${verified.reason}); archiving it would hide that`,
    };
  }
  return undefined;
}

/** Columns added after the first release, for ledger files made before them. */
function migrate(db: Database.Database): void {
  const columns = (db.pragma('table_info(commands)') as { name: string }[]).map((c) => c.name);
  if (!columns.includes('done_at_ms')) db.exec('ALTER TABLE commands ADD COLUMN done_at_ms REAL');
  if (!columns.includes('traceparent')) db.exec('ALTER TABLE commands ADD COLUMN traceparent TEXT');
  // Files made before archiving refused every delete: the trigger now lets an archive through.
  const noDelete = db
    .prepare(
      "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'audit_log_no_delete'",
    )
    .pluck()
    .get() as string | undefined;
  if (noDelete !== undefined && !noDelete.includes('audit_checkpoints')) {
    db.exec('DROP TRIGGER audit_log_no_delete');
    db.exec(auditNoDelete);
  }
  // (asset_id, name, submitted_at_ms) served nothing commands_accepted_at does not, and each
  // command wrote a random page of it.
  db.exec('DROP INDEX IF EXISTS commands_asset');
  // Replaced by commands_open_by_status, which also orders dispatched commands by their time.
  db.exec('DROP INDEX IF EXISTS commands_open');
}

function scopeKey(scope: KillSwitchScope): string {
  return scope === 'global' ? 'global' : `class:${scope.assetClass}`;
}

/** The request as audited (dryRun included, so a dry run is visibly one). */
function requestFields(request: CommandRequest) {
  return {
    ...requestContent(request),
    idempotencyKey: request.idempotencyKey,
    dryRun: request.dryRun,
  };
}

/**
 * What must match for a repeated key to be the same request; params as audited (large ones by
 * digest), which is all a refused record keeps of them.
 */
function requestContent(request: Omit<CommandRequest, 'idempotencyKey'>) {
  const { assetId, name, params, expectedVersion, reason } = request;
  return {
    assetId,
    name,
    params: boundedForAudit(params),
    expectedVersion: expectedVersion ?? null,
    reason,
  };
}

function toRecord(row: CommandRow): CommandRecord {
  return {
    id: row.id,
    idempotencyKey: row.idempotency_key,
    user: row.username,
    assetId: row.asset_id,
    assetClass: row.asset_class ?? undefined,
    name: row.name,
    params: JSON.parse(row.params) as Record<string, unknown>,
    risk: row.risk ?? undefined,
    reason: row.reason,
    expectedVersion: row.expected_version ?? undefined,
    status: row.status,
    verdicts: JSON.parse(row.verdicts) as Verdict[],
    submittedAtMs: row.submitted_at_ms,
    approvedBy: row.approved_by ?? undefined,
    approvedAtMs: row.approved_at_ms ?? undefined,
    rejectedBy: row.rejected_by ?? undefined,
    rejectedAtMs: row.rejected_at_ms ?? undefined,
    rejectionReason: row.rejection_reason ?? undefined,
    dispatchedAtMs: row.dispatched_at_ms ?? undefined,
    ackedAtMs: row.acked_at_ms ?? undefined,
    doneAtMs: row.done_at_ms ?? undefined,
    traceparent: row.traceparent ?? undefined,
    outcome: row.outcome ?? undefined,
    outcomeAtMs: row.outcome_at_ms ?? undefined,
    outcomeMessage: row.outcome_message ?? undefined,
  };
}

/**
 * `canonicalJson(toEntry(row))`, built from the columns: the details are stored as canonical JSON
 * already, so they are only checked, not rebuilt (an export costs a few microseconds a row).
 */
function exportLine(row: AuditRow): string {
  let details = row.details;
  try {
    JSON.parse(details);
  } catch {
    details = canonicalJson({ unreadable: row.details });
  }
  const json = (value: unknown) => JSON.stringify(value);
  return (
    `{"action":${json(row.action)},"actor":${json(row.actor)},` +
    (row.asset_id === null ? '' : `"assetId":${json(row.asset_id)},`) +
    `"atMs":${json(row.at_ms)},` +
    (row.command_id === null ? '' : `"commandId":${json(row.command_id)},`) +
    `"details":${details},"hash":${json(row.hash)},"prevHash":${json(row.prev_hash)},` +
    `"seq":${json(row.seq)}}`
  );
}

function toEntry(row: AuditRow): AuditEntry {
  let details: Record<string, unknown>;
  try {
    details = JSON.parse(row.details) as Record<string, unknown>;
  } catch {
    // Unreadable text was never written by us: let the hash check name the row.
    details = { unreadable: row.details };
  }
  return {
    seq: row.seq,
    atMs: row.at_ms,
    actor: row.actor,
    action: row.action,
    ...(row.command_id === null ? {} : { commandId: row.command_id }),
    ...(row.asset_id === null ? {} : { assetId: row.asset_id }),
    details,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
