/**
 * The twin engine: applies normalized points to the twin state (the hot path), evaluates the
 * time-based verdicts (freshness, divergence after grace, prediction expiry, eviction) on a
 * timer, and answers the twin API's reads. The SLI math lives in `../sli/` as pure functions;
 * this file decides when to call it and keeps the aggregates the metrics expose.
 */
import type { PropertyValue, TwinPoint } from '../model.js';
import { applyDesired, applyReported, emptyVersionState } from '../sli/convergence.js';
import { isDiverged, toleranceFor, withinTolerance } from '../sli/divergence.js';
import { isFresh } from '../sli/freshness.js';
import { observe, type HistogramData } from '../sli/histogram.js';
import { isClockSkewed, syncLatencySeconds } from '../sli/latency.js';
import {
  classify,
  isExpired,
  matchesTarget,
  resolveScoringRule,
  scoreRegression,
  type ScoringRule,
} from '../sli/prediction.js';
import {
  readAsset,
  readHistory,
  readPredictions,
  readQuarantine,
  listAssets,
  type AssetPage,
  type AssetQuery,
  type AssetView,
  type PredictionQuery,
  type QuarantinePage,
  type QuarantineQuery,
  type ScoredPredictionView,
} from './reads.js';
import type { HistoryStore } from './history.js';
import { isDeclaredProperty } from './quarantine.js';
import {
  aggregatesSnapshot,
  assetSnapshot,
  finishRestore,
  restoreAggregates,
  restoreAsset,
  restoreState,
  snapshotState,
  type AggregatesSnapshot,
  type TwinSnapshot,
} from './snapshot.js';
import {
  AssetState,
  limits,
  otherSite,
  PendingPrediction,
  sourceIndex,
  TwinState,
  unknownSite,
  type ClassState,
  type HistoryEntry,
  type ModelVersionState,
  type PredictionSeries,
  type PropertySpec,
  type PropertyState,
  type ScoredPrediction,
  type Side,
  type SiteGauges,
  type TwinEngineConfig,
} from './state.js';

export { snapshotFromChunks, snapshotToChunks, type TwinSnapshot } from './snapshot.js';
export type { TwinEngineConfig } from './state.js';

/** What the metrics read at scrape time: per-class and per-model aggregates, never assets. */
export type TwinAggregates = Pick<
  TwinState,
  | 'classes'
  | 'models'
  | 'tracked'
  | 'siteGauges'
  | 'evictions'
  | 'quarantineEvictions'
  | 'quarantinedClasses'
  | 'quarantinedProperties'
  | 'rejectedOverLimit'
  | 'latencyBounds'
  | 'convergenceBounds'
>;

/**
 * Why an asset leaves the state entirely (retention only darkens it; see AssetState.dark): the
 * cap, an operator, or its class evicted from the quarantine.
 */
export type RemovalReason = 'cap' | 'retired' | 'quarantine';

/**
 * Told before an asset's stored state changes or the asset leaves: how a checkpoint learns what
 * to write (see durability/checkpointer.ts). Class and model aggregates are not assets: they are
 * written whole at each checkpoint.
 */
export interface ChangeTracker {
  changing(asset: AssetState): void;
  removing(asset: AssetState): void;
}

const untracked: ChangeTracker = { changing() {}, removing() {} };

/**
 * An evaluation pass in progress: the assets still to judge (in admission order, which is the
 * map's order), and the gauges it counts, published when it ends.
 */
interface EvaluationPass {
  assets: Iterator<AssetState>;
  /** The first asset to judge after a resume (already taken from the iterator). */
  head: AssetState | undefined;
  /** admitSeq of the last asset judged: what a checkpoint stores to resume the pass. */
  cursor: number;
  sites: Map<string, SiteGauges>;
  /** Per class, when its oldest unconverged change began (an age once the pass ends). */
  oldestUnconvergedSince: Map<ClassState, number>;
}

