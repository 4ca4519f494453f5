/** Shared test and bench inputs for the ledger. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { guardOrder } from '../../../src/commands/guards/index.js';
import type { CommandLedger, CommandRecord } from '../../../src/commands/ledger/ledger.js';
import type { CommandRequest, Principal, Verdict } from '../../../src/commands/model.js';

export const alice: Principal = { user: 'alice', roles: ['operator'], via: 'token', kind: 'user' };
export const bob: Principal = {
  user: 'bob',
  roles: ['engineer'],
  via: 'grafana-proxy',
  kind: 'user',
};

export const freshPath = (): string =>
  join(mkdtempSync(join(tmpdir(), 'twinops-ledger-')), 'ledger.db');

export function request(overrides: Partial<CommandRequest> = {}): CommandRequest {
  return {
    idempotencyKey: 'key-1',
    assetId: 'pump-1',
    name: 'setSpeed',
    params: { rpm: 1200 },
    expectedVersion: 7,
    reason: 'raise flow for the morning peak',
    ...overrides,
  };
}

export const passing: Verdict[] = guardOrder.map((guard) => ({ guard, pass: true, message: 'ok' }));

export const needsApproval: Verdict[] = passing.map((verdict) =>
  verdict.guard === 'approval'
    ? { ...verdict, pass: false, code: 'approval_required', message: 'high risk: a second person' }
    : verdict,
);

export const refusedStale: Verdict[] = [
  ...passing.slice(0, 5),
  { guard: 'freshness', pass: false, code: 'stale_twin', message: 'twin is 40 s old' },
];

/** The outbox's commands, oldest first: what the dispatcher would send next. */
export function outbox(ledger: CommandLedger, limit: number): CommandRecord[] {
  return ledger.pendingIds(limit).map((id) => ledger.get(id)!);
}

/** A user's command by its idempotency key. */
export function byKey(
  ledger: CommandLedger,
  user: string,
  idempotencyKey: string,
): CommandRecord | undefined {
  return ledger
    .list({ limit: 10_000 })
    .find((record) => record.user === user && record.idempotencyKey === idempotencyKey);
}

/** Sent and still without an outcome, in the order they were sent (then recorded). */
export function awaitingOutcome(ledger: CommandLedger): CommandRecord[] {
  return ledger
    .list({ limit: 10_000 })
    .reverse()
    .filter((r) => r.outcome === undefined && (r.status === 'dispatched' || r.status === 'acked'))
    .sort((a, b) => (a.dispatchedAtMs ?? 0) - (b.dispatchedAtMs ?? 0));
}
