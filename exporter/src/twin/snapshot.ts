/**
 * Snapshots: the twin state and every SLI aggregate as plain data. A checkpoint stores the
 * aggregates (everything but the assets) as JSON and each asset on its own (codec.ts); a whole
 * snapshot is also what earlier versions stored, read once to migrate. Rules are not stored: they
 * are resolved again from the configuration at restore, which may have changed in between; so is
 * whether a class or property is declared or quarantined (quarantine.ts).
 *
 * Formats: 1, then 2 (each class's last-seen time and its properties with theirs, the quarantine's
 * eviction counters). A format 1 snapshot is read with last-seen times taken from its assets.
 */
import type { PropertyValue } from '../model.js';
import type { VersionState } from '../sli/convergence.js';
import { rebin, sameBounds, type HistogramData } from '../sli/histogram.js';
import { resolveScoringRule, type Classification, type ScoringRule } from '../sli/prediction.js';
import type { HistoryStore } from './history.js';
import {
  AssetState,
  PendingPrediction,
  PropertySpec,
  type Observation,
  type PropertyState,
  type Side,
  type ScoredPrediction,
  type TwinEngineConfig,
  TwinState,
} from './state.js';

/** Numbers JSON cannot carry (NaN, ±Infinity) are written as `{ nonFinite: "NaN" }` and so on. */
export type ValueSnapshot = string | number | boolean | { nonFinite: string };

export interface HistogramSnapshot {
  counts: number[];
  sum: number;
  count: number;
}

export interface ClassSnapshot {
  name: string;
  /** Per source: physical, twin, model. */
  points: number[];
  clockSkewPoints: number[];
  syncLatency: HistogramSnapshot[];
  convergence: HistogramSnapshot;
  freshnessChecks: number;
  freshnessGood: number;
  divergenceChecks: number;
  divergenceGood: number;
  oldestUnconvergedAgeSeconds: number;
  /** Receipt of the class's last point (format 2). */
  lastSeenMs?: number;
  /**
   * Every property spec of the class, in first-seen order, with the receipt of its last point
   * (format 2): the quarantine's contents and order survive a restart exactly.
   */
  properties?: [name: string, lastSeenMs: number, admittedSeq: number][];
}

export interface ObservationSnapshot {
  value: ValueSnapshot;
  sourceTimeMs: number;
  receivedMs: number;
}

export interface PendingSnapshot {
  model: string;
  version: string;
  value: ValueSnapshot;
  targetTimeMs: number;
  sourceTimeMs: number;
}

export interface PropertySnapshot {
  name: string;
  physical?: ObservationSnapshot;
  twin?: ObservationSnapshot;
  differsSinceMs?: number;
  /** Absent in snapshots of earlier versions: the later receipt of the two sides is used. */
  graceFromMs?: number;
  /** Oldest first; tuples, as history is most of a snapshot's size. */
  history?: [source: 'physical' | 'twin', sourceTimeMs: number, value: ValueSnapshot][];
  pending?: PendingSnapshot[];
}

export interface AssetSnapshot {
  id: string;
  assetClass: string;
  site?: string;
  lastSeenMs: number;
  stale: boolean;
  diverged: boolean;
  dark?: boolean;
  /** Admission and last-point order (absent in earlier versions: taken from the list orders). */
  admitSeq?: number;
  touchSeq?: number;
  versions?: {
    desiredVersion?: number;
    desiredTimeMs?: number;
    reportedVersion?: number;
    reportedTimeMs?: number;
    unconverged: { version: number; sinceMs: number }[];
  };
  properties: PropertySnapshot[];
}

export interface SeriesSnapshot {
  property: string;
  kind: 'regression' | 'classification';
  /** Classification only: the positive value in force when the series was made. */
  positive?: ValueSnapshot;
  scored: number;
  good: number;
  squaredError: ValueSnapshot;
  absoluteError: ValueSnapshot;
  classifications: Record<Classification, number>;
}

export interface ScoredSnapshot extends Omit<ScoredPrediction, 'predicted' | 'actual' | 'error'> {
  predicted: ValueSnapshot;
  actual: ValueSnapshot;
  error?: ValueSnapshot;
}

export interface ModelVersionSnapshot {
  name: string;
  version: string;
  predictions: number;
  expired: number;
  dropped: number;
  series: SeriesSnapshot[];
  recent: ScoredSnapshot[];
}

