/**
 * The command gateway's metrics (prom-client): submissions and refusals, outcomes and the ack and
 * convergence times of dispatched commands, the kill switch, the outbox and the audit chain.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type CommandMetrics = ReturnType<typeof commandMetrics>;

export function commandMetrics(registry: Registry) {
  const registers = [registry];
  // Exemplars (the command's trace) are rendered in OpenMetrics only (see api/openmetrics.ts).
  // prom-client refuses them on a Prometheus-type registry when a metric is constructed, so these
  // are registered once made. Their label names are `string`: prom-client would type the
  // exemplar's labels (trace_id, span_id) as the metric's own.
  const traced = <T extends Counter<string> | Histogram<string>>(metric: T): T => {
    registry.registerMetric(metric);
    return metric;
  };
  return {
    attempts: new Counter({
      name: 'twin_command_attempts_total',
      help: 'Command submissions by decision.',
      labelNames: ['decision'],
      registers,
    }),
    refusals: new Counter({
      name: 'twin_command_refusals_total',
      help: 'Refused submissions by the first guard that refused and its reason code.',
      labelNames: ['guard', 'code'],
      registers,
    }),
    outcomes: traced(
      new Counter<string>({
        name: 'twin_command_outcomes_total',
        help: 'Final outcomes of dispatched commands (the actuation success SLI).',
        labelNames: ['asset_class', 'command', 'outcome'],
        enableExemplars: true,
        registers: [],
      }),
    ),
    ackSeconds: traced(
      new Histogram<string>({
        name: 'twin_command_ack_seconds',
        help: 'Dispatch to first ack.',
        labelNames: ['asset_class'],
        buckets: [0.1, 0.5, 1, 5, 10, 30, 60],
        enableExemplars: true,
        registers: [],
      }),
    ),
    convergenceSeconds: traced(
      new Histogram<string>({
        name: 'twin_command_convergence_seconds',
        help: 'Dispatch to the reported state matching the command.',
        labelNames: ['asset_class'],
        buckets: [0.5, 1, 5, 10, 30, 60, 300],
        enableExemplars: true,
        registers: [],
      }),
    ),
    killSwitch: new Gauge({
      name: 'twin_command_kill_switch_engaged',
      help: '1 while a kill switch is engaged, by scope (global or an asset class).',
      labelNames: ['scope'],
      registers,
    }),
    outbox: new Gauge({
      name: 'twin_command_outbox_depth',
      help: 'Accepted commands not yet dispatched.',
      registers,
    }),
    auditValid: new Gauge({
      name: 'twin_command_audit_chain_valid',
      help: '1 when the last verification of the audit chain passed, 0 when a row was edited or removed.',
      registers,
    }),
    auditVerified: new Gauge({
      name: 'twin_command_audit_chain_verified_timestamp_seconds',
      help: 'When the audit chain was last verified.',
      registers,
    }),
    dispatchFailures: new Counter({
      name: 'twin_command_dispatch_failures_total',
      help: 'Failed attempts to hand commands to the devices (retried).',
      registers,
    }),
  };
}

/**
 * Requests refused because authentication failed, by route and reason: one counter per registry,
 * whoever counts into it (the command gateway, asset retirement).
 */
export function unauthenticatedCounter(registry: Registry): Counter<'route' | 'reason'> {
  const name = 'twin_command_unauthenticated_total';
  return (
    (registry.getSingleMetric(name) as Counter<'route' | 'reason'> | undefined) ??
    new Counter({
      name,
      help: 'Requests to the command API refused because authentication failed (not audited), by route and reason.',
      labelNames: ['route', 'reason'],
      registers: [registry],
    })
  );
}
