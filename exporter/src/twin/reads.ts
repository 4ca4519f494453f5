/**
 * The twin API's reads: pure functions of the state (and of a given `now` where ages are shown).
 * They return copies, never the engine's own records, and every answer is bounded in size.
 */
import type {
  AssetPage,
  AssetQuery,
  AssetSummary,
  AssetView,
  ObservationView,
  PropertyView,
} from '../../../contracts/api.js';
import type { QuarantineConfig } from '../config/types.js';
import { oldestUnconvergedAgeSeconds } from '../sli/convergence.js';
import { isDiverged, toleranceFor } from '../sli/divergence.js';
import { isFresh } from '../sli/freshness.js';
import {
  limits,
  type AssetState,
  type HistoryEntry,
  type Observation,
  type PropertyState,
  type ScoredPrediction,
  type TwinState,
} from './state.js';

// The views the twin API serializes are the contracts' (contracts/api.ts).
export type {
  AssetPage,
  AssetQuery,
  AssetSummary,
  AssetView,
  DivergenceView,
  ObservationView,
  PropertyView,
  VersionsView,
} from '../../../contracts/api.js';

/** One page of assets. Walks the assets (O(assets)): the API's cost, never the scrape's. */
export function listAssets(state: TwinState, query: AssetQuery, nowMs: number): AssetPage {
  const offset = Math.max(0, Math.floor(query.offset ?? 0));
  const limit = Math.min(limits.pageSize, Math.max(0, Math.floor(query.limit ?? 100)));
  const items: AssetSummary[] = [];
  let total = 0;
  for (const asset of state.assets.values()) {
    if (query.assetClass !== undefined && asset.cls.name !== query.assetClass) continue;
    if (query.site !== undefined && asset.site !== query.site) continue;
    const stale = isStale(asset, nowMs);
    if (query.stale !== undefined && stale !== query.stale) continue;
    const diverged = isAssetDiverged(asset, nowMs);
    if (query.diverged !== undefined && diverged !== query.diverged) continue;
    if (total >= offset && items.length < limit) {
      items.push({
        id: asset.id,
        assetClass: asset.cls.name,
        site: asset.site ?? null,
        lastSeenMs: asset.lastSeenMs,
        stale,
        diverged,
        dark: asset.dark,
        properties: asset.liveProperties(),
      });
    }
    total++;
  }
  return { total, offset, limit, items };
}

function isStale(asset: AssetState, nowMs: number): boolean {
  return !isFresh(nowMs, asset.physicalFreshAsOfMs(), asset.cls.staleAfterMs);
}

function isAssetDiverged(asset: AssetState, nowMs: number): boolean {
  return asset.props.some(
    (p) => !p.spec.evicted && isDiverged(p.graceFromMs, nowMs, p.spec.graceMs),
  );
}

/** One asset, physical and twin side by side per property, with verdicts judged at `nowMs`. */
export function readAsset(state: TwinState, id: string, nowMs: number): AssetView | undefined {
  const asset = state.assets.get(id);
  if (!asset) return undefined;
  const newestPhysicalMs = asset.newestPhysicalMs();
  const properties = asset.props
    .filter((prop) => !prop.spec.evicted)
    .map((prop) => propertyView(state, prop, nowMs));
  const versions = asset.versions;
  return {
    id: asset.id,
    assetClass: asset.cls.name,
    site: asset.site ?? null,
    lastSeenMs: asset.lastSeenMs,
    newestPhysicalMs: newestPhysicalMs ?? null,
    staleAfterMs: asset.cls.staleAfterMs,
    stale: isStale(asset, nowMs),
    diverged: isAssetDiverged(asset, nowMs),
    dark: asset.dark,
    versions: versions
      ? {
          desiredVersion: versions.desiredVersion ?? null,
          desiredTimeMs: versions.desiredTimeMs ?? null,
          reportedVersion: versions.reportedVersion ?? null,
          reportedTimeMs: versions.reportedTimeMs ?? null,
          unconvergedChanges: versions.unconverged.length,
          oldestUnconvergedAgeSeconds: oldestUnconvergedAgeSeconds(versions, nowMs),
        }
      : null,
    properties,
  };
}

function propertyView(state: TwinState, prop: PropertyState, nowMs: number): PropertyView {
  const { physical, twin, spec } = prop;
  const sample = physical ?? twin;
  const tolerance =
    sample === undefined
      ? (spec.tolerance ?? null)
      : toleranceFor(
          spec.tolerance,
          state.config.sli.divergence.defaultTolerance,
          physical ?? sample,
          twin ?? sample,
        );
  return {
    property: spec.name,
    physical: observationView(prop.observation('physical'), nowMs),
    twin: observationView(prop.observation('twin'), nowMs),
    divergence: {
      comparable: physical !== undefined && twin !== undefined,
      differsSinceMs: prop.differsSinceMs ?? null,
      graceFromMs: prop.graceFromMs ?? null,
      diverged: isDiverged(prop.graceFromMs, nowMs, spec.graceMs),
      tolerance,
      graceMs: spec.graceMs,
    },
    pendingPredictions: prop.pending?.length ?? 0,
  };
}