/** Everything but the assets: what a checkpoint writes whole each time. */
export interface AggregatesSnapshot {
  format: 1 | 2;
  /** The bucket bounds the histograms were counted in. */
  latencyBounds: number[];
  convergenceBounds: number[];
  classes: ClassSnapshot[];
  models: ModelVersionSnapshot[];
  /** Assets with per-asset series, in the order they got them. */
  tracked: { id: string; lastSyncLatencySeconds: number }[];
  evictions: { retention: number; cap: number; retired?: number; quarantine?: number };
  /** Names evicted from the quarantine (format 2). */
  quarantineEvictions?: { class: number; property: number };
  rejectedOverLimit: number;
  /** The counters behind admitSeq and touchSeq (absent in earlier versions). */
  admissions?: number;
  touches?: number;
  /** The evaluation pass in progress: admitSeq of the last asset judged (0 or absent: none). */
  evaluationCursor?: number;
}

export interface TwinSnapshot extends AggregatesSnapshot {
  /** In first-seen order (the order of API pages). */
  assets: AssetSnapshot[];
  /** Indexes into `assets`, least recently seen first (the eviction order at the cap). */
  recency: number[];
}

export function encodeValue(value: PropertyValue): ValueSnapshot {
  return typeof value === 'number' && !Number.isFinite(value)
    ? { nonFinite: String(value) }
    : value;
}

export function decodeValue(value: ValueSnapshot): PropertyValue {
  return typeof value === 'object' ? Number(value.nonFinite) : value;
}

function decodeNumber(value: ValueSnapshot | undefined): number {
  const decoded = value === undefined ? 0 : decodeValue(value);
  return typeof decoded === 'number' ? decoded : 0;
}

function histogramSnapshot(histogram: HistogramData): HistogramSnapshot {
  return { counts: [...histogram.counts], sum: histogram.sum, count: histogram.count };
}

function observationSnapshot(observation: Observation): ObservationSnapshot {
  return {
    value: encodeValue(observation.value),
    sourceTimeMs: observation.sourceTimeMs,
    receivedMs: observation.receivedMs,
  };
}

export function snapshotState(state: TwinState): TwinSnapshot {
  const index = new Map<AssetState, number>();
  const assets: AssetSnapshot[] = [];
  for (const asset of state.assets.values()) {
    index.set(asset, assets.length);
    assets.push(assetSnapshot(asset, state.history));
  }
  const recency: number[] = [];
  for (let a = state.recency.oldest; a; a = a.newer) recency.push(index.get(a) as number);
  return { ...aggregatesSnapshot(state), assets, recency };
}

/** The aggregates only: small (bounded by the class, model and series limits), O(1) in assets. */
export function aggregatesSnapshot(state: TwinState): AggregatesSnapshot {
  return {
    format: 2,
    latencyBounds: [...state.latencyBounds],
    convergenceBounds: [...state.convergenceBounds],
    classes: [...state.classes.values()].map((cls) => ({
      name: cls.name,
      points: [...cls.points],
      clockSkewPoints: [...cls.clockSkewPoints],
      syncLatency: cls.syncLatency.map(histogramSnapshot),
      convergence: histogramSnapshot(cls.convergence),
      freshnessChecks: cls.freshnessChecks,
      freshnessGood: cls.freshnessGood,
      divergenceChecks: cls.divergenceChecks,
      divergenceGood: cls.divergenceGood,
      oldestUnconvergedAgeSeconds: cls.oldestUnconvergedAgeSeconds,
      lastSeenMs: cls.lastSeenMs,
      properties: [...cls.specs.values()].map((spec): [string, number, number] => [
        spec.name,
        spec.lastSeenMs,
        spec.admittedSeq,
      ]),
    })),
    models: [...state.models.values()].flatMap((versions) =>
      [...versions.values()].map((model) => ({
        name: model.name,
        version: model.version,
        predictions: model.predictions,
        expired: model.expired,
        dropped: model.dropped,
        series: [...model.series.values()].map((series) => ({
          property: series.property,
          kind: series.rule.kind,
          ...(series.rule.kind === 'classification'
            ? { positive: encodeValue(series.rule.positive) }
            : {}),
          scored: series.scored,
          good: series.good,
          squaredError: encodeValue(series.squaredError),
          absoluteError: encodeValue(series.absoluteError),
          classifications: { ...series.classifications },
        })),
        recent: model.recent.map((scored) => ({
          ...scored,
          predicted: encodeValue(scored.predicted),
          actual: encodeValue(scored.actual),
          ...(scored.error === undefined ? {} : { error: encodeValue(scored.error) }),
        })),
      })),
    ),
    tracked: [...state.tracked.values()].map((t) => ({
      id: t.asset.id,
      lastSyncLatencySeconds: t.lastSyncLatencySeconds,
    })),
    evictions: { ...state.evictions },
    quarantineEvictions: { ...state.quarantineEvictions },
    rejectedOverLimit: state.rejectedOverLimit,
    admissions: state.admissions,
    touches: state.touches,
  };
}

