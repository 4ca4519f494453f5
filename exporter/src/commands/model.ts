/**
 * The vocabulary of guarded commands, shared by the guard chain, the audit log, the outbox and
 * the dispatcher, the follower and the command API. The chain and its order are the architecture
 * page's: authentication → authorization → schema → kill switch → safety envelope → freshness →
 * divergence → simulation → precondition → conflict → rate limit and cooldown → approval.
 */
import type { Risk } from '../../../contracts/api.js';
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
