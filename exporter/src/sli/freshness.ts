/**
 * Freshness: is the twin's picture of the asset recent? Judged on the newest *physical* point,
 * because twin and model points say nothing about whether the real asset is still heard from.
 */
import type { FreshnessConfig } from '../config/types.js';

/** The staleness limit for an asset class: its override, else the default. */
export function staleAfterMsFor(config: FreshnessConfig, assetClass: string): number {
  return Object.hasOwn(config.classes, assetClass)
    ? (config.classes[assetClass] as { staleAfterMs: number }).staleAfterMs
    : config.staleAfterMs;
}

/**
 * Fresh iff now − newest physical source time ≤ staleAfterMs. An asset never heard from
 * physically (undefined) is not fresh: nothing vouches for its twin.
 */
export function isFresh(
  nowMs: number,
  newestPhysicalSourceMs: number | undefined,
  staleAfterMs: number,
): boolean {
  return newestPhysicalSourceMs !== undefined && nowMs - newestPhysicalSourceMs <= staleAfterMs;
}
