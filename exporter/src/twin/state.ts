/**
 * The twin's in-memory state: the records the engine mutates and the API reads. Built to stay
 * under 1 KiB per asset at a million assets: one object per asset holding an exact-size array of
 * property records; times as numbers (never Date) kept in unboxed double arrays; verdicts as bit
 * flags; class, site and property names interned; pending predictions allocated only once a
 * property needs them, and history kept in typed arrays (history.ts). test/bench/state.ts measures it.
 */
import type {
  MetricsConfig,
  QuarantineConfig,
  SliConfig,
  StateConfig,
  ToleranceRule,
} from '../config/types.js';
import type { ScoredPrediction as ApiScoredPrediction } from '../../../contracts/api.js';
import type { PropertyValue, Source } from '../model.js';
import type { VersionState } from '../sli/convergence.js';
import { staleAfterMsFor } from '../sli/freshness.js';
import {
  bucketBounds,
  convergenceExtraBounds,
  emptyHistogram,
  syncLatencyExtraBounds,
  type HistogramData,
} from '../sli/histogram.js';
import { isVetted, type Classification, type ScoringRule } from '../sli/prediction.js';
import { resolveDivergenceRule } from '../sli/divergence.js';
import { HistoryStore, type Side } from './history.js';
import {
  declaredNames,
  isDeclaredProperty,
  leastRecent,
  leastRecentProperty,
  quarantineLimits,
  type DeclaredNames,
} from './quarantine.js';

/** The parts of the exporter configuration the twin engine uses. */
export interface TwinEngineConfig {
  state: StateConfig;
  sli: SliConfig;
  metrics: MetricsConfig;
}

/**
 * Cardinality guards for names that arrive in data yet become metric labels or per-class tables.
 * Points beyond them are rejected as `over_limit`, like points beyond maxPropertiesPerAsset.
 * (Asset classes and properties are bounded by the quarantine instead: see quarantine.ts.)
 */
export const limits = {
  modelVersions: 200,
  predictionSeries: 2000,
  /** Scored predictions kept per model version for the predictions API. */
  recentScoredPerModel: 50,
  /** Largest page the list API returns. */
  pageSize: 1000,
  /** Class × site pairs with their own site gauges; assets beyond share the `other` site. */
  classSites: 5000,
} as const;

/** Index of a source in the per-source arrays of a class (points, skew, latency). */
export const sourceIndex: Readonly<Record<Source, number>> = { physical: 0, twin: 1, model: 2 };

export type { HistoryEntry, Side } from './history.js';

/** One side of a property, as the read side shows it. */
export interface Observation {
  value: PropertyValue;
  sourceTimeMs: number;
  receivedMs: number;
}

/** A property as known for a whole asset class: its name and the divergence rule resolved once. */
export class PropertySpec {
  /** Receipt of the last point naming it: the quarantine evicts the least recent. */
  lastSeenMs = 0;
  /** Assets holding it. */
  holders = 0;
  /**
   * TwinState.touches when it was admitted: every asset holding it had a point after that (how a
   * restore tells a checkpointed property of an evicted namesake, see AssetRestore).
   */
  admittedSeq = 0;
  /**
   * Evicted from the quarantine: the assets' states of it are dropped lazily (at their next
   * evaluation, or when they need the room), and until then nothing reads or stores them.
   */
  evicted = false;

  constructor(
    readonly name: string,
    readonly tolerance: ToleranceRule | undefined,
    readonly graceMs: number,
    /** Named in the configuration: never quarantined. */
    readonly declared = true,
  ) {}
}

/** A prediction waiting for the physical value of its target time. */
export class PendingPrediction {
  constructor(
    readonly series: PredictionSeries,
    readonly value: PropertyValue,
    readonly targetTimeMs: number,
    readonly sourceTimeMs: number,
  ) {}
}

// Slots of PropertyState.times.
const PHYSICAL_SOURCE = 0;
const TWIN_SOURCE = 2;
const RECEIVED = 1; // offset from a side's source time slot
const DIFFERS_SINCE = 4;
const GRACE_FROM = 5;
const PHYSICAL_NUMBER = 6;
const TWIN_NUMBER = 7;

