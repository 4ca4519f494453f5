/**
 * Sync latency (M1): how long an observation took from its source to the exporter.
 * A source clock ahead of ours makes it negative; that is clock skew, counted and clamped to zero
 * so one bad clock cannot drag the histogram's sum below reality.
 */

/** Receipt time − source time, in seconds, never below zero. */
export function syncLatencySeconds(receivedMs: number, sourceTimeMs: number): number {
  const seconds = (receivedMs - sourceTimeMs) / 1000;
  return seconds > 0 ? seconds : 0;
}

/** True when the source claims to have observed the point after we received it. */
export function isClockSkewed(receivedMs: number, sourceTimeMs: number): boolean {
  return receivedMs < sourceTimeMs;
}
