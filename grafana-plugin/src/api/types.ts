/**
 * The twin API's and command API's JSON shapes: the contracts' (contracts/api.ts at the
 * repository root), which the exporter serializes with, so a change there that the plugin does not
 * follow fails the plugin's type check. Only the plugin's own shapes (its query, what its client
 * makes of an answer, the JSON Schema subset its forms read) are declared here.
 */
import {
  guardNames,
  type CommandRecord,
  type CommandSpec as WireCommandSpec,
  type Decision,
  type GuardName,
  type Verdict,
} from '../../../contracts/api';

export type {
  AssetPage,
  AssetQuery,
  AssetSummary,
  AssetView,
  AuditEntry,
  AuditVerification,
  Classification,
  CommandRecord,
  CommandRequest,
  CommandStatus,
  Decision,
  DivergenceView,
  DryRunAnswer,
  GuardName,
  HistoryEntry,
  KillSwitchState,
  ObservationView,
  Outcome,
  PropertyValue,
  PropertyView,
  ReasonCode,
  Risk,
  SafetyEnvelope,
  ScoredPrediction,
  SubmitAnswer,
  ToleranceRule,
  Verdict,
  VersionsView,
} from '../../../contracts/api';


/** The architecture's guard order: verdicts are shown in it. */
export const guardOrder: readonly GuardName[] = guardNames;

/** A command's life is over: nothing will change it any more. */
export function isFinal(record: Pick<CommandRecord, 'status' | 'outcome'>): boolean {
  if (record.outcome !== undefined) {
    return true;
  }
  return ['refused', 'approval_rejected', 'applied', 'rejected_by_device', 'timed_out', 'diverged_after_ack'].includes(
    record.status
  );
}

/** What a dry run answered (the API's DryRunAnswer, without its `dryRun` flag). */
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

/** One command of an asset class's catalog (GET /api/v1/catalog), its parameters' schema read as the forms read it. */
export interface CommandSpec extends Omit<WireCommandSpec, 'params'> {
  /** JSON Schema of the parameters. */
  params: JsonSchema;
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
