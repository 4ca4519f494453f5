import { SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { Kafka, type Consumer, type EachBatchPayload } from 'kafkajs';
import type { KafkaIngestConfig, KafkaTopicConfig } from '../config/types.js';
import { fallbackLogger, kafkaLogging, type Logger } from '../log.js';
import { exemplarOf } from '../tracing.js';
import { kafkaConnection } from '../kafka/connection.js';
import { OtlpLimitError, type RequestBounds } from './otlp/bounds.js';
import { OtlpDecodeError } from './otlp/decode.js';
import { decodeAndNormalize } from './otlp/normalize.js';
import type { IngestSink, KafkaMessageIn, Offsets } from './pipeline.js';
import type { IngestTelemetry } from '../metrics/ingest.js';

export type { Offsets } from './pipeline.js';

export interface KafkaIngestOptions {
  config: KafkaIngestConfig;
  sink: IngestSink;
  telemetry: IngestTelemetry;
  /** What one message may hold, as for an OTLP/HTTP request; a message over it is skipped. */
  bounds: RequestBounds;
  /** How often applied offsets are committed to the group (they are a hint: the twin keeps its own). */
  commitEveryMs?: number;
  /** Where kafkajs's own logs go. */
  logger?: Logger;
  /** A CONSUMER span for every batch applied (see tracing.ts). */
  tracer?: Tracer;
}

/**
 * Consumes OTLP from Kafka topics in a consumer group. Each message is applied once: the sink
 * journals a batch with its offsets before applying it, a redelivered message below the applied
 * offset is skipped, and the group's committed offsets (committed now and then, and at stop) never
 * run ahead of what the twin has on disk.
 */
export class KafkaIngest {
  private readonly kafka: Kafka;
  private readonly consumer: Consumer;
  private readonly topics: Map<string, KafkaTopicConfig>;
  private readonly committed = new Map<string, string>();
  private commitTimer: NodeJS.Timeout | undefined;
  private running = false;
  private batchesInHand = 0;

  constructor(private readonly options: KafkaIngestOptions) {
    const { config } = options;
    this.kafka = new Kafka({
      ...kafkaConnection(config),
      clientId: config.clientId,
      ...kafkaLogging(options.logger ?? fallbackLogger()),
    });
    // A short session (10 s by default): a crashed replica's partitions move within seconds.
    this.consumer = this.kafka.consumer({
      groupId: config.groupId,
      sessionTimeout: config.sessionTimeoutMs,
      heartbeatInterval: Math.min(1_000, config.sessionTimeoutMs / 3),
    });
    this.topics = new Map(config.topics.map((topic) => [topic.name, topic]));
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.topics.keys()], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.applyBatch(payload),
    });
    this.running = true;
    this.commitTimer = setInterval(() => {
      this.commit().catch(() => {
        // A hint only: the next round commits again.
      });
    }, this.options.commitEveryMs ?? 1_000);
    this.commitTimer.unref();
  }

  isRunning(): boolean {
    return this.running;
  }

  /** Commits the applied offsets that moved since the last commit. */
  async commit(): Promise<void> {
    const offsets: Offsets = this.options.sink.appliedOffsets();
    const list = Object.entries(offsets)
      .filter(
        ([key, offset]) => this.committed.get(key) !== offset && this.topics.has(topicOf(key)),
      )
      .map(([key, offset]) => ({ topic: topicOf(key), partition: partitionOf(key), offset }));
    if (list.length === 0) return;
    await this.consumer.commitOffsets(list);
    for (const { topic, partition, offset } of list)
      this.committed.set(`${topic}:${partition}`, offset);
  }

  /**
   * Stops fetching and waits for the batches in hand, then commits. The consumer keeps running
   * (kafkajs ignores commits from a stopped consumer) until `stop`.
   */
  async pause(): Promise<void> {
    clearInterval(this.commitTimer);
    this.consumer.pause([...this.topics.keys()].map((topic) => ({ topic })));
    while (this.batchesInHand > 0) await new Promise((resolveSoon) => setTimeout(resolveSoon, 10));
    await this.commit();
  }

  async stop(): Promise<void> {
    clearInterval(this.commitTimer);
    this.running = false;
    await this.consumer.disconnect();
  }

  private async applyBatch({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    const topic = this.topics.get(batch.topic);
    if (!topic) return;
    const { telemetry, sink, tracer } = this.options;
    telemetry.queueDepth.inc({ transport: 'kafka' });
    this.batchesInHand += 1;
    const receivedMs = Date.now();
    const span = tracer?.startSpan(`process ${batch.topic}`, {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': batch.topic,
        'messaging.destination.partition.id': String(batch.partition),
        'messaging.batch.message_count': batch.messages.length,
      },
    });
    try {
      const applied = sink.appliedOffset(batch.topic, batch.partition);
      const messages: KafkaMessageIn[] = [];
      const skipped: string[] = [];
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) break;
        if (applied !== undefined && BigInt(message.offset) < applied) {
          skipped.push(message.offset);
          continue;
        }
        const body = message.value ?? new Uint8Array();
        telemetry.bytes.inc({ transport: 'kafka', signal: topic.signal }, body.length);
        try {
          const decoded = decodeAndNormalize(
            topic.signal,
            topic.encoding,
            body,
            this.options.bounds,
          );
          messages.push({ offset: message.offset, body, batch: decoded });
        } catch (error) {
          // A malformed message is counted and skipped: it must never stall the partition.
          if (!(error instanceof OtlpDecodeError)) throw error;
          const reason = error instanceof OtlpLimitError ? 'too_large' : 'malformed';
          telemetry.refused.inc({ transport: 'kafka', reason });
          messages.push({ offset: message.offset, body: undefined, batch: undefined });
        }
      }
      if (messages.length > 0) {
        const refused = await sink.kafka({
          topic: batch.topic,
          partition: batch.partition,
          signal: topic.signal,
          encoding: topic.encoding,
          receivedMs,
          messages,
        });
        let points = 0;
        messages.forEach((message, i) => {
          const rejectedByState = refused[i];
          if (message.batch && rejectedByState !== undefined) {
            telemetry.count('kafka', topic.signal, message.batch, rejectedByState);
            telemetry.traced(message.batch.points, receivedMs, exemplarOf(span));
            points += message.batch.points.length - rejectedByState;
          }
        });
        span?.setAttribute('twin.ingest.points', points);
      }
      // Resolved only now that the twin has them on disk.
      for (const offset of skipped) resolveOffset(offset);
      for (const message of messages) resolveOffset(message.offset);
      const next = sink.appliedOffset(batch.topic, batch.partition);
      if (next !== undefined) {
        const lag = BigInt(batch.highWatermark) - next;
        telemetry.kafkaLag.set(
          { topic: batch.topic, partition: String(batch.partition) },
          Number(lag > 0n ? lag : 0n),
        );
      }
      await heartbeat();
    } catch (error) {
      span?.recordException(error as Error);
      span?.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span?.end();
      this.batchesInHand -= 1;
      telemetry.queueDepth.dec({ transport: 'kafka' });
    }
  }
}

const topicOf = (key: string): string => key.slice(0, key.lastIndexOf(':'));
const partitionOf = (key: string): number => Number(key.slice(key.lastIndexOf(':') + 1));
