/**
 * Snapshots: the twin state and every SLI aggregate as plain data. A checkpoint stores the
 * aggregates (everything but the assets) as JSON and each asset on its own (codec.ts); a whole
 * snapshot is also what earlier versions stored, read once to migrate. Rules are not stored: they
 * are resolved again from the configuration at restore, which may have changed in between.
 */
import type { PropertyValue } from '../model.js';
import type { VersionState } from '../sli/convergence.js';
import { rebin, sameBounds, type HistogramData } from '../sli/histogram.js';
import { resolveScoringRule, type Classification, type ScoringRule } from '../sli/prediction.js';
import {
  AssetState,
  HistoryRing,
  PendingPrediction,
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
  format: 1;
  /** The bucket bounds the histograms were counted in. */
  latencyBounds: number[];
  convergenceBounds: number[];
  classes: ClassSnapshot[];
  models: ModelVersionSnapshot[];
  /** Assets with per-asset series, in the order they got them. */
  tracked: { id: string; lastSyncLatencySeconds: number }[];
  evictions: { retention: number; cap: number; retired?: number };
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
    assets.push(assetSnapshot(asset));
  }
  const recency: number[] = [];
  for (let a = state.recency.oldest; a; a = a.newer) recency.push(index.get(a) as number);
  return { ...aggregatesSnapshot(state), assets, recency };
}

/** The aggregates only: small (bounded by the class, model and series limits), O(1) in assets. */
export function aggregatesSnapshot(state: TwinState): AggregatesSnapshot {
  return {
    format: 1,
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
    rejectedOverLimit: state.rejectedOverLimit,
    admissions: state.admissions,
    touches: state.touches,
  };
}

export function assetSnapshot(asset: AssetState): AssetSnapshot {
  const snapshot: AssetSnapshot = {
    id: asset.id,
    assetClass: asset.cls.name,
    lastSeenMs: asset.lastSeenMs,
    stale: asset.stale,
    diverged: asset.diverged,
    dark: asset.dark,
    admitSeq: asset.admitSeq,
    touchSeq: asset.touchSeq,
    properties: asset.props.map((prop) => {
      const p: PropertySnapshot = { name: prop.spec.name };
      const physical = prop.observation('physical');
      const twin = prop.observation('twin');
      if (physical) p.physical = observationSnapshot(physical);
      if (twin) p.twin = observationSnapshot(twin);
      if (prop.differsSinceMs !== undefined) p.differsSinceMs = prop.differsSinceMs;
      if (prop.graceFromMs !== undefined) p.graceFromMs = prop.graceFromMs;
      if (prop.history) {
        p.history = prop.history
          .toArray()
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
  if (snapshot.format !== 1)
    throw new Error(`unknown twin snapshot format ${String(snapshot.format)}`);
  const state = new TwinState(config);

  for (const c of snapshot.classes) {
    const cls = state.classFor(c.name);
    if (!cls) continue;
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
  state.rejectedOverLimit = snapshot.rejectedOverLimit;
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

/**
 * Adds one asset of a snapshot to a state being restored, under the state's configuration: a
 * class or property over the limits is dropped, history and pending predictions trimmed. Assets
 * must come in admission order. Undefined when the asset cannot be held.
 */
export function restoreAsset(state: TwinState, a: AssetSnapshot): AssetState | undefined {
  const cls = state.classFor(a.assetClass);
  if (!cls || state.assets.has(a.id)) return undefined;
  const asset = new AssetState(
    a.id,
    cls,
    a.site === undefined ? undefined : state.intern(a.site),
    a.lastSeenMs,
  );
  asset.stale = a.stale;
  asset.diverged = a.diverged;
  asset.dark = a.dark ?? false;
  asset.admitSeq = a.admitSeq ?? state.assets.size + 1;
  asset.touchSeq = a.touchSeq ?? 0;
  const { historyLength, maxPropertiesPerAsset, maxPendingPredictions } = state.config.state;
  for (const p of a.properties.slice(0, maxPropertiesPerAsset)) {
    const spec = state.specFor(cls, p.name);
    if (!spec) continue;
    if (asset.property(spec)) continue; // listed twice: keep the first
    const prop = asset.addProperty(spec);
    if (p.physical) restoreObservation(prop, 'physical', p.physical);
    if (p.twin) restoreObservation(prop, 'twin', p.twin);
    prop.differsSinceMs = p.differsSinceMs;
    prop.graceFromMs =
      p.graceFromMs ??
      (p.differsSinceMs === undefined
        ? undefined
        : Math.max(prop.receivedMs('physical'), prop.receivedMs('twin')));
    if (p.history && historyLength > 0) {
      const ring = new HistoryRing(historyLength);
      for (const [source, sourceTimeMs, value] of p.history) {
        ring.push(source, sourceTimeMs, decodeValue(value));
      }
      prop.history = ring;
    }
    const pending = (p.pending ?? []).flatMap((q) => {
      const series = state.models.get(q.model)?.get(q.version)?.series.get(p.name);
      return series
        ? [new PendingPrediction(series, decodeValue(q.value), q.targetTimeMs, q.sourceTimeMs)]
        : [];
    });
    if (pending.length > 0) prop.pending = pending.slice(-maxPendingPredictions);
  }
  if (a.versions) {
    const versions: VersionState = {
      desiredVersion: a.versions.desiredVersion,
      desiredTimeMs: a.versions.desiredTimeMs,
      reportedVersion: a.versions.reportedVersion,
      reportedTimeMs: a.versions.reportedTimeMs,
      unconverged: a.versions.unconverged.map((c) => ({ ...c })),
    };
    asset.versions = versions;
  }
  state.assets.set(a.id, asset);
  cls.assets++;
  cls.unconverged += asset.unconvergedChanges();
  return asset;
}

function restoreObservation(prop: PropertyState, side: Side, o: ObservationSnapshot): void {
  prop.set(side, decodeValue(o.value), o.sourceTimeMs, o.receivedMs);
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
