import type { ScenarioKind, ScenarioWindow } from './scenarios.js';

/** Where a value comes from (the `twin.source` attribute). */
export type Source = 'physical' | 'twin' | 'model';

/** One point the simulator handed to the SDK exporter, as it went on the wire. */
export interface TruthPoint {
  /** The export call that carried it (1-based, in call order); one call is one HTTP request. */
  exportId: number;
  assetId: string;
  assetClass: string;
  site: string;
  source: Source;
  property: string;
  value: number;
  /** The observation time (`timeUnixNano`) in ms; always whole ms. */
  sourceTimeMs: number;
  /** `timeUnixNano` exactly as sent, as a decimal string. */
  timeUnixNano: string;
  /** Simulated clock (ms) when the point was handed to the exporter; receipt is a little later. */
  sentAtMs: number;
  /** On predictions. */
  modelName?: string;
  modelVersion?: string;
  targetTimeMs?: number;
  /** `twin.prediction.target_time_unix_nano` as a decimal string. */
  targetTimeUnixNano?: string;
  desiredVersion?: number;
  reportedVersion?: number;
  /** Scenarios that changed this point (held back, drifted, worse prediction, skewed clock). */
  scenarios?: ScenarioKind[];
  /** Whether the endpoint accepted the export that carried it. */
  delivered: boolean;
}

export interface ExportStats {
  /** Export calls made (HTTP requests, after the SDK's own retries). */
  sent: number;
  succeeded: number;
  failed: number;
  /** The first few distinct failure messages. */
  errors: string[];
}

export interface SimulationResult {
  /** Every point sent, in export order (empty when `keepTruth` is false). */
  points: TruthPoint[];
  windows: ScenarioWindow[];
  assets: { id: string; assetClass: string; site: string }[];
  exports: ExportStats;
  /** Ticks run. Tick i was observed at startTimeMs + i × tickMs (simulated clock). */
  ticks: number;
  startTimeMs: number;
  tickMs: number;
}

/** Whole milliseconds as exact decimal nanoseconds (BigInt throws on a fractional ms). */
export function msToNanoString(ms: number): string {
  return (BigInt(ms) * 1_000_000n).toString();
}

// Small pure helpers for tests that score the exporter; the scoring itself stays in the tests.

/** Counts items by a key, e.g. `countBy(points, (p) => `${p.source}/${p.assetClass}`)`. */
export function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

/** Points matching every given field, e.g. `select(points, { assetId: 'pump-1', source: 'twin' })`. */
export function select(
  points: readonly TruthPoint[],
  where: Partial<Pick<TruthPoint, 'assetId' | 'assetClass' | 'site' | 'source' | 'property'>>,
): TruthPoint[] {
  const entries = Object.entries(where) as [keyof TruthPoint, unknown][];
  return points.filter((p) => entries.every(([k, v]) => p[k] === v));
}

/** Assets a kind of scenario was applied to (partitioned, drifted, regressed, skewed). */
export function assetsHitBy(windows: readonly ScenarioWindow[], kind: ScenarioKind): Set<string> {
  return new Set(windows.filter((w) => w.kind === kind).flatMap((w) => w.assets));
}

/** Points a kind of scenario actually changed. */
export function changedBy(points: readonly TruthPoint[], kind: ScenarioKind): TruthPoint[] {
  return points.filter((p) => p.scenarios?.includes(kind));
}
