/**
 * What the command gateway answers, in its own words. The API (api/commands.ts) turns the kind
 * into an HTTP status and `retryAfterMs` into a Retry-After header; the gateway knows no HTTP.
 */
import { isRefusal } from './guards/index.js';
import type { CommandRecord } from './ledger/ledger.js';
import type { Verdict } from './model.js';

export type AnswerKind =
  /** Done (or, for a submission, accepted). */
  | 'ok'
  /** Recorded and held for a second person's approval. */
  | 'held'
  | 'unauthenticated'
  /** The principal's roles do not allow it. */
  | 'forbidden'
  | 'not_found'
  /** The state is in the way (an idempotency key reused, a command in flight): read, retry. */
  | 'conflict'
  /** A guard refused it. */
  | 'refused'
  /** A rate limit or cooldown: retry after `retryAfterMs`. */
  | 'throttled'
  | 'failed';

export interface CommandAnswer {
  kind: AnswerKind;
  body: unknown;
  retryAfterMs?: number;
}

/** A stranger learns why authentication failed, nothing else. */
export function unauthenticatedAnswer(refusal: Verdict): CommandAnswer {
  return { kind: 'unauthenticated', body: { error: refusal.message, code: refusal.code } };
}

/**
 * A submission's answer kind from its record: forbidden for a role that may not, conflict when
 * the asset's state or another command is in the way, throttled for rate limits and cooldowns,
 * refused for every other guard's refusal.
 */
export function submissionKind(record: CommandRecord): AnswerKind {
  if (record.status === 'pending_approval') return 'held';
  if (record.status !== 'refused') return 'ok';
  switch (record.verdicts.find(isRefusal)?.code) {
    case 'forbidden':
      return 'forbidden';
    case 'command_in_flight':
    case 'version_mismatch':
      return 'conflict';
    case 'rate_limited':
    case 'cooldown':
      return 'throttled';
    default:
      return 'refused';
  }
}
