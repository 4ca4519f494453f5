/**
 * The vocabulary of guarded commands, shared by the guard chain, the audit log, the outbox and
 * dispatch, the ack tracker and the command API. The chain and its order are the architecture
 * page's: authentication → authorization → schema → kill switch → safety envelope → freshness →
 * divergence → simulation → precondition → conflict → rate limit and cooldown → approval.
 */
import type { GuardName, Risk, guardNames } from '../../../contracts/api.js';
import type { Role } from '../model.js';

// The wire types are the contracts' (contracts/): what the API serializes and devices send.
export type {
  CommandRequest,
  CommandStatus,
  GuardName,
  Outcome,
  ReasonCode,
  Risk,
  Verdict,
} from '../../../contracts/api.js';
export type { CommandAck } from '../../../contracts/commands.js';

export const risks: readonly Risk[] = ['low', 'medium', 'high'];

/**
 * A person, or one of Grafana's non-person identities: those may read, but never submit, approve,
 * use the kill switch or retire assets, whatever their role.
 */
export type PrincipalKind = 'user' | 'service-account' | 'anonymous';

/** Who is asking, once authenticated (bearer token, or Grafana's proxy headers). */
export interface Principal {
  user: string;
  roles: Role[];
  /** How they proved it: a token, or Grafana's proxy behind the shared secret. */
  via: 'token' | 'grafana-proxy';
  kind: PrincipalKind;
}

/**
 * The contracts' `guardNames`, as a value of the exporter's own (dist/ emits nothing from
 * contracts/); `SameOrder` makes a different list or order a compile error.
 */
export const guardOrder = [
  'authentication',
  'authorization',
  'schema',
  'kill_switch',
  'safety_envelope',
  'freshness',
  'divergence',
  'simulation',
  'precondition',
  'conflict',
  'rate_limit',
  'approval',
] as const satisfies readonly GuardName[];
type SameOrder<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _sameAsTheContracts: SameOrder<typeof guardOrder, typeof guardNames> = true;