/** The gauges of a class at a site; past `limits.classSites` pairs, the class's `other` site. */
function siteGaugesFor(
  sites: Map<string, SiteGauges>,
  assetClass: string,
  site: string,
): SiteGauges {
  const key = `${assetClass}\u0000${site}`;
  let gauges = sites.get(key);
  if (gauges) return gauges;
  // Beyond the limit, each class gets one `other` pair (classes are bounded too).
  if (sites.size >= limits.classSites && site !== otherSite) {
    return siteGaugesFor(sites, assetClass, otherSite);
  }
  gauges = { assetClass, site, assets: 0, stale: 0, diverged: 0 };
  sites.set(key, gauges);
  return gauges;
}

/**
 * The engine is deterministic: the same points, evaluations and retirements, in the same order
 * and with the same times, give the same state. The durable twin relies on it to rebuild after a
 * crash exactly what was served before it (durability/).
 */
export class TwinEngine {
  private readonly state: TwinState;
  private changes: ChangeTracker = untracked;
  private pass: EvaluationPass | undefined;

  /** `state` is for `restore` only. */
  constructor(config: TwinEngineConfig, state?: TwinState) {
    this.state = state ?? new TwinState(config);
  }

  /**
   * Rebuilds an engine from `snapshot()`, under a possibly changed configuration (rules are
   * resolved again, a lowered cap evicts at once, every property's agreement is re-judged).
   */
  static restore(snapshot: TwinSnapshot, config: TwinEngineConfig): TwinEngine {
    const engine = new TwinEngine(config, restoreState(snapshot, config));
    engine.settleRestored(snapshot.evaluationCursor ?? 0);
    return engine;
  }

  /**
   * After a restore: applies a lowered cap, re-judges agreement under the rules now in force,
   * recounts the gauges and resumes the evaluation pass that was in progress (cursor > 0).
   */
  settleRestored(evaluationCursor: number): void {
    const { state } = this;
    // A lowered quarantine, or names no longer declared, evict as new names would.
    while (state.quarantinedClasses > state.quarantine.maxClasses) {
      this.evictClass(state.classToEvict() as ClassState);
    }
    for (const cls of state.classes.values()) {
      while (cls.quarantinedSpecs > state.quarantine.maxPropertiesPerClass) {
        state.evictSpec(cls, state.specToEvict(cls) as PropertySpec);
      }
    }
    while (state.quarantinedProperties > state.quarantine.maxProperties) {
      const { spec, cls } = state.anySpecToEvict() as { spec: PropertySpec; cls: ClassState };
      state.evictSpec(cls, spec);
    }
    while (state.assets.size > state.config.state.maxAssets && state.recency.oldest) {
      this.remove(state.recency.oldest, 'cap');
    }
    for (const cls of state.classes.values()) {
      cls.stale = 0;
      cls.diverged = 0;
      cls.dark = 0;
    }
    for (const asset of state.assets.values()) {
      // Properties evicted from the quarantine are left to be dropped as they would have been.
      for (const prop of asset.props) if (!prop.spec.evicted) this.updateDifference(prop);
      if (asset.stale) asset.cls.stale++;
      if (asset.diverged) asset.cls.diverged++;
      if (asset.dark) asset.cls.dark++;
    }
    // The site gauges from the restored verdicts (the class gauges of ages were restored as they were).
    const counted = this.newPass();
    for (const asset of state.assets.values()) this.countGauges(counted, asset);
    state.siteGauges = counted.sites;
    if (evaluationCursor > 0) this.resumePass(evaluationCursor);
  }

  /**
   * This state under another configuration, as a new engine (this one is left as it was): rules
   * resolved again, limits applied, agreement re-judged. O(assets): for a restart that brings a
   * changed configuration.
   */
  reconfigured(config: TwinEngineConfig): TwinEngine {
    const aggregates = aggregatesSnapshot(this.state);
    const state = restoreAggregates(aggregates, config);
    for (const asset of this.state.assets.values()) {
      restoreAsset(state, assetSnapshot(asset, this.state.history));
    }
    finishRestore(state, aggregates);
    const engine = new TwinEngine(config, state);
    engine.settleRestored(this.evaluationCursor);
    return engine;
  }

  /** Reports changes to `tracker` from now on (the checkpointer). */
  track(tracker: ChangeTracker): void {
    this.changes = tracker;
  }

  /** Every asset held, in admission order (read them, do not change them). */
  heldAssets(): Iterable<AssetState> {
    return this.state.assets.values();
  }

