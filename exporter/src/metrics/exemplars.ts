/**
 * Exemplars of the sync-latency histogram: for each asset class, source and bucket, the trace of
 * the latest ingest request whose slowest point fell there. The engine's counts are durable and
 * deterministic; exemplars are neither (a restart starts without them), so they live here, beside
 * the engine, filled by ingest once a request is applied.
 */
import { sources, type TwinPoint } from '../model.js';
import { bucketIndex } from '../sli/histogram.js';
import { syncLatencySeconds } from '../sli/latency.js';

/** What prom-client renders after a sample in OpenMetrics: `# {labels} value timestamp`. */
export interface Exemplar {
  labelSet: Readonly<Record<string, string>>;
  value: number;
  /** Seconds since the epoch. */
  timestamp: number;
}

/** Classes beyond this evict the least recently traced one (names are bounded, not trusted). */
const maxClasses = 10_000;

export class SyncLatencyExemplars {
  /** Per class: per source (model order), per bucket of `bounds` (and +Inf). */
  private readonly byClass = new Map<string, (Exemplar | undefined)[][]>();

  constructor(private readonly bounds: readonly number[]) {}

  /**
   * Records the request's slowest point, the one worth following to its trace; one per request
   * keeps ingest's cost flat.
   */
  observe(
    points: readonly TwinPoint[],
    receivedMs: number,
    labelSet: Readonly<Record<string, string>> | undefined,
  ): void {
    if (!labelSet || points.length === 0) return;
    let slowest = points[0] as TwinPoint;
    for (const point of points) if (point.sourceTimeMs < slowest.sourceTimeMs) slowest = point;
    const value = syncLatencySeconds(receivedMs, slowest.sourceTimeMs);
    let perSource = this.byClass.get(slowest.assetClass);
    if (perSource) this.byClass.delete(slowest.assetClass);
    else perSource = sources.map(() => []);
    this.byClass.set(slowest.assetClass, perSource);
    if (this.byClass.size > maxClasses) {
      this.byClass.delete(this.byClass.keys().next().value as string);
    }
    const buckets = perSource[sources.indexOf(slowest.source)] as (Exemplar | undefined)[];
    buckets[bucketIndex(this.bounds, value)] = { labelSet, value, timestamp: receivedMs / 1000 };
  }

  /**
   * The exemplar of a bucket, if any: `source` indexes `sources`, `bucket` the bounds (their
   * length for +Inf).
   */
  of(assetClass: string, source: number, bucket: number): Exemplar | undefined {
    return this.byClass.get(assetClass)?.[source]?.[bucket];
  }
}
