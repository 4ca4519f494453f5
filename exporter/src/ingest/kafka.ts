import { Kafka, logLevel, type Consumer, type EachBatchPayload } from 'kafkajs';
import type { KafkaIngestConfig, KafkaTopicConfig } from '../config/types.js';
import { kafkaConnection } from './kafka-connection.js';
import { OtlpDecodeError } from './otlp/decode.js';
import type { Ingest } from './pipeline.js';
import type { IngestTelemetry } from './telemetry.js';

/** `topic:partition` → the next offset to apply (one past the last applied message). */
export type Offsets = Record<string, string>;

const partitionKey = (topic: string, partition: number): string => `${topic}:${partition}`;

export interface KafkaIngestOptions {
  config: KafkaIngestConfig;
  ingest: Ingest;
  telemetry: IngestTelemetry;
  /** Offsets already reflected in the restored state: messages before them are not applied again. */
  restoredOffsets?: Offsets;
  /**
   * True when the caller persists state with offsets and commits them itself after each save
   * (exactly-once effect across crashes); false commits right after each applied batch.
   */
  commitAfterPersist: boolean;
}

/**
 * Consumes OTLP from Kafka topics in a consumer group. Each message is applied once: the applied
 * offsets are kept next to the twin state, a redelivered message below them is skipped, and the
 * group's committed offsets never run ahead of what a restart could restore.
 */
export class KafkaIngest {
  private readonly kafka: Kafka;
  private readonly consumer: Consumer;
  private readonly topics: Map<string, KafkaTopicConfig>;
  private readonly applied = new Map<string, bigint>();
  private running = false;
  private batchesInHand = 0;

  constructor(private readonly options: KafkaIngestOptions) {
    const { config } = options;
    this.kafka = new Kafka({
      ...kafkaConnection(config),
      clientId: config.clientId,
      logLevel: logLevel.ERROR,
    });
    // A short session: a crashed replica's partitions move to the others within seconds.
    this.consumer = this.kafka.consumer({
      groupId: config.groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    });
    this.topics = new Map(config.topics.map((topic) => [topic.name, topic]));
    for (const [key, offset] of Object.entries(options.restoredOffsets ?? {})) {
      this.applied.set(key, BigInt(offset));
    }
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
  }

  isRunning(): boolean {
    return this.running;
  }

  /** The next offset to apply per partition: what a snapshot must store with the state. */
  offsets(): Offsets {
    return Object.fromEntries([...this.applied].map(([key, offset]) => [key, offset.toString()]));
  }

  /** Commits offsets to the group (after they were persisted with the state they belong to). */
  async commit(offsets: Offsets): Promise<void> {
    const list = Object.entries(offsets).map(([key, offset]) => {
      const at = key.lastIndexOf(':');
      return { topic: key.slice(0, at), partition: Number(key.slice(at + 1)), offset };
    });
    if (list.length) await this.consumer.commitOffsets(list);
  }

  /**
   * Stops fetching and waits for the batch in hand. The consumer keeps running (kafkajs ignores
   * commits from a stopped consumer), so the final offsets can still be committed.
   */
  async pause(): Promise<void> {
    this.consumer.pause([...this.topics.keys()].map((topic) => ({ topic })));
    while (this.batchesInHand > 0) await new Promise((resolveSoon) => setTimeout(resolveSoon, 10));
  }

  async stop(): Promise<void> {
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
    const key = partitionKey(batch.topic, batch.partition);
    const { telemetry, ingest } = this.options;
    telemetry.queueDepth.inc({ transport: 'kafka' });
    this.batchesInHand += 1;
    const receivedMs = Date.now();
    try {
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) break;
        const offset = BigInt(message.offset);
        const next = this.applied.get(key);
        if (next === undefined || offset >= next) {
          const body = message.value ?? new Uint8Array();
          telemetry.bytes.inc({ transport: 'kafka', signal: topic.signal }, body.length);
          try {
            ingest('kafka', topic.signal, topic.encoding, body, receivedMs);
          } catch (error) {
            // A malformed message is counted and skipped: it must never stall the partition.
            if (!(error instanceof OtlpDecodeError)) throw error;
            telemetry.refused.inc({ transport: 'kafka', reason: 'malformed' });
          }
          this.applied.set(key, offset + 1n);
        }
        resolveOffset(message.offset);
      }
      const next = this.applied.get(key);
      if (next !== undefined) {
        const lag = BigInt(batch.highWatermark) - next;
        telemetry.kafkaLag.set(
          { topic: batch.topic, partition: String(batch.partition) },
          Number(lag > 0n ? lag : 0n),
        );
        if (!this.options.commitAfterPersist) await this.commit({ [key]: next.toString() });
      }
      await heartbeat();
    } finally {
      this.batchesInHand -= 1;
      telemetry.queueDepth.dec({ transport: 'kafka' });
    }
  }
}