  holds(asset: AssetState): boolean {
    return this.state.assets.get(asset.id) === asset;
  }

  /** Where the assets' history is (to encode an asset with it). */
  get historyStore(): HistoryStore {
    return this.state.history;
  }

  /** admitSeq of the last asset judged by the pass in progress; 0 between passes. */
  get evaluationCursor(): number {
    return this.pass?.cursor ?? 0;
  }

  get config(): TwinEngineConfig {
    return this.state.config;
  }

  /** The aggregates, for the metrics exposition (read them, do not change them). */
  get aggregates(): TwinAggregates {
    return this.state;
  }

  get assetCount(): number {
    return this.state.assets.size;
  }

  /**
   * The hot path: applies one batch of points received at `receivedMs`. Returns how many it
   * rejected as `over_limit` (see StateConfig.maxPropertiesPerAsset and `limits`).
   */
  apply(points: readonly TwinPoint[], receivedMs: number): number {
    let rejected = 0;
    for (const point of points) if (!this.applyPoint(point, receivedMs)) rejected++;
    this.state.rejectedOverLimit += rejected;
    return rejected;
  }

  /**
   * A whole evaluation pass at `nowMs` (the rest of one in progress, else a new one): see
   * `evaluateSlice`.
   */
  evaluate(nowMs: number): void {
    this.evaluateSlice(nowMs, Infinity);
  }

  /**
   * Judges the next `count` assets of the evaluation pass in progress (a new pass starts when none
   * is): darkens assets silent past retention, checks freshness and divergence, expires
   * predictions. Each asset's verdicts move the class gauges at once; the site and convergence
   * gauges are counted over the pass and published when it ends, so a scrape never walks the
   * assets and a large fleet is judged in slices that never hold the event loop for long.
   * Returns true when the pass ended.
   */
  evaluateSlice(nowMs: number, count: number): boolean {
    const pass = (this.pass ??= this.newPass());
    for (let judged = 0; judged < count; judged++) {
      const asset = this.nextInPass(pass);
      if (!asset) {
        this.publish(pass, nowMs);
        this.pass = undefined;
        return true;
      }
      pass.cursor = asset.admitSeq;
      this.judge(asset, nowMs, pass);
    }
    return false;
  }

  /**
   * Retires assets: their state and their share of every gauge go, and they no longer count as
   * stale (the operator says they are gone for good). Returns the ids that were held.
   */
  retire(ids: readonly string[]): string[] {
    const retired: string[] = [];
    for (const id of ids) {
      const asset = this.state.assets.get(id);
      if (!asset) continue;
      this.remove(asset, 'retired');
      retired.push(id);
    }
    return retired;
  }

  /** Ids of the dark assets (silent past retention), optionally of one class and site. */
  darkAssets(filter: { assetClass?: string; site?: string } = {}): string[] {
    const ids: string[] = [];
    for (const asset of this.state.assets.values()) {
      if (!asset.dark) continue;
      if (filter.assetClass !== undefined && asset.cls.name !== filter.assetClass) continue;
      if (filter.site !== undefined && (asset.site ?? unknownSite) !== filter.site) continue;
      ids.push(asset.id);
    }
    return ids;
  }

  // ---- evaluation ----

  private newPass(): EvaluationPass {
    return {
      assets: this.state.assets.values(),
      head: undefined,
      cursor: 0,
      sites: new Map(),
      oldestUnconvergedSince: new Map(),
    };
  }

  private nextInPass(pass: EvaluationPass): AssetState | undefined {
    const head = pass.head;
    if (head) {
      pass.head = undefined;
      // Taken from the iterator at resume: skip it if it left the state since.
      if (this.state.assets.get(head.id) === head) return head;
    }
    const next = pass.assets.next();
    return next.done ? undefined : next.value;
  }

  /**
   * Resumes a pass restored from a checkpoint: the assets up to `cursor` were judged already
   * (their verdicts are what they were), so they are counted into the pass's gauges as they are.
   */
  private resumePass(cursor: number): void {
    const pass = this.newPass();
    for (let next = pass.assets.next(); !next.done; next = pass.assets.next()) {
      if (next.value.admitSeq > cursor) {
        pass.head = next.value;
        break;
      }
      this.countGauges(pass, next.value);
    }
    pass.cursor = cursor;
    this.pass = pass;
  }

