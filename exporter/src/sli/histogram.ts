/**
 * Histograms whose bucket counts the SLI engine holds itself (a metrics library's histogram cannot
 * be restored from a snapshot; metrics/sli.ts exposes these). SLO thresholds must be exact bucket
 * bounds: the SLI "latency ≤ 5 s" is then `le="5"` over `_count`, with no interpolation.
 */

export interface HistogramData {
  /** Upper bounds, ascending, finite; the implicit last bucket is +Inf. */
  bounds: readonly number[];
  /** Observations per bucket, not cumulative: counts[i] for bounds[i−1] < v ≤ bounds[i]; one more for +Inf. */
  counts: number[];
  sum: number;
  count: number;
}

/** Extra bounds around the usual sync latency thresholds (seconds). */
export const syncLatencyExtraBounds: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
];

/** Extra bounds for convergence (seconds): from a fast device to a slow rollout. */
export const convergenceExtraBounds: readonly number[] = [
  0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600,
];

/**
 * The bucket bounds: every SLO threshold exactly as configured, plus the extras; sorted, without
 * duplicates. Non-finite or negative values are dropped (a latency is never below zero).
 */
export function bucketBounds(thresholds: readonly number[], extras: readonly number[]): number[] {
  const bounds = [...thresholds, ...extras].filter((b) => Number.isFinite(b) && b >= 0);
  return [...new Set(bounds)].sort((a, b) => a - b);
}

export function emptyHistogram(bounds: readonly number[]): HistogramData {
  return { bounds, counts: new Array<number>(bounds.length + 1).fill(0), sum: 0, count: 0 };
}

/** Index of the bucket holding `value`: the first bound ≥ value, else +Inf. */
export function bucketIndex(bounds: readonly number[], value: number): number {
  let i = 0;
  while (i < bounds.length && value > (bounds[i] as number)) i++;
  return i;
}

/** Records one observation (mutates `histogram`: this runs once per point on the hot path). */
export function observe(histogram: HistogramData, value: number): void {
  const i = bucketIndex(histogram.bounds, value);
  histogram.counts[i] = (histogram.counts[i] as number) + 1;
  histogram.sum += value;
  histogram.count += 1;
}

/** The cumulative buckets Prometheus expects: one per bound plus +Inf (which equals count). */
export function cumulativeBuckets(histogram: HistogramData): { le: number; count: number }[] {
  let running = 0;
  return histogram.counts.map((count, i) => {
    running += count;
    return { le: histogram.bounds[i] ?? Infinity, count: running };
  });
}

/**
 * Moves counts onto new bounds (after the thresholds changed across a restart). Each old bucket
 * lands in the first new bucket whose bound is ≥ its own, so the cumulative count at every bound
 * present before and after is unchanged, and a new bound never claims observations it cannot
 * vouch for (an SLO's "good" is undercounted, never overcounted).
 */
export function rebin(histogram: HistogramData, bounds: readonly number[]): HistogramData {
  const moved = emptyHistogram(bounds);
  histogram.counts.forEach((count, i) => {
    const j = bucketIndex(bounds, histogram.bounds[i] ?? Infinity);
    moved.counts[j] = (moved.counts[j] as number) + count;
  });
  moved.sum = histogram.sum;
  moved.count = histogram.count;
  return moved;
}

export function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((bound, i) => bound === b[i]);
}