export function assetSnapshot(asset: AssetState, history: HistoryStore): AssetSnapshot {
  const snapshot: AssetSnapshot = {
    id: asset.id,
    assetClass: asset.cls.name,
    lastSeenMs: asset.lastSeenMs,
    stale: asset.stale,
    diverged: asset.diverged,
    dark: asset.dark,
    admitSeq: asset.admitSeq,
    touchSeq: asset.touchSeq,
    properties: asset.props
      .filter((prop) => !prop.spec.evicted)
      .map((prop) => {
        const p: PropertySnapshot = { name: prop.spec.name };
        const physical = prop.observation('physical');
        const twin = prop.observation('twin');
        if (physical) p.physical = observationSnapshot(physical);
        if (twin) p.twin = observationSnapshot(twin);
        if (prop.differsSinceMs !== undefined) p.differsSinceMs = prop.differsSinceMs;
        if (prop.graceFromMs !== undefined) p.graceFromMs = prop.graceFromMs;
        if (prop.historyRing >= 0) {
          p.history = history
            .toArray(prop.historyRing)
            .map((e) => [e.source, e.sourceTimeMs, encodeValue(e.value)]);
        }
        if (prop.pending) {
          p.pending = prop.pending.map((pending) => ({
            model: pending.series.model.name,
            version: pending.series.model.version,
            value: encodeValue(pending.value),
            targetTimeMs: pending.targetTimeMs,
            sourceTimeMs: pending.sourceTimeMs,
          }));
        }
        return p;
      }),
  };
  if (asset.site !== undefined) snapshot.site = asset.site;
  if (asset.versions) {
    const v = asset.versions;
    snapshot.versions = { unconverged: v.unconverged.map((c) => ({ ...c })) };
    if (v.desiredVersion !== undefined) snapshot.versions.desiredVersion = v.desiredVersion;
    if (v.desiredTimeMs !== undefined) snapshot.versions.desiredTimeMs = v.desiredTimeMs;
    if (v.reportedVersion !== undefined) snapshot.versions.reportedVersion = v.reportedVersion;
    if (v.reportedTimeMs !== undefined) snapshot.versions.reportedTimeMs = v.reportedTimeMs;
  }
  return snapshot;
}

/** Histogram counts onto the current bounds (moved if the thresholds changed). */
function restoreHistogram(
  snapshot: HistogramSnapshot,
  snapshotBounds: readonly number[],
  bounds: readonly number[],
): HistogramData {
  const counted: HistogramData = {
    bounds: snapshotBounds,
    counts: [...snapshot.counts],
    sum: snapshot.sum,
    count: snapshot.count,
  };
  return sameBounds(snapshotBounds, bounds) ? { ...counted, bounds } : rebin(counted, bounds);
}

/**
 * The state a snapshot describes, under `config` (rules and thresholds as configured now). The
 * caller (TwinEngine.restore) applies a lowered maxAssets afterwards, evicting as usual.
 */
export function restoreState(snapshot: TwinSnapshot, config: TwinEngineConfig): TwinState {
  const state = restoreAggregates(snapshot, config);
  // Snapshots of earlier versions carry no admission or recency order of their own: the list
  // orders give it.
  const restored = snapshot.assets.map((a, i) => restoreAsset(state, { admitSeq: i + 1, ...a }));
  const touched = new Map<AssetState, number>();
  snapshot.recency.forEach((i, position) => {
    const asset = restored[i];
    if (asset && !touched.has(asset)) touched.set(asset, position + 1);
  });
  restored.forEach((asset, i) => {
    if (asset && snapshot.assets[i]?.touchSeq === undefined) {
      asset.touchSeq = touched.get(asset) ?? snapshot.recency.length + asset.admitSeq;
    }
  });
  finishRestore(state, snapshot);
  return state;
}