export class PropertyState {
  /**
   * Source and receipt time of each side, when they began to differ in source time and when the
   * exporter learned of it (NaN: not known, or agreeing), then each side's value when it is a
   * number. One unboxed double array: a boxed number per field would cost three times more, and a
   * new boxed value at every point would be garbage the collector must move.
   */
  private readonly times = [NaN, NaN, NaN, NaN, NaN, NaN, 0, 0];
  /** A side's value when it is not a number (string or boolean); undefined otherwise. */
  private physicalOther: string | boolean | undefined = undefined;
  private twinOther: string | boolean | undefined = undefined;
  /** Per side, two bits: 0 no value, 1 a number (in `times`), 2 another value. */
  private kinds = 0;
  /** The property's ring in the state's HistoryStore; -1 until it has history. */
  historyRing = -1;
  pending: PendingPrediction[] | undefined = undefined;

  constructor(public spec: PropertySpec) {}

  /** The newest physical value; undefined until the physical side has reported. */
  get physical(): PropertyValue | undefined {
    const kind = this.kinds & 3;
    return kind === 1
      ? (this.times[PHYSICAL_NUMBER] as number)
      : kind === 2
        ? this.physicalOther
        : undefined;
  }

  /** The newest twin value; undefined until the twin side has reported. */
  get twin(): PropertyValue | undefined {
    const kind = this.kinds >> 2;
    return kind === 1
      ? (this.times[TWIN_NUMBER] as number)
      : kind === 2
        ? this.twinOther
        : undefined;
  }

  /** Source time of a side's newest value; NaN if it has none. */
  sourceTimeMs(side: Side): number {
    return this.times[side === 'physical' ? PHYSICAL_SOURCE : TWIN_SOURCE] as number;
  }

  receivedMs(side: Side): number {
    return this.times[(side === 'physical' ? PHYSICAL_SOURCE : TWIN_SOURCE) + RECEIVED] as number;
  }

  set(side: Side, value: PropertyValue, sourceTimeMs: number, receivedMs: number): void {
    const physical = side === 'physical';
    const slot = physical ? PHYSICAL_SOURCE : TWIN_SOURCE;
    const numeric = typeof value === 'number';
    const kind = numeric ? 1 : 2;
    if (physical) {
      this.kinds = (this.kinds & ~3) | kind;
      this.physicalOther = numeric ? undefined : value;
      if (numeric) this.times[PHYSICAL_NUMBER] = value;
    } else {
      this.kinds = (this.kinds & 3) | (kind << 2);
      this.twinOther = numeric ? undefined : value;
      if (numeric) this.times[TWIN_NUMBER] = value;
    }
    this.times[slot] = sourceTimeMs;
    this.times[slot + RECEIVED] = receivedMs;
  }

  observation(side: Side): Observation | undefined {
    const value = side === 'physical' ? this.physical : this.twin;
    if (value === undefined) return undefined;
    return { value, sourceTimeMs: this.sourceTimeMs(side), receivedMs: this.receivedMs(side) };
  }

  /** Since when physical and twin disagree beyond tolerance (source time); undefined: they agree. */
  get differsSinceMs(): number | undefined {
    const since = this.times[DIFFERS_SINCE] as number;
    return Number.isNaN(since) ? undefined : since;
  }

  set differsSinceMs(since: number | undefined) {
    this.times[DIFFERS_SINCE] = since ?? NaN;
  }

  /**
   * When the grace period of the current disagreement started: the receipt of the later of the
   * two values that disagree. Receipt, not source time, so backfilled or late data gets its full
   * grace and a future timestamp cannot extend it. Undefined while they agree.
   */
  get graceFromMs(): number | undefined {
    const from = this.times[GRACE_FROM] as number;
    return Number.isNaN(from) ? undefined : from;
  }

  set graceFromMs(from: number | undefined) {
    this.times[GRACE_FROM] = from ?? NaN;
  }

  /**
   * Until when the physical side vouches for the asset: its source time, but never later than its
   * receipt, so a clock running ahead cannot keep a silent asset fresh. NaN without a value.
   */
  physicalFreshAsOfMs(): number {
    const source = this.times[PHYSICAL_SOURCE] as number;
    const received = this.times[PHYSICAL_SOURCE + RECEIVED] as number;
    return source < received ? source : received;
  }
}

