/**
 * Requests that fail authentication are counted, not stored: an audit entry per stranger would let
 * anyone fill the disk. Each costs a counter increment and, now and then, one warning in the log
 * naming the route and the reason label (never a header's value nor the refusal's message, which
 * may quote one).
 */
import type { Counter, Registry } from 'prom-client';
import { fallbackLogger } from '../log.js';
import { unauthenticatedCounter } from '../metrics/commands.js';
import type { AuthFailure } from './auth.js';

/** The write or read a stranger attempted: a bounded label. */
export type CommandRoute =
  'submit' | 'approve' | 'reject' | 'kill_switch' | 'retire' | 'audit_archive' | 'read';

/** At most one line per reason per this long; the lines between are counted in the next one. */
export const logEveryMs = 10_000;

export interface LogThrottle {
  /** When the last line for this reason was written. */
  lastMs: number;
  /** Attempts since then that wrote no line. */
  suppressed: number;
}

/**
 * Whether an attempt at `nowMs` writes a line, and the throttle after it (pure). The line says
 * how many were left out since the previous one.
 */
export function throttle(
  state: LogThrottle | undefined,
  nowMs: number,
  everyMs = logEveryMs,
): { log: boolean; suppressed: number; next: LogThrottle } {
  if (state === undefined || nowMs - state.lastMs >= everyMs) {
    return {
      log: true,
      suppressed: state?.suppressed ?? 0,
      next: { lastMs: nowMs, suppressed: 0 },
    };
  }
  return { log: false, suppressed: 0, next: { ...state, suppressed: state.suppressed + 1 } };
}

export interface UnauthenticatedOptions {
  now?: () => number;
  log?: (line: string) => void;
}

export class UnauthenticatedAttempts {
  private readonly counter: Counter<'route' | 'reason'>;
  private readonly throttles = new Map<AuthFailure, LogThrottle>();
  private readonly now: () => number;
  private readonly log: (line: string) => void;

  constructor(registry: Registry, options: UnauthenticatedOptions = {}) {
    this.now = options.now ?? Date.now;
    this.log = options.log ?? ((line) => fallbackLogger().warn(line));
    this.counter = unauthenticatedCounter(registry);
  }

  count(route: CommandRoute, reason: AuthFailure): void {
    this.counter.inc({ route, reason });
    const step = throttle(this.throttles.get(reason), this.now());
    this.throttles.set(reason, step.next);
    if (!step.log) return;
    const more = step.suppressed > 0 ? ` (and ${step.suppressed} more since the last line)` : '';
    this.log(
      `twinops commands: refused an unauthenticated ${route} request: ${reason}${more}; not audited`,
    );
  }
}