/**
 * The first step of a restore: a state holding the snapshot's classes and models, no assets yet
 * (add them with `restoreAsset`, then call `finishRestore`).
 */
export function restoreAggregates(
  snapshot: AggregatesSnapshot,
  config: TwinEngineConfig,
): TwinState {
  if (snapshot.format !== 1 && snapshot.format !== 2)
    throw new Error(`unknown twin snapshot format ${String(snapshot.format)}`);
  const state = new TwinState(config);

  // Every class and property as it was, declared or not as `config` says; a quarantine over its
  // bounds now is brought within them by TwinEngine.settleRestored, evicting as usual.
  for (const c of snapshot.classes) {
    const cls = state.restoredClass(c.name);
    cls.lastSeenMs = c.lastSeenMs ?? 0;
    for (const [name, lastSeenMs, admittedSeq] of c.properties ?? []) {
      const spec = state.restoredSpec(cls, name);
      spec.lastSeenMs = lastSeenMs;
      spec.admittedSeq = admittedSeq;
    }
    if (c.properties) state.specsListed = true;
    c.points.forEach((n, i) => (cls.points[i] = n));
    c.clockSkewPoints.forEach((n, i) => (cls.clockSkewPoints[i] = n));
    cls.syncLatency = c.syncLatency.map((h) =>
      restoreHistogram(h, snapshot.latencyBounds, state.latencyBounds),
    );
    cls.convergence = restoreHistogram(
      c.convergence,
      snapshot.convergenceBounds,
      state.convergenceBounds,
    );
    cls.freshnessChecks = c.freshnessChecks;
    cls.freshnessGood = c.freshnessGood;
    cls.divergenceChecks = c.divergenceChecks;
    cls.divergenceGood = c.divergenceGood;
    cls.oldestUnconvergedAgeSeconds = c.oldestUnconvergedAgeSeconds;
  }

  for (const m of snapshot.models) {
    const model = state.modelVersion(m.name, m.version);
    if (!model) continue;
    model.predictions = m.predictions;
    model.expired = m.expired;
    model.dropped = m.dropped;
    for (const s of m.series) {
      const series = state.seriesFor(model, s.property, scoringRule(config, m.name, s));
      if (!series) continue;
      series.scored = s.scored;
      series.good = s.good;
      series.squaredError = decodeNumber(s.squaredError);
      series.absoluteError = decodeNumber(s.absoluteError);
      Object.assign(series.classifications, s.classifications);
    }
    model.recent = m.recent.map(({ predicted, actual, error, ...rest }) => ({
      ...rest,
      predicted: decodeValue(predicted),
      actual: decodeValue(actual),
      ...(error === undefined ? {} : { error: decodeNumber(error) }),
    }));
  }

  return state;
}

/**
 * The last step of a restore, once every asset is in: the recency list in last-point order, the
 * per-asset series, and the state's own counters.
 */
export function finishRestore(state: TwinState, snapshot: AggregatesSnapshot): void {
  const byRecency = [...state.assets.values()].sort((a, b) => a.touchSeq - b.touchSeq);
  for (const asset of byRecency) state.recency.append(asset);
  let admissions = snapshot.admissions ?? 0;
  let touches = snapshot.touches ?? 0;
  for (const asset of state.assets.values()) {
    admissions = Math.max(admissions, asset.admitSeq);
    touches = Math.max(touches, asset.touchSeq);
  }
  state.admissions = admissions;
  state.touches = touches;

  const { perAsset } = state.config.metrics;
  if (perAsset.enabled) {
    for (const t of snapshot.tracked) {
      const asset = state.assets.get(t.id);
      if (!asset || state.tracked.size >= perAsset.maxAssets) continue;
      asset.tracked = true;
      state.tracked.set(t.id, { asset, lastSyncLatencySeconds: t.lastSyncLatencySeconds });
    }
  }
  state.evictions.retention = snapshot.evictions.retention;
  state.evictions.cap = snapshot.evictions.cap;
  state.evictions.retired = snapshot.evictions.retired ?? 0;
  state.evictions.quarantine = snapshot.evictions.quarantine ?? 0;
  Object.assign(state.quarantineEvictions, snapshot.quarantineEvictions);
  state.rejectedOverLimit = snapshot.rejectedOverLimit;
  if (snapshot.format === 1) lastSeenFromAssets(state);
}

/**
 * A format 1 snapshot kept no last-seen times of classes and properties: their assets' last
 * points stand in (the quarantine's eviction order after such a migration is approximate).
 */