// Bits of AssetState.flags.
const STALE = 1;
const DIVERGED = 2;
const TRACKED = 4;
const DARK = 8;

export class AssetState {
  /** Properties in the order first seen; replaced rather than grown, so no spare capacity. */
  props: readonly PropertyState[] = [];
  /** Allocated once the asset carries a desired or reported version. */
  versions: VersionState | undefined = undefined;
  /** Neighbours in the recency list (least recently seen first), for eviction at the cap. */
  older: AssetState | undefined = undefined;
  newer: AssetState | undefined = undefined;
  private flags = 0;
  /**
   * Order of admission: assets are kept, listed and evaluated in this order, and a checkpoint
   * stores an asset under it. Never reused.
   */
  admitSeq = 0;
  /** Order of the last point: the recency list is sorted by it, which a checkpoint restores. */
  touchSeq = 0;
  /**
   * The checkpoint epoch in which the asset changed and is not yet written (0: written). Kept by
   * the checkpointer (durability/checkpointer.ts).
   */
  checkpointEpoch = 0;

  constructor(
    readonly id: string,
    public cls: ClassState,
    public site: string | undefined,
    public lastSeenMs: number,
  ) {}

  /** Stale at the last evaluation (what the per-class gauge counts). */
  get stale(): boolean {
    return (this.flags & STALE) !== 0;
  }
  set stale(on: boolean) {
    this.flags = on ? this.flags | STALE : this.flags & ~STALE;
  }

  /** Diverged at the last evaluation (what the per-class gauge counts). */
  get diverged(): boolean {
    return (this.flags & DIVERGED) !== 0;
  }
  set diverged(on: boolean) {
    this.flags = on ? this.flags | DIVERGED : this.flags & ~DIVERGED;
  }

  /**
   * Silent past retention: its properties were dropped, yet it stays, counted stale, until it
   * reports again or an operator retires it (a dark site must not turn the SLIs green).
   */
  get dark(): boolean {
    return (this.flags & DARK) !== 0;
  }
  set dark(on: boolean) {
    this.flags = on ? this.flags | DARK : this.flags & ~DARK;
  }

  /** Has its own per-asset series (MetricsConfig.perAsset). */
  get tracked(): boolean {
    return (this.flags & TRACKED) !== 0;
  }
  set tracked(on: boolean) {
    this.flags = on ? this.flags | TRACKED : this.flags & ~TRACKED;
  }

  property(spec: PropertySpec): PropertyState | undefined {
    for (const prop of this.props) if (prop.spec === spec) return prop;
    return undefined;
  }

  addProperty(spec: PropertySpec): PropertyState {
    const prop = new PropertyState(spec);
    spec.holders++;
    this.props = [...this.props, prop];
    return prop;
  }

  /** Properties not evicted from the quarantine (what reads and checkpoints see). */
  liveProperties(): number {
    let live = 0;
    for (const prop of this.props) if (!prop.spec.evicted) live++;
    return live;
  }

  /** Source time of the newest physical point over all properties. */
  newestPhysicalMs(): number | undefined {
    let newest: number | undefined;
    for (const prop of this.props) {
      if (prop.spec.evicted) continue;
      const t = prop.sourceTimeMs('physical');
      if (!Number.isNaN(t) && (newest === undefined || t > newest)) newest = t;
    }
    return newest;
  }

  /** What freshness is judged on: the newest physical point, capped at its receipt time. */
  physicalFreshAsOfMs(): number | undefined {
    let newest: number | undefined;
    for (const prop of this.props) {
      if (prop.spec.evicted) continue;
      const t = prop.physicalFreshAsOfMs();
      if (!Number.isNaN(t) && (newest === undefined || t > newest)) newest = t;
    }
    return newest;
  }

  unconvergedChanges(): number {
    return this.versions?.unconverged.length ?? 0;
  }
}

/** Per asset class: property specs, and the class's SLI aggregates and gauges. */
/** One class at one site, counted afresh by each evaluation. */
export interface SiteGauges {
  assetClass: string;
  site: string;
  assets: number;
  stale: number;
  diverged: number;
}