  private judge(asset: AssetState, nowMs: number, pass: EvaluationPass): void {
    const cls = asset.cls;
    if (this.state.evictedHolders > 0) this.dropEvicted(asset);
    if (!asset.dark && nowMs - asset.lastSeenMs > this.state.config.state.retentionMs) {
      this.darken(asset);
    }
    const fresh = !asset.dark && isFresh(nowMs, asset.physicalFreshAsOfMs(), cls.staleAfterMs);
    cls.freshnessChecks++;
    if (fresh) cls.freshnessGood++;

    let comparable = false;
    let diverged = false;
    let expiring = false;
    const { expireAfterMs } = this.state.config.sli.prediction;
    for (const prop of asset.props) {
      if (prop.physical !== undefined && prop.twin !== undefined) {
        comparable = true;
        if (isDiverged(prop.graceFromMs, nowMs, prop.spec.graceMs)) diverged = true;
      }
      if (prop.pending && !expiring) {
        expiring = prop.pending.some((p) => isExpired(p.targetTimeMs, nowMs, expireAfterMs));
      }
    }
    if (comparable) {
      cls.divergenceChecks++;
      if (!diverged) cls.divergenceGood++;
    }
    // Verdicts feed gauges only and are judged again at every pass: a flip is no change a
    // checkpoint must write (a fleet back from an outage would otherwise rewrite every asset).
    this.setVerdicts(asset, !fresh, diverged);
    if (expiring) {
      this.changes.changing(asset);
      for (const prop of asset.props) if (prop.pending) this.expirePredictions(prop, nowMs);
    }
    this.countGauges(pass, asset);
  }

  /** An asset's verdicts, keeping its class's gauges equal to the sum of its assets' verdicts. */
  private setVerdicts(asset: AssetState, stale: boolean, diverged: boolean): void {
    const cls = asset.cls;
    if (asset.stale !== stale) cls.stale += stale ? 1 : -1;
    if (asset.diverged !== diverged) cls.diverged += diverged ? 1 : -1;
    asset.stale = stale;
    asset.diverged = diverged;
  }

  /**
   * Silent past retention: the asset's properties, pending predictions and versions are dropped
   * (the memory a large fleet cannot keep), but the asset stays, stale, until it reports again or
   * is retired.
   */
  private darken(asset: AssetState): void {
    this.changes.changing(asset);
    const cls = asset.cls;
    for (const prop of asset.props) this.state.dropProperty(prop);
    asset.props = [];
    cls.unconverged -= asset.unconvergedChanges();
    asset.versions = undefined;
    asset.dark = true;
    cls.dark++;
    this.state.evictions.retention++;
  }

  /** Counts an asset, as judged, into the gauges a pass publishes. */
  private countGauges(pass: EvaluationPass, asset: AssetState): void {
    const gauges = siteGaugesFor(pass.sites, asset.cls.name, asset.site ?? unknownSite);
    gauges.assets++;
    if (asset.stale) gauges.stale++;
    if (asset.diverged) gauges.diverged++;
    for (const change of asset.versions?.unconverged ?? []) {
      const oldest = pass.oldestUnconvergedSince.get(asset.cls);
      if (oldest === undefined || change.sinceMs < oldest) {
        pass.oldestUnconvergedSince.set(asset.cls, change.sinceMs);
      }
    }
  }

  private publish(pass: EvaluationPass, nowMs: number): void {
    this.state.siteGauges = pass.sites;
    for (const cls of this.state.classes.values()) {
      const since = pass.oldestUnconvergedSince.get(cls);
      cls.oldestUnconvergedAgeSeconds =
        since === undefined ? 0 : Math.max(0, (nowMs - since) / 1000);
    }
  }

  // ---- the read side (the twin API) ----

  listAssets(query: AssetQuery, nowMs: number): AssetPage {
    return listAssets(this.state, query, nowMs);
  }

  asset(id: string, nowMs: number): AssetView | undefined {
    return readAsset(this.state, id, nowMs);
  }

  history(assetId: string, property: string): HistoryEntry[] | undefined {
    return readHistory(this.state, assetId, property);
  }

