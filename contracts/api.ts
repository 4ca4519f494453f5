/**
 * The twin API's and the command API's JSON, as the exporter serves and accepts it. The exporter's
 * reads and ledger are declared with these types (a change there that breaks a client fails to
 * compile), the Grafana plugin reads the API with them, and contracts.test.ts checks the command
 * request against the JSON Schema the API validates it with.
 *
 * Types and `as const` constants only: nothing here runs.
 */

// ---- the twin API (GET /api/v1/assets, /assets/:id, /assets/:id/properties/:p/history, …) ----

/** A property's value: telemetry and commands carry numbers, strings and booleans only. */
export type PropertyValue = number | string | boolean;

/** Which side of the twin an observation is from. */
export type Side = 'physical' | 'twin';

export interface AssetSummary {
  id: string;
  assetClass: string;
  site: string | null;
  lastSeenMs: number;
  stale: boolean;
  diverged: boolean;
  /** Silent past retention: its state was dropped; it counts as stale until retired. */
  dark: boolean;
  /** How many properties the asset has. */
  properties: number;
}

/** GET /api/v1/assets's filters. */
export interface AssetQuery {
  assetClass?: string;
  site?: string;
  /** Stale and diverged are judged at the request's `now`, as GET /api/v1/assets/:id does. */
  stale?: boolean;
  diverged?: boolean;
  offset?: number;
  /** 1..500 (the API's maximum page); default 100. */
  limit?: number;
}

export interface AssetPage {
  /** Assets matching the filters, over all pages. */
  total: number;
  offset: number;
  limit: number;
  /** In first-seen order. */
  items: AssetSummary[];
}

export interface ObservationView {
  value: PropertyValue;
  sourceTimeMs: number;
  receivedMs: number;
  /** now − source time */
  ageMs: number;
}

export type ToleranceRule =
  | { kind: 'absolute'; epsilon: number }
  | { kind: 'relative'; epsilon: number }
  | { kind: 'exact' }
  | { kind: 'hash' };

export interface DivergenceView {
  /** Both a physical and a twin value are known. */
  comparable: boolean;
  /** Since when they disagree beyond tolerance (source time), or null. */
  differsSinceMs: number | null;
  /**
   * When the grace period started: the exporter's receipt of the later of the two values (so
   * backfilled data gets its full grace), or null.
   */
  graceFromMs: number | null;
  /** Disagreeing for longer than the grace period, at `now`. */
  diverged: boolean;
  /** The tolerance that applies (null while neither side has a value and no rule names one). */
  tolerance: ToleranceRule | null;
  graceMs: number;
}

export interface PropertyView {
  property: string;
  physical: ObservationView | null;
  twin: ObservationView | null;
  divergence: DivergenceView;
  pendingPredictions: number;
}

export interface VersionsView {
  desiredVersion: number | null;
  desiredTimeMs: number | null;
  reportedVersion: number | null;
  reportedTimeMs: number | null;
  unconvergedChanges: number;
  oldestUnconvergedAgeSeconds: number;
}

export interface AssetView {
  id: string;
  assetClass: string;
  site: string | null;
  lastSeenMs: number;
  newestPhysicalMs: number | null;
  staleAfterMs: number;
  /** Judged at `now` (the metrics' gauges judge at each evaluation). */
  stale: boolean;
  diverged: boolean;
  /** Silent past retention: its state was dropped; it counts as stale until retired. */
  dark: boolean;
  versions: VersionsView | null;
  properties: PropertyView[];
}

export interface HistoryEntry {
  source: Side;
  sourceTimeMs: number;
  value: PropertyValue;
}

/** A classification model's confusion matrix cell. */
export type Classification = 'tp' | 'fp' | 'fn' | 'tn';

export interface ScoredPrediction {
  assetId: string;
  property: string;
  predicted: PropertyValue;
  actual: PropertyValue;
  targetTimeMs: number;
  actualTimeMs: number;
  /** Regression: predicted − actual. */
  error?: number;
  /** Classification: the confusion matrix cell. */
  classification?: Classification;
  /** Regression: |error| within tolerance; classification: correct (tp or tn). */
  good: boolean;
  model: string;
  modelVersion: string;
}