function observationView(
  observation: Observation | undefined,
  nowMs: number,
): ObservationView | null {
  return observation ? { ...observation, ageMs: nowMs - observation.sourceTimeMs } : null;
}

/**
 * A property's recent values, physical and twin, oldest first by source time: at most
 * historyLength entries. Undefined when the asset or property is unknown.
 */
export function readHistory(
  state: TwinState,
  assetId: string,
  property: string,
): HistoryEntry[] | undefined {
  const asset = state.assets.get(assetId);
  const spec = asset?.cls.specs.get(property);
  const prop = spec && asset?.property(spec);
  if (!prop) return undefined;
  // The ring holds the values the current ones replaced (and out-of-order arrivals).
  const entries = prop.historyRing < 0 ? [] : state.history.toArray(prop.historyRing);
  for (const source of ['physical', 'twin'] as const) {
    const current = prop.observation(source);
    if (current) entries.push({ source, sourceTimeMs: current.sourceTimeMs, value: current.value });
  }
  entries.sort((a, b) => a.sourceTimeMs - b.sourceTimeMs);
  const length = Math.max(0, state.config.state.historyLength);
  return length === 0 ? [] : entries.slice(-length);
}

export interface PredictionQuery {
  model: string;
  version?: string;
  assetId?: string;
  property?: string;
}

export interface ScoredPredictionView extends ScoredPrediction {
  model: string;
  modelVersion: string;
}

/** Recently scored predictions of a model (optionally one version, asset, property), newest first. */
export function readPredictions(state: TwinState, query: PredictionQuery): ScoredPredictionView[] {
  const versions = state.models.get(query.model);
  if (!versions) return [];
  const result: ScoredPredictionView[] = [];
  for (const model of versions.values()) {
    if (query.version !== undefined && model.version !== query.version) continue;
    for (const scored of model.recent) {
      if (query.assetId !== undefined && scored.assetId !== query.assetId) continue;
      if (query.property !== undefined && scored.property !== query.property) continue;
      result.push({ ...scored, model: model.name, modelVersion: model.version });
    }
  }
  // Stable sort: within one version the ring order (newest last) breaks ties.
  return result.reverse().sort((a, b) => b.actualTimeMs - a.actualTimeMs);
}

export interface QuarantineQuery {
  /** Only the quarantined properties of this class. */
  assetClass?: string;
  offset?: number;
  /** At most limits.pageSize; default 100. */
  limit?: number;
}

export interface QuarantinedClassView {
  assetClass: string;
  lastSeenMs: number;
  assets: number;
  /** Its quarantined properties. */
  properties: number;
}

export interface QuarantinedPropertyView {
  assetClass: string;
  property: string;
  lastSeenMs: number;
  /** Assets holding it. */
  assets: number;
}

export interface QuarantinePage {
  limits: QuarantineConfig;
  /** Names evicted so far (since the state began: they survive restarts). */
  evictions: { class: number; property: number };
  offset: number;
  limit: number;
  /** One page each, in first-seen order (stable while names arrive); totals over all pages. */
  classes: { total: number; items: QuarantinedClassView[] };
  properties: { total: number; items: QuarantinedPropertyView[] };
}

/**
 * The quarantine: undeclared classes, and undeclared properties of every class (or of one), with
 * when each was last seen and how many assets hold it. Walks classes and their properties, never
 * assets.
 */
export function readQuarantine(state: TwinState, query: QuarantineQuery): QuarantinePage {
  const offset = Math.max(0, Math.floor(query.offset ?? 0));
  const limit = Math.min(limits.pageSize, Math.max(0, Math.floor(query.limit ?? 100)));
  const onPage = (n: number) => n >= offset && n < offset + limit;
  const classes: QuarantinePage['classes'] = { total: 0, items: [] };
  const properties: QuarantinePage['properties'] = { total: 0, items: [] };
  for (const cls of state.classes.values()) {
    if (!cls.declared && onPage(classes.total++)) {
      const { name: assetClass, lastSeenMs, assets, quarantinedSpecs } = cls;
      classes.items.push({ assetClass, lastSeenMs, assets, properties: quarantinedSpecs });
    }
    if (cls.quarantinedSpecs === 0) continue;
    if (query.assetClass !== undefined && cls.name !== query.assetClass) continue;
    for (const spec of cls.specs.values()) {
      if (spec.declared || !onPage(properties.total++)) continue;
      properties.items.push({
        assetClass: cls.name,
        property: spec.name,
        lastSeenMs: spec.lastSeenMs,
        assets: spec.holders,
      });
    }
  }
  return {
    limits: { ...state.quarantine },
    evictions: { ...state.quarantineEvictions },
    offset,
    limit,
    classes,
    properties,
  };
}
