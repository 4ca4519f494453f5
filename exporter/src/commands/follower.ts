/**
 * The follower: what happens to a command once it is sent. It records the devices' acks, times out
 * what is never acked (or never sent), and judges from the twin's telemetry whether the asset
 * really changed; each outcome is counted and closes the command's trace. Everything it needs is
 * injected.
 */
import { SpanKind, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import type { CommandsConfig, DivergenceConfig } from '../config/types.js';
import type { CommandMetrics } from '../metrics/commands.js';
import type { PropertyValue } from '../model.js';
import { resolveDivergenceRule, toleranceFor, withinTolerance } from '../sli/divergence.js';
import { continueTrace, exemplarOf } from '../tracing.js';
import type { TwinEngine } from '../twin/engine.js';
import { lookupCommand } from './guards/index.js';
import type { CommandLedger, CommandRecord } from './ledger/ledger.js';
import type { CommandAck, Outcome } from './model.js';

export interface FollowerOptions {
  config: Pick<CommandsConfig, 'catalog' | 'ackTimeoutMs' | 'convergenceTimeoutMs'>;
  divergence: DivergenceConfig;
  ledger: CommandLedger;
  engine: TwinEngine;
  metrics: Pick<CommandMetrics, 'ackSeconds' | 'convergenceSeconds' | 'outcomes' | 'outbox'>;
  tracer: Tracer;
  now: () => number;
}

export class Follower {
  constructor(private readonly options: FollowerOptions) {}

  /** An ack, as a CONSUMER span of its command's trace: also when it comes after a restart. */
  onAck(ack: CommandAck): void {
    const { ledger, metrics, tracer, now } = this.options;
    // `accepted` then `done` are two acks of one command: the histogram times the first only.
    const firstAck = ledger.get(ack.commandId)?.ackedAtMs === undefined;
    const record = ledger.recordAck(ack, now());
    if (!record) return;
    const span = tracer.startSpan(
      'command.ack',
      {
        kind: SpanKind.CONSUMER,
        attributes: { 'twin.command.id': record.id, 'twin.command.ack.status': ack.status },
      },
      continueTrace(record.traceparent),
    );
    span.end();
    if (firstAck && record.dispatchedAtMs !== undefined && record.ackedAtMs !== undefined) {
      metrics.ackSeconds.observe({
        labels: { asset_class: record.assetClass ?? '' },
        value: (record.ackedAtMs - record.dispatchedAtMs) / 1000,
        exemplarLabels: exemplarOf(span),
      });
    }
    if (record.outcome) this.countOutcome(record, record.outcome, ack.message ?? '');
  }

  /** Timeouts, and whether acked commands really changed the asset. */
  tick(): void {
    const { ledger, engine, config } = this.options;
    const nowMs = this.options.now();
    // Accepted but never sent (a kill switch held it, or the devices were unreachable): once past
    // the ack timeout it times out, and its outbox row goes, so it is never sent stale.
    for (const record of ledger.pendingAcceptedBefore(nowMs - config.ackTimeoutMs, 1000)) {
      const why = 'never dispatched: a kill switch held it, or the devices were unreachable';
      this.finish(record, 'timed_out', why, nowMs);
    }
    for (const record of ledger.dueForFollowUp(nowMs - config.ackTimeoutMs)) {
      if (
        record.status === 'dispatched' &&
        nowMs - (record.dispatchedAtMs ?? nowMs) > config.ackTimeoutMs
      ) {
        this.finish(record, 'timed_out', `no ack within ${config.ackTimeoutMs / 1000} s`, nowMs);
        continue;
      }
      if (record.status !== 'acked' || !record.assetClass) continue;
      const spec = lookupCommand(config.catalog, record.assetClass, record.name);
      if (!spec) continue;
      const commanded = record.params[spec.sets.param];
      const reported = engine
        .asset(record.assetId, nowMs)
        ?.properties.find((p) => p.property === spec.sets.property)?.physical;
      const since = record.dispatchedAtMs ?? record.submittedAtMs;
      if (
        reported &&
        reported.sourceTimeMs >= since &&
        typeof commanded !== 'object' &&
        this.matches(
          record.assetClass,
          spec.sets.property,
          reported.value,
          commanded as PropertyValue,
        )
      ) {
        this.finish(
          record,
          'applied',
          `${spec.sets.property} reported ${String(reported.value)}`,
          nowMs,
          Math.max(0, reported.sourceTimeMs - since) / 1000,
        );
      } else if (
        record.doneAtMs === undefined &&
        nowMs - (record.dispatchedAtMs ?? nowMs) > config.ackTimeoutMs
      ) {
        // The device took it (`accepted`) but never said it was done: it stalled or died.
        const why = `accepted, but not done within ${config.ackTimeoutMs / 1000} s`;
        this.finish(record, 'timed_out', why, nowMs);
      } else if (
        record.doneAtMs !== undefined &&
        nowMs - record.doneAtMs > config.convergenceTimeoutMs
      ) {
        // Convergence is judged from `done`: a slow device is not blamed for its own pace.
        // No telemetry of the property at all: the device's word is all there is.
        const outcome: Outcome = reported ? 'diverged_after_ack' : 'acked';
        const detail = reported
          ? `${spec.sets.property} still reports ${String(reported.value)}, commanded ${String(commanded)}`
          : `no ${spec.sets.property} telemetry to confirm it`;
        this.finish(record, outcome, detail, nowMs);
      }
    }
    this.options.metrics.outbox.set(ledger.outboxSize());
  }

  private matches(
    assetClass: string,
    property: string,
    reported: PropertyValue,
    commanded: PropertyValue,
  ): boolean {
    const { divergence } = this.options;
    const rule = resolveDivergenceRule(divergence, assetClass, property);
    return withinTolerance(
      toleranceFor(rule.tolerance, divergence.defaultTolerance, reported, commanded),
      reported,
      commanded,
    );
  }

  /** Records the outcome (the first one wins); `convergedSeconds` when it is `applied`. */
  private finish(
    record: CommandRecord,
    outcome: Outcome,
    message: string,
    nowMs: number,
    convergedSeconds?: number,
  ): void {
    if (!this.options.ledger.recordOutcome(record.id, outcome, message, nowMs)) return;
    const span = this.countOutcome(record, outcome, message);
    if (convergedSeconds !== undefined) {
      this.options.metrics.convergenceSeconds.observe({
        labels: { asset_class: record.assetClass ?? '' },
        value: convergedSeconds,
        exemplarLabels: exemplarOf(span),
      });
    }
  }

  /**
   * Counts an outcome, and closes the command's trace with a span from its dispatch (or its
   * submission) to now, whose exemplar leads from the outcome counter to the whole trace.
   */
  private countOutcome(record: CommandRecord, outcome: Outcome, message: string): Span {
    const started = record.dispatchedAtMs ?? record.submittedAtMs;
    const span = this.options.tracer.startSpan(
      'command.outcome',
      {
        startTime: new Date(started),
        attributes: { 'twin.command.id': record.id, 'twin.command.outcome': outcome },
      },
      continueTrace(record.traceparent),
    );
    if (outcome !== 'applied' && outcome !== 'acked') {
      span.setStatus({ code: SpanStatusCode.ERROR, message });
    }
    // Dates, not numbers: the SDK reads a number before the process started as a monotonic time.
    span.end(new Date(Math.max(this.options.now(), started)));
    this.options.metrics.outcomes.inc({
      labels: { asset_class: record.assetClass ?? '', command: record.name, outcome },
      value: 1,
      exemplarLabels: exemplarOf(span),
    });
    return span;
  }
}