// ---- the command API (POST /api/v1/commands, GET /api/v1/commands, /catalog, /audit, …) ----

export type Risk = 'low' | 'medium' | 'high';

/** POST /api/v1/commands (exporter/schemas/command-request.schema.json validates it). */
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

/** The guards, in the architecture's order (authentication first, approval last). */
export const guardNames = [
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
] as const;

export type GuardName = (typeof guardNames)[number];

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

/** What the guard chain decided. */
export type Decision = 'accepted' | 'refused' | 'pending_approval';

/** A command as the API shows it (GET /api/v1/commands, /commands/:id, and every answer about one). */
export interface CommandRecord {
  id: string;
  idempotencyKey: string;
  user: string;
  assetId: string;
  /** Absent when the asset was unknown (refused). */
  assetClass?: string;
  name: string;
  params: Record<string, unknown>;
  /** Absent when the command was not in the catalog (refused). */
  risk?: Risk;
  reason: string;
  expectedVersion?: number;
  status: CommandStatus;
  verdicts: Verdict[];
  submittedAtMs: number;
  approvedBy?: string;
  approvedAtMs?: number;
  rejectedBy?: string;
  rejectedAtMs?: number;
  rejectionReason?: string;
  dispatchedAtMs?: number;
  /** The device's first ack (usually `accepted`: it has the command). */
  ackedAtMs?: number;
  /** The device's `done` ack: it says the command is applied. */
  doneAtMs?: number;
  /** The W3C context of the span that decided the command. */
  traceparent?: string;
  outcome?: Outcome;
  outcomeAtMs?: number;
  outcomeMessage?: string;
}

/** POST /api/v1/commands with `dryRun: true` (200). */
export interface DryRunAnswer {
  dryRun: true;
  decision: Decision;
  verdicts: Verdict[];
}

/** POST /api/v1/commands (201, 202, 200 for a duplicate, 4xx for a refusal: its first refusal on top). */
export interface SubmitAnswer {
  error?: string;
  code?: ReasonCode;
  command: CommandRecord;
  verdicts: Verdict[];
  duplicate: boolean;
}

export interface SafetyEnvelope {
  min?: number;
  max?: number;
  /** Largest change from the current reported (physical) value in one command. */
  maxStep?: number;
  /** Refuse while another property is in one of these states (e.g. mode = maintenance). */
  forbiddenStates?: { property: string; values: (string | number | boolean)[] }[];
}

/** One command of an asset class's catalog (GET /api/v1/catalog: class → name → spec). */
export interface CommandSpec {
  risk: Risk;
  description?: string;
  /** JSON Schema of the parameters. */
  params: Record<string, unknown>;
  /** The twin property the command sets, and the parameter that holds the new value. */
  sets: { property: string; param: string };
  envelope: SafetyEnvelope;
  /** How the post-command state is predicted: `set` (exactly the value) or `ramp` (overshoot). */
  simulation: { kind: 'set' } | { kind: 'ramp'; overshootFraction: number };
  /** Minimum time between two accepted commands of this name on one asset. */
  cooldownMs?: number;
  /** At most `count` accepted commands of this name per asset in `perMs`. */
  rateLimit?: { count: number; perMs: number };
}

export type Catalog = Record<string, Record<string, CommandSpec>>;

export interface KillSwitchState {
  scope: 'global' | { assetClass: string };
  engaged: boolean;
  actor: string;
  reason: string;
  changedAtMs: number;
}

export interface AuditEntry {
  seq: number;
  atMs: number;
  /** The user who acted, or 'system' (dispatcher, ack tracker), or 'anonymous'. */
  actor: string;
  /** E.g. `command.accepted`, `command.approved`, `kill_switch.engaged`. */
  action: string;
  commandId?: string;
  assetId?: string;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export type AuditVerification =
  | { ok: true; entries: number }
  /** `seq` names the first bad row (for a removed row: the missing seq). */
  | { ok: false; seq: number; reason: string };
