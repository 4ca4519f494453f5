/**
 * The vocabulary of guarded commands, shared by the guard chain, the audit log, the outbox and
 * dispatch, the ack tracker and the command API. The chain and its order are the architecture
 * page's: authentication → authorization → schema → kill switch → safety envelope → freshness →
 * divergence → simulation → precondition → conflict → rate limit and cooldown → approval.
 */
import type { PropertyValue, Role } from '../model.js';

export type Risk = 'low' | 'medium' | 'high';
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

/** What a client submits. */
export interface CommandRequest {
  /** Client-chosen; a repeated key returns the first result and sends nothing new. */
  idempotencyKey: string;
  assetId: string;
  /** A command of the asset's class catalog, e.g. `setSpeed`. */
  name: string;
  params: Record<string, unknown>;
  /** The asset's state version the operator saw; refused if the asset moved on. */
  expectedVersion?: number;
  /** Why: required, goes to the audit log. */
  reason: string;
  /** Return every guard's verdict without dispatching or recording a command. */
  dryRun?: boolean;
}

/** Stable reason codes for refusals: API clients and the UI switch on these. */
export type ReasonCode =
  | 'unauthenticated'
  | 'forbidden'
  | 'unknown_asset'
  | 'unknown_command'
  | 'invalid_params'
  | 'kill_switch_engaged'
  | 'out_of_bounds'
  | 'step_too_large'
  | 'forbidden_state'
  | 'stale_twin'
  | 'diverged_twin'
  | 'simulation_out_of_envelope'
  | 'version_mismatch'
  | 'command_in_flight'
  | 'rate_limited'
  | 'cooldown'
  | 'approval_required'
  | 'approval_expired'
  | 'self_approval';

export type GuardName =
  | 'authentication'
  | 'authorization'
  | 'schema'
  | 'kill_switch'
  | 'safety_envelope'
  | 'freshness'
  | 'divergence'
  | 'simulation'
  | 'precondition'
  | 'conflict'
  | 'rate_limit'
  | 'approval';

export const guardOrder: readonly GuardName[] = [
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
];

/** One guard's judgement. `pass` false with code `approval_required` means "hold for approval". */
export interface Verdict {
  guard: GuardName;
  pass: boolean;
  code?: ReasonCode;
  /** A sentence a person can act on, e.g. "speed 1800 is above the maximum 1500 rpm". */
  message: string;
  /** Rate limit and cooldown refusals: how long until the same command would pass. */
  retryAfterMs?: number;
}

/** Where a command is in its life. */
export type CommandStatus =
  | 'refused'
  | 'pending_approval'
  | 'accepted'
  | 'dispatched'
  | 'acked'
  | 'applied'
  | 'rejected_by_device'
  | 'timed_out'
  | 'diverged_after_ack'
  | 'approval_rejected';

/** Final outcomes, feeding the actuation success and convergence SLIs. */
export type Outcome =
  'applied' | 'acked' | 'rejected_by_device' | 'timed_out' | 'diverged_after_ack';

/** What a device reports on `twin.commands.ack`. */
export interface CommandAck {
  commandId: string;
  assetId: string;
  status: 'accepted' | 'rejected' | 'done';
  message?: string;
  /** The asset's reported value after applying, when the device knows it. */
  reportedValue?: PropertyValue;
  timeUnixNano?: string;
}