  predictions(query: PredictionQuery): ScoredPredictionView[] {
    return readPredictions(this.state, query);
  }

  quarantine(query: QuarantineQuery): QuarantinePage {
    return readQuarantine(this.state, query);
  }

  /** Everything but the assets (what a checkpoint writes whole), with the evaluation cursor. */
  aggregatesSnapshot(): AggregatesSnapshot {
    return { ...aggregatesSnapshot(this.state), evaluationCursor: this.evaluationCursor };
  }

  /** The complete state and every SLI aggregate, as plain JSON-serializable data. */
  snapshot(): TwinSnapshot {
    return { ...snapshotState(this.state), evaluationCursor: this.evaluationCursor };
  }

  // ---- applying one point ----

  /** Returns false when the point is rejected (over a limit). */
  private applyPoint(point: TwinPoint, receivedMs: number): boolean {
    const { state } = this;
    const cls =
      state.classes.get(point.assetClass) ?? this.admitClass(point.assetClass, receivedMs);
    if (!cls) return false;
    const spec = cls.specs.get(point.property) ?? this.admitSpec(cls, point.property, receivedMs);
    if (!spec) return false;
    // The quarantine's recency: a store per point, the eviction scan only when a name is new.
    if (receivedMs > cls.lastSeenMs) cls.lastSeenMs = receivedMs;
    if (receivedMs > spec.lastSeenMs) spec.lastSeenMs = receivedMs;

    let model: ModelVersionState | undefined;
    let series: PredictionSeries | undefined;
    if (point.source === 'model') {
      // (A prediction without a model never gets here: the normalizer rejects it as missing_model.)
      model = point.model && state.modelVersion(point.model.name, point.model.version);
      if (!model) return false;
      const rule = this.scoringRuleFor(model.name, spec.name, point.value);
      series = rule && state.seriesFor(model, spec.name, rule);
      if (rule && !series) return false;
    }

    let asset = state.assets.get(point.assetId);
    let prop: PropertyState | undefined;
    if (asset) {
      this.changes.changing(asset);
      if (asset.cls !== cls) this.reclassify(asset, cls);
      prop = asset.property(spec);
      if (!prop && asset.props.length >= state.config.state.maxPropertiesPerAsset) {
        // Properties evicted from the quarantine still take room until dropped.
        if (state.evictedHolders > 0) this.dropEvicted(asset);
        if (asset.props.length >= state.config.state.maxPropertiesPerAsset) return false;
      }
    } else {
      if (state.config.state.maxPropertiesPerAsset < 1) return false;
      asset = this.admit(point.assetId, cls, receivedMs);
    }
    prop ??= asset.addProperty(spec);

    this.see(asset, point, receivedMs);
    switch (point.source) {
      case 'physical':
        if (this.observe(prop, 'physical', point, receivedMs)) this.updateDifference(prop);
        if (prop.pending) this.scorePending(asset, prop, point.value, point.sourceTimeMs);
        break;
      case 'twin':
        if (this.observe(prop, 'twin', point, receivedMs)) this.updateDifference(prop);
        break;
      case 'model':
        if (model) {
          model.predictions++;
          if (series) this.predict(asset, prop, series, point);
        }
        break;
    }
    if (point.desiredVersion !== undefined || point.reportedVersion !== undefined) {
      this.applyVersions(asset, point);
    }
    return true;
  }

  /** Counts the point, its sync latency and clock skew, and marks the asset as just seen. */
  private see(asset: AssetState, point: TwinPoint, receivedMs: number): void {
    const cls = asset.cls;
    const i = sourceIndex[point.source];
    cls.points[i] = (cls.points[i] as number) + 1;
    if (isClockSkewed(receivedMs, point.sourceTimeMs)) {
      cls.clockSkewPoints[i] = (cls.clockSkewPoints[i] as number) + 1;
    }
    const latency = syncLatencySeconds(receivedMs, point.sourceTimeMs);
    observe(cls.syncLatency[i] as HistogramData, latency);
    if (asset.tracked) {
      const tracked = this.state.tracked.get(asset.id);
      if (tracked) tracked.lastSyncLatencySeconds = latency;
    }
    if (receivedMs > asset.lastSeenMs) asset.lastSeenMs = receivedMs;
    if (asset.dark) {
      asset.dark = false;
      cls.dark--;
    }
    asset.touchSeq = ++this.state.touches;
    this.state.recency.touch(asset);
    if (point.site !== undefined && point.site !== asset.site) {
      asset.site = this.state.intern(point.site);
    }
  }

