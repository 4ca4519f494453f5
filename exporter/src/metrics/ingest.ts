import { Counter, Gauge, type Registry } from 'prom-client';
import type { NormalizedBatch, Signal, TwinPoint } from '../model.js';
import type { SyncLatencyExemplars } from './exemplars.js';

export type Transport = 'otlp_http' | 'kafka';

/** Reasons a whole request or message is refused, beside the per-point reasons of NormalizedBatch. */
export type RefusalReason =
  | 'malformed'
  | 'too_large'
  | 'overloaded'
  | 'unsupported_media_type'
  | 'not_ready'
  | 'unavailable'
  | 'aborted'
  /** Headers or body too slow (timeouts, minimum body rate): 408, connection closed. */
  | 'slow_client'
  /** Over the per-client or total connection cap: closed at accept. */
  | 'too_many_connections'
  /** No or a wrong bearer token: 401. */
  | 'unauthenticated';

/**
 * The exporter's own ingest health: what came in, what was refused and why, how much is queued.
 * The SLI metrics themselves live in sli/.
 */
export class IngestTelemetry {
  readonly points: Counter<'transport' | 'signal'>;
  readonly rejectedPoints: Counter<'transport' | 'reason'>;
  readonly refused: Counter<'transport' | 'reason'>;
  readonly bytes: Counter<'transport' | 'signal'>;
  readonly retries: Counter<'transport' | 'signal'>;
  readonly queueDepth: Gauge<'transport'>;
  readonly kafkaLag: Gauge<'topic' | 'partition'>;

  constructor(
    registry: Registry,
    /** Where the traces of applied requests are kept for the sync-latency histogram. */
    private readonly latencyExemplars?: SyncLatencyExemplars,
  ) {
    const registers = [registry];
    this.points = new Counter({
      name: 'twin_exporter_ingest_points_total',
      help: 'Data points and log records accepted, by transport and signal.',
      labelNames: ['transport', 'signal'],
      registers,
    });
    this.rejectedPoints = new Counter({
      name: 'twin_exporter_ingest_rejected_points_total',
      help: 'Data points and log records rejected for breaking the telemetry conventions, by reason.',
      labelNames: ['transport', 'reason'],
      registers,
    });
    this.refused = new Counter({
      name: 'twin_exporter_ingest_refused_total',
      help: 'Whole requests, connections or Kafka messages refused (malformed, too large, overloaded, slow client, unauthenticated…), by reason.',
      labelNames: ['transport', 'reason'],
      registers,
    });
    this.bytes = new Counter({
      name: 'twin_exporter_ingest_bytes_total',
      help: 'Payload bytes received, as sent (before decompression).',
      labelNames: ['transport', 'signal'],
      registers,
    });
    this.retries = new Counter({
      name: 'twin_exporter_ingest_retried_requests_total',
      help: 'Byte-identical retries of requests already applied: answered again, not applied twice.',
      labelNames: ['transport', 'signal'],
      registers,
    });
    this.queueDepth = new Gauge({
      name: 'twin_exporter_ingest_queue_depth',
      help: 'Requests or Kafka batches received and not yet applied.',
      labelNames: ['transport'],
      registers,
    });
    this.kafkaLag = new Gauge({
      name: 'twin_exporter_kafka_consumer_lag',
      help: 'Messages behind the partition high watermark after the last applied batch.',
      labelNames: ['topic', 'partition'],
      registers,
    });
  }

  /** Links the sync-latency histogram to the trace that applied `points` (OpenMetrics exemplars). */
  traced(
    points: readonly TwinPoint[],
    receivedMs: number,
    exemplar: Readonly<Record<string, string>> | undefined,
  ): void {
    this.latencyExemplars?.observe(points, receivedMs, exemplar);
  }

  /** Counts a normalized batch: accepted points, and rejections by reason (state rejections too). */
  count(
    transport: Transport,
    signal: Signal,
    batch: NormalizedBatch,
    rejectedByState: number,
  ): void {
    const accepted = batch.points.length - rejectedByState;
    if (accepted > 0) this.points.inc({ transport, signal }, accepted);
    for (const [reason, n] of Object.entries(batch.rejected)) {
      if (n) this.rejectedPoints.inc({ transport, reason }, n);
    }
    if (rejectedByState > 0)
      this.rejectedPoints.inc({ transport, reason: 'over_limit' }, rejectedByState);
  }
}
