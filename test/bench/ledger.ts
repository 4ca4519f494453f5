/**
 * Ledger throughput on a real file (WAL, synchronous = FULL), nothing batched per decision: each
 * recordDecision is one durable commit. Dispatch is marked per command, then (as a dispatcher
 * under load would) per sent batch. The whole gateway targets ≥ 1,000 commands/s, so the ledger
 * should manage several thousand. Also times a full audit verification.
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  alice,
  freshPath,
  passing,
  request,
} from '../../exporter/test/commands/ledger/fixtures.js';
import { CommandLedger } from '../../exporter/src/commands/ledger/ledger.js';

const decision = { status: 'accepted', assetClass: 'pump', risk: 'low' } as const;
/** Commands a dispatcher finds queued per wake-up in the batched run. */
const dispatchBatch = 20;

/** Runs `round` (returning commands done) for about `ms` after a warm-up; commands per second. */
async function measure(ms: number, round: () => number): Promise<number> {
  const warmUntil = performance.now() + 300;
  while (performance.now() < warmUntil) round();
  await new Promise((resolve) => setImmediate(resolve));
  let commands = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    commands += round();
    elapsed = performance.now() - start;
  }
  return (commands / elapsed) * 1000;
}

export async function benchLedger(ms = 3000): Promise<string[]> {
  const path = freshPath();
  const ledger = new CommandLedger(path);
  try {
    let n = 0;
    const decide = (): string => {
      const req = request({ idempotencyKey: `k${n}`, assetId: `pump-${n % 500}` });
      n++;
      const result = ledger.recordDecision(req, alice, passing, decision, Date.now());
      if (result.kind !== 'recorded') throw new Error(`unexpected ${result.kind}`);
      return result.record.id;
    };
    const single = await measure(ms, () => {
      ledger.markAllDispatched([decide()], Date.now());
      return 1;
    });
    const batched = await measure(ms, () => {
      for (let i = 0; i < dispatchBatch; i++) decide();
      ledger.markAllDispatched(ledger.pendingIds(dispatchBatch), Date.now());
      return dispatchBatch;
    });

    const verifyStart = performance.now();
    const verification = ledger.verifyAudit();
    const verifyMs = performance.now() - verifyStart;
    if (!verification.ok) throw new Error(`audit chain broken at ${verification.seq}`);

    const figure = (perSecond: number) =>
      `${Math.round(perSecond).toLocaleString('en')} commands/s (${(1e6 / perSecond).toFixed(0)} µs each)`;
    return [
      `ledger file in ${dirname(path)} (WAL, synchronous = FULL)`,
      `recordDecision + markAllDispatched of one, 2 commits each: ${figure(single)}`,
      `recordDecision + markAllDispatched per ${dispatchBatch} sent: ${figure(batched)}`,
      `verifyAudit: ${verification.entries.toLocaleString('en')} entries in ${verifyMs.toFixed(0)} ms ` +
        `(${Math.round((verification.entries / verifyMs) * 1000).toLocaleString('en')} entries/s)`,
    ];
  } finally {
    ledger.close();
    rmSync(dirname(path), { recursive: true, force: true });
  }
}