  /**
   * Updates one side of a property. Only a newer point replaces the newest value; the value it
   * replaces, or an out-of-order point, goes to the history. Returns true if the newest changed.
   */
  private observe(prop: PropertyState, side: Side, point: TwinPoint, receivedMs: number): boolean {
    const current = prop[side];
    const currentTimeMs = prop.sourceTimeMs(side);
    if (current !== undefined) {
      if (point.sourceTimeMs < currentTimeMs) {
        this.remember(prop, side, point.sourceTimeMs, point.value);
        return false;
      }
      // Equal source times: the later delivery wins, without a duplicate history entry.
      if (point.sourceTimeMs > currentTimeMs) this.remember(prop, side, currentTimeMs, current);
    }
    prop.set(side, point.value, point.sourceTimeMs, receivedMs);
    return true;
  }

  private remember(prop: PropertyState, side: Side, sourceTimeMs: number, value: PropertyValue) {
    const capacity = this.state.config.state.historyLength;
    if (capacity <= 0) return;
    const { history } = this.state;
    if (prop.historyRing < 0) prop.historyRing = history.allocate();
    history.push(prop.historyRing, side, sourceTimeMs, value);
  }

  /**
   * Re-judges agreement after either side changed. A disagreement starts when both values it
   * compares were in effect (the later of their source times) and lasts until they agree again.
   */
  private updateDifference(prop: PropertyState): void {
    const { physical, twin } = prop;
    if (physical === undefined || twin === undefined) {
      prop.differsSinceMs = undefined;
      return;
    }
    const defaultTolerance = this.state.config.sli.divergence.defaultTolerance;
    const tolerance = toleranceFor(prop.spec.tolerance, defaultTolerance, physical, twin);
    if (withinTolerance(tolerance, physical, twin)) {
      prop.differsSinceMs = undefined;
      prop.graceFromMs = undefined;
    } else if (prop.differsSinceMs === undefined) {
      prop.differsSinceMs = Math.max(prop.sourceTimeMs('physical'), prop.sourceTimeMs('twin'));
      prop.graceFromMs = Math.max(prop.receivedMs('physical'), prop.receivedMs('twin'));
    }
  }

  // ---- predictions ----

  private scoringRuleFor(
    model: string,
    property: string,
    predicted: PropertyValue,
  ): ScoringRule | undefined {
    const { sli } = this.state.config;
    return resolveScoringRule(
      sli.prediction,
      sli.divergence.defaultTolerance,
      model,
      property,
      predicted,
    );
  }

  /** A new prediction: scored at once if the newest physical value matches its target time. */
  private predict(
    asset: AssetState,
    prop: PropertyState,
    series: PredictionSeries,
    point: TwinPoint,
  ): void {
    if (series.rule.kind === 'regression' && !isFiniteNumber(point.value)) return; // cannot be scored
    const { sli, state: stateConfig } = this.state.config;
    const prediction = new PendingPrediction(
      series,
      point.value,
      point.targetTimeMs ?? point.sourceTimeMs,
      point.sourceTimeMs,
    );
    const actual = prop.physical;
    const actualTimeMs = prop.sourceTimeMs('physical');
    if (
      actual !== undefined &&
      matchesTarget(prediction.targetTimeMs, actualTimeMs, sli.prediction.matchWindowMs) &&
      this.score(asset, prop, prediction, actual, actualTimeMs)
    ) {
      return;
    }
    prop.pending ??= [];
    prop.pending.push(prediction);
    if (prop.pending.length > stateConfig.maxPendingPredictions) {
      const dropped = prop.pending.shift() as PendingPrediction;
      dropped.series.model.dropped++;
    }
  }

