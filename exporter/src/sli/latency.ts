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

/**
 * True when the source certainly observed the point after we received it. Receipt time is whole
 * milliseconds (`Date.now()` truncates), so the true receipt instant lies in
 * [receivedMs, receivedMs + 1): a source time inside that millisecond may well be earlier than it.
 */
export function isClockSkewed(receivedMs: number, sourceTimeMs: number): boolean {
  return sourceTimeMs >= receivedMs + 1;
}
