/**
 * The twin API's and command API's JSON shapes, as the exporter serves them
 * (exporter/src/twin/reads.ts, exporter/src/commands/model.ts, ledger/ledger.ts, ledger/audit.ts).
 * Only what the plugin reads is typed; unknown extra fields are tolerated.
 */

export type PropertyValue = number | string | boolean | Record<string, unknown> | null;

export interface AssetQuery {
  assetClass?: string;
  site?: string;
  stale?: boolean;
  diverged?: boolean;
  offset?: number;
  /** 1..500 (the API's maximum page). */
  limit?: number;
}

export interface AssetSummary {
  id: string;
  assetClass: string;
  site: string | null;
  lastSeenMs: number;
  stale: boolean;
  diverged: boolean;
  properties: number;
}

export interface AssetPage {
  total: number;
  offset: number;
  limit: number;
  items: AssetSummary[];
}

export interface ObservationView {
  value: PropertyValue;
  sourceTimeMs: number;
  receivedMs: number;
  ageMs: number;
}

export interface ToleranceRule {
  kind: 'absolute' | 'relative' | 'exact' | 'hash';
  epsilon?: number;
}

export interface DivergenceView {
  comparable: boolean;
  differsSinceMs: number | null;
  diverged: boolean;
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
  stale: boolean;
  diverged: boolean;
  versions: VersionsView | null;
  properties: PropertyView[];
}

export interface HistoryEntry {
  source: 'physical' | 'twin';
  sourceTimeMs: number;
  value: PropertyValue;
}

export interface ScoredPrediction {
  assetId: string;
  property: string;
  predicted: PropertyValue;
  actual: PropertyValue;
  targetTimeMs: number;
  actualTimeMs: number;
  error?: number;
  classification?: string;
  good: boolean;
  model: string;
  modelVersion: string;
}

// ---- commands ----

export type Risk = 'low' | 'medium' | 'high';

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

/** The architecture's guard order: verdicts are shown in it. */
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

export interface Verdict {
  guard: GuardName;
  pass: boolean;
  code?: string;
  message: string;
  retryAfterMs?: number;
}

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

export type Outcome = 'applied' | 'acked' | 'rejected_by_device' | 'timed_out' | 'diverged_after_ack';

export interface CommandRecord {
  id: string;
  idempotencyKey: string;
  user: string;
  assetId: string;
  assetClass?: string;
  name: string;
  params: Record<string, unknown>;
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
  ackedAtMs?: number;
  doneAtMs?: number;
  outcome?: Outcome;
  outcomeAtMs?: number;
  outcomeMessage?: string;
}

/** A command's life is over: nothing will change it any more. */
export function isFinal(record: Pick<CommandRecord, 'status' | 'outcome'>): boolean {
  if (record.outcome !== undefined) {
    return true;
  }
  return ['refused', 'approval_rejected', 'applied', 'rejected_by_device', 'timed_out', 'diverged_after_ack'].includes(
    record.status
  );
}

export interface CommandRequest {
  idempotencyKey: string;
  assetId: string;
  name: string;
  params: Record<string, unknown>;
  expectedVersion?: number;
  reason: string;
  dryRun?: boolean;
}

export type Decision = 'accepted' | 'refused' | 'pending_approval';

export interface DryRunResult {
  decision: Decision;
  verdicts: Verdict[];
}

/** What a real submission answered: the record (refused ones too) and the HTTP status. */
export interface SubmitResult {
  httpStatus: number;
  command: CommandRecord;
  verdicts: Verdict[];
  duplicate: boolean;
  retryAfterSeconds?: number;
}

export interface SafetyEnvelope {
  min?: number;
  max?: number;
  maxStep?: number;
  forbiddenStates?: Array<{ property: string; values: Array<string | number | boolean> }>;
}

/** One command of an asset class's catalog (GET /api/v1/catalog). */
export interface CommandSpec {
  risk: Risk;
  description?: string;
  /** JSON Schema of the parameters. */
  params: JsonSchema;
  sets: { property: string; param: string };
  envelope?: SafetyEnvelope;
  cooldownMs?: number;
  rateLimit?: { count: number; perMs: number };
}

export type Catalog = Record<string, Record<string, CommandSpec>>;

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  additionalProperties?: boolean | JsonSchema;
}

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
  actor: string;
  action: string;
  commandId?: string;
  assetId?: string;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export type AuditVerification = { ok: true; entries: number } | { ok: false; seq: number; reason: string };