/** The site label of an asset that reported none. */
export const unknownSite = 'unknown';
/** The site label shared by the class × site pairs beyond `limits.classSites`. */
export const otherSite = 'other';

export class ClassState {
  readonly specs = new Map<string, PropertySpec>();
  /** Receipt of the last point naming it: the quarantine evicts the least recent. */
  lastSeenMs = 0;
  /** Undeclared properties in `specs` (at most the quarantine's maxPropertiesPerClass). */
  quarantinedSpecs = 0;
  /**
   * A quarantined class's assets, to drop them when it is evicted; undefined for a declared class
   * (never evicted, so its assets are never listed twice).
   */
  readonly members: Set<AssetState> | undefined;
  /** Gauges: assets held now (dark ones too); stale and diverged as of their last evaluation. */
  assets = 0;
  stale = 0;
  diverged = 0;
  dark = 0;
  unconverged = 0;
  oldestUnconvergedAgeSeconds = 0;
  /** Counters per source (see sourceIndex). */
  readonly points = [0, 0, 0];
  readonly clockSkewPoints = [0, 0, 0];
  syncLatency: HistogramData[];
  convergence: HistogramData;
  freshnessChecks = 0;
  freshnessGood = 0;
  divergenceChecks = 0;
  divergenceGood = 0;

  constructor(
    readonly name: string,
    readonly staleAfterMs: number,
    latencyBounds: readonly number[],
    convergenceBounds: readonly number[],
    /** Named in the configuration: never quarantined. */
    readonly declared = true,
  ) {
    this.syncLatency = [0, 1, 2].map(() => emptyHistogram(latencyBounds));
    this.convergence = emptyHistogram(convergenceBounds);
    this.members = declared ? undefined : new Set();
  }
}

/** A scored prediction as the twin keeps it: the API's, less the model it adds per version. */
export type ScoredPrediction = Omit<ApiScoredPrediction, 'model' | 'modelVersion'>;

export class ModelVersionState {
  predictions = 0;
  expired = 0;
  /** Pending predictions dropped unscored: over maxPendingPredictions, or their asset evicted. */
  dropped = 0;
  readonly series = new Map<string, PredictionSeries>();
  /**
   * Scored predictions, newest last, trimmed to the last limits.recentScoredPerModel only once
   * they are twice as many: a shift per scored prediction copied them all each time.
   */
  private scoredLog: ScoredPrediction[] = [];

  /** The last limits.recentScoredPerModel scored predictions, newest last. */
  get recent(): ScoredPrediction[] {
    const extra = this.scoredLog.length - limits.recentScoredPerModel;
    return extra > 0 ? this.scoredLog.slice(extra) : this.scoredLog;
  }

  set recent(scored: ScoredPrediction[]) {
    this.scoredLog = scored.slice(-limits.recentScoredPerModel);
  }

  addScored(scored: ScoredPrediction): void {
    const log = this.scoredLog;
    log.push(scored);
    if (log.length >= 2 * limits.recentScoredPerModel) {
      log.splice(0, log.length - limits.recentScoredPerModel);
    }
  }

  constructor(
    readonly name: string,
    readonly version: string,
    readonly vetted: boolean,
  ) {}
}

/** Accuracy aggregates of one model version predicting one property. */
export class PredictionSeries {
  scored = 0;
  good = 0;
  squaredError = 0;
  absoluteError = 0;
  readonly classifications: Record<Classification, number> = { tp: 0, fp: 0, fn: 0, tn: 0 };

  constructor(
    readonly model: ModelVersionState,
    readonly property: string,
    readonly rule: ScoringRule,
  ) {}
}

/** An asset with its own series, and its latest sync latency. */
export interface TrackedAsset {
  asset: AssetState;
  lastSyncLatencySeconds: number;
}

/** Assets by recency of last sight: `oldest` is the first to go at the cap. */
export class RecencyList {
  oldest: AssetState | undefined = undefined;
  newest: AssetState | undefined = undefined;

  append(asset: AssetState): void {
    asset.older = this.newest;
    asset.newer = undefined;
    if (this.newest) this.newest.newer = asset;
    else this.oldest = asset;
    this.newest = asset;
  }