function lastSeenFromAssets(state: TwinState): void {
  for (const asset of state.assets.values()) {
    const cls = asset.cls;
    if (asset.lastSeenMs > cls.lastSeenMs) cls.lastSeenMs = asset.lastSeenMs;
    for (const prop of asset.props) {
      if (asset.lastSeenMs > prop.spec.lastSeenMs) prop.spec.lastSeenMs = asset.lastSeenMs;
    }
  }
}

/**
 * A series keeps its kind across restarts; its tolerance or positive value is refreshed from the
 * configuration when that still has a rule of the same kind.
 */
function scoringRule(config: TwinEngineConfig, model: string, s: SeriesSnapshot): ScoringRule {
  const { prediction, divergence } = config.sli;
  const positive = decodeValue(s.positive ?? '');
  const sample = s.kind === 'regression' ? 0 : positive;
  const resolved = resolveScoringRule(
    prediction,
    divergence.defaultTolerance,
    model,
    s.property,
    sample,
  );
  if (resolved?.kind === s.kind) return resolved;
  return s.kind === 'regression'
    ? { kind: 'regression', tolerance: divergence.defaultTolerance }
    : { kind: 'classification', positive };
}

/** What an asset is, before its properties. */
export type AssetHead = Omit<AssetSnapshot, 'properties' | 'versions'>;

/**
 * Restores one asset into a state being restored, field by field, under the state's
 * configuration: properties over maxPropertiesPerAsset are dropped, history and pending
 * predictions trimmed (a quarantine over its bounds is settled after, see restoreAggregates). A snapshot object (`restoreAsset`) and the binary codec (`codec.ts`) both restore
 * through it, so they follow the same rules. Assets must come in admission order. Fields of a
 * property that cannot be held are ignored.
 */
export class AssetRestore {
  private readonly held: AssetState | undefined;
  private prop: PropertyState | undefined;
  private properties = 0;
  private pending: PendingPrediction[] = [];

  constructor(
    private readonly state: TwinState,
    head: AssetHead,
  ) {
    if (state.assets.has(head.id)) return;
    const cls = state.restoredClass(head.assetClass);
    const asset = new AssetState(
      head.id,
      cls,
      head.site === undefined ? undefined : state.intern(head.site),
      head.lastSeenMs,
    );
    asset.stale = head.stale;
    asset.diverged = head.diverged;
    asset.dark = head.dark ?? false;
    asset.admitSeq = head.admitSeq ?? state.assets.size + 1;
    asset.touchSeq = head.touchSeq ?? 0;
    this.held = asset;
  }

  /** Starts the asset's next property; false when it cannot be held. */
  property(name: string): boolean {
    this.closeProperty();
    this.prop = undefined;
    const asset = this.held;
    if (!asset || this.properties >= this.state.config.state.maxPropertiesPerAsset) return false;
    const spec = this.specFor(asset, name);
    if (asset.property(spec)) return false; // listed twice
    this.properties++;
    this.prop = asset.addProperty(spec);
    return true;
  }

  /**
   * A checkpoint rewrites an asset only when it changes, and a property evicted from the
   * quarantine leaves its assets lazily: an asset's row may still hold one, even under a name
   * admitted again since. It is restored as evicted (to be dropped as it would have been, pending
   * predictions counted), known by the asset's last point coming before the name's admission.
   */
  private specFor(asset: AssetState, name: string): PropertySpec {
    const { state } = this;
    const known = asset.cls.specs.get(name);
    if (!state.specsListed) return known ?? state.restoredSpec(asset.cls, name);
    if (known && asset.touchSeq > known.admittedSeq) return known;
    const evicted = new PropertySpec(name, undefined, 0);
    evicted.evicted = true;
    state.evictedHolders++;
    return evicted;
  }

  observation(side: Side, value: PropertyValue, sourceTimeMs: number, receivedMs: number): void {
    this.prop?.set(side, value, sourceTimeMs, receivedMs);
  }

  /** After the observations: since when the sides differ, and when its grace began. */
  difference(differsSinceMs: number | undefined, graceFromMs: number | undefined): void {
    const prop = this.prop;
    if (!prop) return;
    prop.differsSinceMs = differsSinceMs;
    // Snapshots of earlier versions had no grace start: the later receipt of the two sides.
    prop.graceFromMs =
      graceFromMs ??
      (differsSinceMs === undefined
        ? undefined
        : Math.max(prop.receivedMs('physical'), prop.receivedMs('twin')));
  }

