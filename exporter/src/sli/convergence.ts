/**
 * Convergence: how long the physical asset takes to reach a desired state. A change starts at the
 * source time of the point carrying a new `desiredVersion` and ends at the source time of the
 * first point carrying a `reportedVersion` ≥ it. Versions only move forward: older or repeated
 * versions (replays, out-of-order delivery) are ignored.
 */

export interface UnconvergedChange {
  version: number;
  sinceMs: number;
}

export interface VersionState {
  desiredVersion: number | undefined;
  desiredTimeMs: number | undefined;
  reportedVersion: number | undefined;
  reportedTimeMs: number | undefined;
  /** Desired versions not yet reported, in the order they were desired. */
  unconverged: UnconvergedChange[];
}

/** Changes tracked per asset; a burst beyond this folds into the newest one (see applyDesired). */
export const maxUnconvergedChanges = 16;

export function emptyVersionState(): VersionState {
  return {
    desiredVersion: undefined,
    desiredTimeMs: undefined,
    reportedVersion: undefined,
    reportedTimeMs: undefined,
    unconverged: [],
  };
}

function seconds(fromMs: number, toMs: number): number {
  return Math.max(0, (toMs - fromMs) / 1000);
}

/**
 * A point carried `desiredVersion`. Returns the convergence times (seconds) this completes: one
 * when the asset already reported a version ≥ it (the report overtook the desire in transit; a
 * report older than the desire counts as 0 s).
 */
export function applyDesired(state: VersionState, version: number, timeMs: number): number[] {
  if (state.desiredVersion !== undefined && version <= state.desiredVersion) return [];
  state.desiredVersion = version;
  state.desiredTimeMs = timeMs;
  if (state.reportedVersion !== undefined && state.reportedVersion >= version) {
    return [seconds(timeMs, state.reportedTimeMs as number)];
  }
  const newest = state.unconverged[state.unconverged.length - 1];
  if (newest && state.unconverged.length >= maxUnconvergedChanges) {
    // Keep memory bounded under a flood of desires: the newest change absorbs this one and keeps
    // its older start, so the measured time can only be longer, never flattering.
    newest.version = version;
  } else {
    state.unconverged.push({ version, sinceMs: timeMs });
  }
  return [];
}

/** A point carried `reportedVersion`. Returns the convergence times (seconds) it completes. */
export function applyReported(state: VersionState, version: number, timeMs: number): number[] {
  if (state.reportedVersion !== undefined && version <= state.reportedVersion) return [];
  state.reportedVersion = version;
  state.reportedTimeMs = timeMs;
  const completed: number[] = [];
  state.unconverged = state.unconverged.filter((change) => {
    if (change.version > version) return true;
    completed.push(seconds(change.sinceMs, timeMs));
    return false;
  });
  return completed;
}

/** Age (seconds) of the oldest change still waiting for its reported version; 0 when none. */
export function oldestUnconvergedAgeSeconds(state: VersionState, nowMs: number): number {
  let oldest = Infinity;
  for (const change of state.unconverged) oldest = Math.min(oldest, change.sinceMs);
  return oldest === Infinity ? 0 : seconds(oldest, nowMs);
}