  /** A physical value arrived: it scores every pending prediction whose target time it matches. */
  private scorePending(
    asset: AssetState,
    prop: PropertyState,
    actual: PropertyValue,
    actualTimeMs: number,
  ): void {
    const pending = prop.pending as PendingPrediction[];
    const window = this.state.config.sli.prediction.matchWindowMs;
    // In place, in order: most physical points score nothing, and then nothing is allocated.
    let waiting = 0;
    for (let i = 0; i < pending.length; i++) {
      const p = pending[i]!;
      const scored =
        matchesTarget(p.targetTimeMs, actualTimeMs, window) &&
        this.score(asset, prop, p, actual, actualTimeMs);
      if (!scored) pending[waiting++] = p;
    }
    if (waiting === 0) prop.pending = undefined;
    else if (waiting < pending.length) pending.length = waiting;
  }

  /** Scores one prediction against an actual value; false if the actual cannot score it. */
  private score(
    asset: AssetState,
    prop: PropertyState,
    prediction: PendingPrediction,
    actual: PropertyValue,
    actualTimeMs: number,
  ): boolean {
    const { series } = prediction;
    const { rule } = series;
    const scored: ScoredPrediction = {
      assetId: asset.id,
      property: prop.spec.name,
      predicted: prediction.value,
      actual,
      targetTimeMs: prediction.targetTimeMs,
      actualTimeMs,
      good: false,
    };
    if (rule.kind === 'regression') {
      if (!isFiniteNumber(actual)) return false;
      const { error, withinTolerance } = scoreRegression(
        prediction.value as number,
        actual,
        rule.tolerance,
      );
      series.squaredError += error * error;
      series.absoluteError += Math.abs(error);
      scored.error = error;
      scored.good = withinTolerance;
    } else {
      const cell = classify(prediction.value, actual, rule.positive);
      series.classifications[cell]++;
      scored.classification = cell;
      scored.good = cell === 'tp' || cell === 'tn';
    }
    series.scored++;
    if (scored.good) series.good++;
    series.model.addScored(scored);
    return true;
  }

  private expirePredictions(prop: PropertyState, nowMs: number): void {
    const expireAfterMs = this.state.config.sli.prediction.expireAfterMs;
    const waiting = (prop.pending as PendingPrediction[]).filter((p) => {
      if (!isExpired(p.targetTimeMs, nowMs, expireAfterMs)) return true;
      p.series.model.expired++;
      return false;
    });
    prop.pending = waiting.length > 0 ? waiting : undefined;
  }

  // ---- convergence ----

  private applyVersions(asset: AssetState, point: TwinPoint): void {
    const versions = (asset.versions ??= emptyVersionState());
    const cls = asset.cls;
    const before = versions.unconverged.length;
    const completed: number[] = [];
    if (isFiniteNumber(point.desiredVersion)) {
      completed.push(...applyDesired(versions, point.desiredVersion, point.sourceTimeMs));
    }
    if (isFiniteNumber(point.reportedVersion)) {
      completed.push(...applyReported(versions, point.reportedVersion, point.sourceTimeMs));
    }
    for (const seconds of completed) observe(cls.convergence, seconds);
    cls.unconverged += versions.unconverged.length - before;
  }

  // ---- admission, eviction, reclassification ----

  private admit(id: string, cls: ClassState, receivedMs: number): AssetState {
    const { state } = this;
    while (state.assets.size >= state.config.state.maxAssets && state.recency.oldest) {
      this.remove(state.recency.oldest, 'cap');
    }
    const asset = new AssetState(id, cls, undefined, receivedMs);
    asset.admitSeq = ++state.admissions;
    this.changes.changing(asset);
    state.assets.set(id, asset);
    state.recency.append(asset);
    cls.assets++;
    cls.members?.add(asset);
    const { perAsset } = state.config.metrics;
    if (perAsset.enabled && state.tracked.size < perAsset.maxAssets) {
      asset.tracked = true;
      state.tracked.set(id, { asset, lastSyncLatencySeconds: 0 });
    }
    return asset;
  }

  private remove(asset: AssetState, reason: RemovalReason): void {
    const { state } = this;
    this.changes.removing(asset);
    state.assets.delete(asset.id);
    state.recency.remove(asset);
    this.leaveClass(asset);
    for (const prop of asset.props) state.dropProperty(prop);
    if (asset.tracked) state.tracked.delete(asset.id);
    state.evictions[reason]++;
  }