  remove(asset: AssetState): void {
    if (asset.older) asset.older.newer = asset.newer;
    else this.oldest = asset.newer;
    if (asset.newer) asset.newer.older = asset.older;
    else this.newest = asset.older;
    asset.older = undefined;
    asset.newer = undefined;
  }

  touch(asset: AssetState): void {
    if (this.newest === asset) return;
    this.remove(asset);
    this.append(asset);
  }
}

export class TwinState {
  /** In first-seen order, which keeps API pages stable while assets report. */
  readonly assets = new Map<string, AssetState>();
  readonly recency = new RecencyList();
  readonly classes = new Map<string, ClassState>();
  /** model name → version → state */
  readonly models = new Map<string, Map<string, ModelVersionState>>();
  modelVersionCount = 0;
  predictionSeriesCount = 0;
  readonly tracked = new Map<string, TrackedAsset>();
  /** Assets, stale and diverged per class and site, as of the last evaluation (not snapshotted). */
  siteGauges = new Map<string, SiteGauges>();
  /**
   * Asset state dropped: after retention (the asset stays, dark), at the cap, retired, or with
   * its class evicted from the quarantine.
   */
  readonly evictions = { retention: 0, cap: 0, retired: 0, quarantine: 0 };
  /** Names evicted from the quarantine. */
  readonly quarantineEvictions = { class: 0, property: 0 };
  /** Undeclared classes held. */
  quarantinedClasses = 0;
  /**
   * Undeclared properties held, of every class (spec → its class): the total the quarantine
   * bounds, and what its eviction scans (never the declared ones).
   */
  readonly quarantinedPropertySpecs = new Map<PropertySpec, ClassState>();
  /** Properties of assets whose spec was evicted and that are not dropped yet. */
  evictedHolders = 0;
  /** Restoring: the classes' specs came listed (format 2), not only from their assets. */
  specsListed = false;
  readonly declared: DeclaredNames;
  readonly quarantine: QuarantineConfig;
  rejectedOverLimit = 0;
  /** Counters behind AssetState.admitSeq and touchSeq. */
  admissions = 0;
  touches = 0;
  readonly latencyBounds: readonly number[];
  readonly convergenceBounds: readonly number[];
  /** Every property's history (see PropertyState.historyRing). */
  readonly history: HistoryStore;
  private readonly strings = new Map<string, string>();

  constructor(readonly config: TwinEngineConfig) {
    this.latencyBounds = bucketBounds(
      config.sli.syncLatencyThresholdsSeconds,
      syncLatencyExtraBounds,
    );
    this.convergenceBounds = bucketBounds(
      config.sli.convergenceThresholdsSeconds,
      convergenceExtraBounds,
    );
    this.history = new HistoryStore(Math.max(0, config.state.historyLength));
    this.declared = declaredNames(config);
    this.quarantine = quarantineLimits(config.state);
  }

  /** Undeclared properties held over all classes. */
  get quarantinedProperties(): number {
    return this.quarantinedPropertySpecs.size;
  }

  /** Lets go of a property's history (the property is dropped). */
  dropHistory(prop: PropertyState): void {
    if (prop.historyRing < 0) return;
    this.history.release(prop.historyRing);
    prop.historyRing = -1;
  }

  /**
   * Lets go of an asset's property (the caller takes it out of the asset's list): its history,
   * its pending predictions (counted dropped) and its share of the spec's holders.
   */
  dropProperty(prop: PropertyState): void {
    for (const p of prop.pending ?? []) p.series.model.dropped++;
    this.dropHistory(prop);
    prop.spec.holders--;
    if (prop.spec.evicted) this.evictedHolders--;
  }

  /** One string instance per distinct site or property name, however many points carry it. */
  intern(s: string): string {
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    this.strings.set(s, s);
    return s;
  }

  /**
   * A new class record, declared or quarantined as the configuration says. It takes a quarantine
   * slot: the engine makes room first (restores do not, then settle).
   */
  newClass(name: string, seenMs: number): ClassState {
    const declared = this.declared.classes.has(name);
    const cls = new ClassState(
      name,
      staleAfterMsFor(this.config.sli.freshness, name),
      this.latencyBounds,
      this.convergenceBounds,
      declared,
    );
    cls.lastSeenMs = seenMs;
    this.classes.set(name, cls);
    if (!declared) this.quarantinedClasses++;
    return cls;
  }

