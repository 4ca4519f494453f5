/**
 * The dispatcher: sends what the ledger's outbox holds to the devices, then marks it dispatched.
 * At least once: a crash between the send and the mark sends it again after the restart, and
 * devices de-duplicate by command id. Its state (what is on the wire) is its own; the rest is
 * injected.
 */
import { SpanKind, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import type { CommandsConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import type { CommandMetrics } from '../metrics/commands.js';
import { continueTrace, traceparentOf } from '../tracing.js';
import { coveredByKillSwitch, engagedKillSwitches, lookupCommand } from './guards/index.js';
import type { CommandLedger, CommandRecord } from './ledger/ledger.js';
import type { CommandMessage, DeviceTransport } from './transport.js';

/** Commands per send, and sends on the wire at once. */
const dispatchBatch = 100;
const maxConcurrentSends = 4;

export interface DispatcherOptions {
  catalog: CommandsConfig['catalog'];
  ledger: CommandLedger;
  transport: DeviceTransport;
  metrics: Pick<CommandMetrics, 'dispatchFailures'>;
  tracer: Tracer;
  log: Logger;
  now: () => number;
}

export class Dispatcher {
  /** Sends on the wire, and the ids of the commands they carry. */
  private readonly sends = new Set<Promise<void>>();
  private readonly sending = new Set<string>();
  private stopped = false;

  constructor(private readonly options: DispatcherOptions) {}

  /**
   * Sends what the outbox holds, in batches, several on the wire at once so a new command need not
   * wait behind a slow send. A command is in at most one send of this process at a time; per-asset
   * order needs nothing more, as the conflict guard never lets one asset have two in flight.
   * Resolves when the sends in progress have settled.
   */
  drain(): Promise<void> {
    const { ledger } = this.options;
    const engaged = engagedKillSwitches(ledger.killSwitches());
    while (!this.stopped && this.sends.size < maxConcurrentSends) {
      // Ids first: the outbox also holds what is on the wire, and reading a record costs.
      const batch = ledger
        .pendingIds(this.sending.size + 4 * dispatchBatch)
        .filter((id) => !this.sending.has(id))
        .slice(0, dispatchBatch)
        .map((id) => ledger.get(id))
        .filter(
          // While a kill switch covers a command it stays in the outbox; the follower times it out.
          (record): record is CommandRecord =>
            record !== undefined && !coveredByKillSwitch(engaged, record.assetClass),
        );
      if (batch.length === 0) break;
      for (const record of batch) this.sending.add(record.id);
      const send: Promise<void> = this.dispatch(batch)
        .then(
          () => true,
          (error: Error) => {
            this.options.metrics.dispatchFailures.inc();
            this.options.log.warn({ err: error }, 'dispatch failed, will retry');
            return false;
          },
        )
        .then((sent) => {
          for (const record of batch) this.sending.delete(record.id);
          this.sends.delete(send);
          // What queued up meanwhile goes now; after a failure the next drain retries.
          if (sent) void this.drain();
        });
      this.sends.add(send);
    }
    return Promise.all(this.sends).then(() => undefined);
  }

  /** Sends nothing new, and resolves when the sends on the wire have settled. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.sends);
  }

  /**
   * Sends a batch, each command in a PRODUCER span of its own trace: the traceparent a device
   * receives is that span's, so the device's spans join the command's trace (a resend after a
   * crash is a span of its own, in the same trace).
   */
  private async dispatch(records: readonly CommandRecord[]): Promise<void> {
    const { catalog, ledger, transport, tracer, now } = this.options;
    const issuedAtMs = now();
    const spans = records.map((record) =>
      tracer.startSpan(
        'command.dispatch',
        {
          kind: SpanKind.PRODUCER,
          attributes: { 'twin.command.id': record.id, 'twin.asset.id': record.assetId },
        },
        continueTrace(record.traceparent),
      ),
    );
    const messages = records.map((record, i): CommandMessage => {
      const spec = record.assetClass
        ? lookupCommand(catalog, record.assetClass, record.name)
        : undefined;
      return {
        commandId: record.id,
        assetId: record.assetId,
        assetClass: record.assetClass ?? '',
        name: record.name,
        property: spec?.sets.property ?? '',
        value: spec ? record.params[spec.sets.param] : undefined,
        params: record.params,
        issuedAtMs,
        traceparent: traceparentOf(spans[i] as Span),
      };
    });
    try {
      await transport.send(messages);
    } catch (error) {
      for (const span of spans)
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      for (const span of spans) span.end();
    }
    // A crash right here sends these again on restart: devices de-duplicate by command id.
    ledger.markAllDispatched(
      records.map((record) => record.id),
      now(),
    );
  }
}