  /** One history entry, oldest first. */
  historyEntry(source: Side, sourceTimeMs: number, value: PropertyValue): void {
    const prop = this.prop;
    const { history } = this.state;
    if (!prop || history.capacity <= 0) return;
    if (prop.historyRing < 0) prop.historyRing = history.allocate();
    history.push(prop.historyRing, source, sourceTimeMs, value);
  }

  /** One pending prediction, oldest first; dropped when its model series is gone. */
  pendingPrediction(
    model: string,
    version: string,
    value: PropertyValue,
    targetTimeMs: number,
    sourceTimeMs: number,
  ): void {
    const prop = this.prop;
    if (!prop) return;
    const series = this.state.models.get(model)?.get(version)?.series.get(prop.spec.name);
    if (series) this.pending.push(new PendingPrediction(series, value, targetTimeMs, sourceTimeMs));
  }

  versions(versions: NonNullable<AssetSnapshot['versions']>): void {
    if (!this.held) return;
    const restored: VersionState = {
      desiredVersion: versions.desiredVersion,
      desiredTimeMs: versions.desiredTimeMs,
      reportedVersion: versions.reportedVersion,
      reportedTimeMs: versions.reportedTimeMs,
      unconverged: versions.unconverged.map((c) => ({ ...c })),
    };
    this.held.versions = restored;
  }

  /** Adds the asset to the state; undefined when it could not be held. */
  finish(): AssetState | undefined {
    this.closeProperty();
    const asset = this.held;
    if (!asset) return undefined;
    this.state.assets.set(asset.id, asset);
    asset.cls.assets++;
    asset.cls.members?.add(asset);
    asset.cls.unconverged += asset.unconvergedChanges();
    return asset;
  }

  private closeProperty(): void {
    if (this.prop && this.pending.length > 0) {
      this.prop.pending = this.pending.slice(-this.state.config.state.maxPendingPredictions);
    }
    this.pending = [];
  }
}

/** Adds one asset of a snapshot to a state being restored (see AssetRestore). */
export function restoreAsset(state: TwinState, a: AssetSnapshot): AssetState | undefined {
  const restore = new AssetRestore(state, a);
  for (const p of a.properties) {
    if (!restore.property(p.name)) continue;
    if (p.physical) {
      const { value, sourceTimeMs, receivedMs } = p.physical;
      restore.observation('physical', decodeValue(value), sourceTimeMs, receivedMs);
    }
    if (p.twin) {
      const { value, sourceTimeMs, receivedMs } = p.twin;
      restore.observation('twin', decodeValue(value), sourceTimeMs, receivedMs);
    }
    restore.difference(p.differsSinceMs, p.graceFromMs);
    for (const [source, sourceTimeMs, value] of p.history ?? []) {
      restore.historyEntry(source, sourceTimeMs, decodeValue(value));
    }
    for (const q of p.pending ?? []) {
      restore.pendingPrediction(
        q.model,
        q.version,
        decodeValue(q.value),
        q.targetTimeMs,
        q.sourceTimeMs,
      );
    }
  }
  if (a.versions) restore.versions(a.versions);
  return restore.finish();
}

/**
 * A snapshot as JSON texts of bounded size: first everything but the assets, then the assets in
 * chunks. One JSON text of a large fleet would pass V8's string limit (about 512 MiB).
 */
export function snapshotToChunks(snapshot: TwinSnapshot, assetsPerChunk = 10_000): string[] {
  const { assets, ...rest } = snapshot;
  const chunks = [JSON.stringify({ ...rest, assets: [] })];
  for (let i = 0; i < assets.length; i += assetsPerChunk) {
    chunks.push(JSON.stringify(assets.slice(i, i + assetsPerChunk)));
  }
  return chunks;
}

/** The snapshot `snapshotToChunks` wrote, from its chunks in order. */
export function snapshotFromChunks(chunks: readonly string[]): TwinSnapshot {
  const [head, ...rest] = chunks;
  if (head === undefined) throw new Error('a twin snapshot needs at least its first chunk');
  const snapshot = JSON.parse(head) as TwinSnapshot;
  for (const chunk of rest) {
    for (const asset of JSON.parse(chunk) as AssetSnapshot[]) snapshot.assets.push(asset);
  }
  return snapshot;
}