  /** A new property spec of a class, declared or quarantined (see `newClass`). */
  newSpec(cls: ClassState, property: string, seenMs: number): PropertySpec {
    const name = this.intern(property);
    const rule = resolveDivergenceRule(this.config.sli.divergence, cls.name, name);
    const declared = isDeclaredProperty(this.declared, cls.name, name);
    const spec = new PropertySpec(name, rule.tolerance, rule.graceMs, declared);
    spec.lastSeenMs = seenMs;
    spec.admittedSeq = this.touches;
    cls.specs.set(name, spec);
    if (!declared) {
      cls.quarantinedSpecs++;
      this.quarantinedPropertySpecs.set(spec, cls);
    }
    return spec;
  }

  /** The class or spec restored under this name: as held, else new (bounds apply after). */
  restoredClass(name: string): ClassState {
    return this.classes.get(name) ?? this.newClass(name, 0);
  }

  restoredSpec(cls: ClassState, property: string): PropertySpec {
    return cls.specs.get(property) ?? this.newSpec(cls, property, 0);
  }

  /** The quarantined class to evict for a new one; undefined when none is held. */
  classToEvict(): ClassState | undefined {
    return this.quarantinedClasses > 0
      ? leastRecent(this.classes.values(), (cls) => !cls.declared)
      : undefined;
  }

  /** The quarantined property of `cls` to evict for a new one; undefined when none is held. */
  specToEvict(cls: ClassState): PropertySpec | undefined {
    return cls.quarantinedSpecs > 0
      ? leastRecent(cls.specs.values(), (spec) => !spec.declared)
      : undefined;
  }

  /** The quarantined property of any class to evict for a new one; undefined when none is held. */
  anySpecToEvict(): { spec: PropertySpec; cls: ClassState } | undefined {
    const spec = leastRecentProperty(this.quarantinedPropertySpecs);
    const cls = spec && this.quarantinedPropertySpecs.get(spec);
    return spec && cls && { spec, cls };
  }

  /** Forgets a class whose assets are gone (the engine removes them first). */
  forgetClass(cls: ClassState): void {
    this.classes.delete(cls.name);
    if (cls.quarantinedSpecs > 0) {
      for (const spec of cls.specs.values()) this.quarantinedPropertySpecs.delete(spec);
    }
    if (cls.declared) return;
    this.quarantinedClasses--;
    this.quarantineEvictions.class++;
  }

  /**
   * Evicts a quarantined property from its class. The assets holding it drop it lazily: finding
   * them now would walk the whole class for one name sent once.
   */
  evictSpec(cls: ClassState, spec: PropertySpec): void {
    cls.specs.delete(spec.name);
    spec.evicted = true;
    this.evictedHolders += spec.holders;
    if (spec.declared) return;
    cls.quarantinedSpecs--;
    this.quarantinedPropertySpecs.delete(spec);
    this.quarantineEvictions.property++;
  }

  /** The model version record, created on first sight; undefined beyond the limit. */
  modelVersion(name: string, version: string): ModelVersionState | undefined {
    let versions = this.models.get(name);
    const known = versions?.get(version);
    if (known || this.modelVersionCount >= limits.modelVersions) return known;
    if (!versions) {
      versions = new Map();
      this.models.set(this.intern(name), versions);
    }
    const vetted = isVetted(this.config.sli.vettedModels, { name, version });
    const model = new ModelVersionState(this.intern(name), this.intern(version), vetted);
    versions.set(model.version, model);
    this.modelVersionCount++;
    return model;
  }

  /** A model version's series for a property, created on first sight; undefined beyond the limit. */
  seriesFor(
    model: ModelVersionState,
    property: string,
    rule: ScoringRule,
  ): PredictionSeries | undefined {
    const known = model.series.get(property);
    if (known || this.predictionSeriesCount >= limits.predictionSeries) return known;
    const series = new PredictionSeries(model, this.intern(property), rule);
    model.series.set(series.property, series);
    this.predictionSeriesCount++;
    return series;
  }
}