  /** Removes the asset's share from its class's gauges. */
  private leaveClass(asset: AssetState): void {
    const cls = asset.cls;
    cls.assets--;
    cls.members?.delete(asset);
    if (asset.stale) cls.stale--;
    if (asset.diverged) cls.diverged--;
    if (asset.dark) cls.dark--;
    cls.unconverged -= asset.unconvergedChanges();
  }

  /**
   * A point named a different class for a known asset: the asset moves, keeping its properties
   * under the new class's rules (those the new class cannot hold are dropped).
   */
  private reclassify(asset: AssetState, cls: ClassState): void {
    this.leaveClass(asset);
    asset.cls = cls;
    cls.assets++;
    cls.members?.add(asset);
    if (asset.stale) cls.stale++;
    if (asset.diverged) cls.diverged++;
    if (asset.dark) cls.dark++;
    cls.unconverged += asset.unconvergedChanges();
    // Properties move only where the new class has room: moving must not evict other names.
    asset.props = asset.props.filter((prop) => {
      const name = prop.spec.name;
      const spec = prop.spec.evicted
        ? undefined
        : (cls.specs.get(name) ?? this.admitSpec(cls, name, prop.spec.lastSeenMs, false));
      if (!spec) {
        this.state.dropProperty(prop);
        return false;
      }
      prop.spec.holders--;
      spec.holders++;
      prop.spec = spec;
      this.updateDifference(prop);
      return true;
    });
  }

  // ---- the quarantine of undeclared names (quarantine.ts) ----

  /**
   * A class seen for the first time: declared ones always get in; an undeclared one takes a
   * quarantine slot, evicting the least recently seen quarantined class when all are taken.
   * Undefined only when the quarantine holds no class at all (maxClasses 0).
   */
  private admitClass(name: string, receivedMs: number): ClassState | undefined {
    const { state } = this;
    if (
      !state.declared.classes.has(name) &&
      state.quarantinedClasses >= state.quarantine.maxClasses
    ) {
      const victim = state.classToEvict();
      if (!victim) return undefined;
      this.evictClass(victim);
    }
    return state.newClass(name, receivedMs);
  }

  /**
   * A property seen for the first time in a class: as `admitClass`, but with two bounds. With the
   * class's share full, its least recently seen quarantined property goes; else with the total
   * full, the least recently seen of any class.
   */
  private admitSpec(
    cls: ClassState,
    property: string,
    receivedMs: number,
    evict = true,
  ): PropertySpec | undefined {
    const { state } = this;
    if (!isDeclaredProperty(state.declared, cls.name, property)) {
      if (cls.quarantinedSpecs >= state.quarantine.maxPropertiesPerClass) {
        const victim = evict ? state.specToEvict(cls) : undefined;
        if (!victim) return undefined;
        state.evictSpec(cls, victim);
      } else if (state.quarantinedProperties >= state.quarantine.maxProperties) {
        const victim = evict ? state.anySpecToEvict() : undefined;
        if (!victim) return undefined;
        state.evictSpec(victim.cls, victim.spec);
      }
    }
    return state.newSpec(cls, property, receivedMs);
  }

  /**
   * Evicts a quarantined class: its assets leave the state (counted as quarantine evictions, not
   * left dark or stale) and its series leave /metrics.
   */
  private evictClass(cls: ClassState): void {
    const { state } = this;
    for (const asset of cls.members ?? []) this.remove(asset, 'quarantine');
    for (const sites of [state.siteGauges, this.pass?.sites]) {
      for (const [key, gauges] of sites ?? []) {
        if (gauges.assetClass === cls.name) sites?.delete(key);
      }
    }
    this.pass?.oldestUnconvergedSince.delete(cls);
    state.forgetClass(cls);
  }

  /** Drops an asset's properties evicted from the quarantine (see PropertySpec.evicted). */
  private dropEvicted(asset: AssetState): void {
    if (asset.liveProperties() === asset.props.length) return;
    this.changes.changing(asset);
    asset.props = asset.props.filter((prop) => {
      if (!prop.spec.evicted) return true;
      this.state.dropProperty(prop);
      return false;
    });
  }
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
