/** Runs the guards in the architecture's order and turns their verdicts into one decision. */
import type { Verdict } from '../model.js';
import type { GuardContext } from './context.js';
import { guardOrder, guards } from './guards.js';

export type ChainDecision = 'accept' | 'refuse' | 'hold_for_approval';

export interface ChainResult {
  /** In `guardOrder`; on a real submission only up to and including the first refusal. */
  verdicts: Verdict[];
  decision: ChainDecision;
}

/** A failing verdict that ends the command; `approval_required` only holds it. */
export function isRefusal(verdict: Verdict): boolean {
  return !verdict.pass && verdict.code !== 'approval_required';
}

/**
 * A real submission stops at the first refusal: later guards would judge a command that is not
 * going anywhere. A dry run runs every guard so the operator sees everything wrong at once.
 */
export function runGuardChain(ctx: GuardContext, options: { dryRun: boolean }): ChainResult {
  const verdicts: Verdict[] = [];
  for (const name of guardOrder) {
    const verdict = guards[name](ctx);
    verdicts.push(verdict);
    if (!options.dryRun && isRefusal(verdict)) break;
  }
  const decision: ChainDecision = verdicts.some(isRefusal)
    ? 'refuse'
    : verdicts.some((v) => !v.pass)
      ? 'hold_for_approval'
      : 'accept';
  return { verdicts, decision };
}
