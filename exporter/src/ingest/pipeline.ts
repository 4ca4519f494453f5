import type { Encoding, NormalizedBatch, Signal } from '../model.js';

/** `topic:partition` → the next offset to apply (one past the last applied message). */
export type Offsets = Record<string, string>;

export const partitionKey = (topic: string, partition: number): string => `${topic}:${partition}`;

/** The Content-Encoding values the OTLP/HTTP receiver undoes. */
export type ContentEncoding = 'identity' | 'gzip' | 'deflate';

/** One OTLP/HTTP request, decompressed and not yet decoded. */
export interface OtlpRequest {
  signal: Signal;
  encoding: Encoding;
  /** The body as received, and how it was compressed (the journal keeps it so). */
  raw: Uint8Array;
  contentEncoding: ContentEncoding;
  /** The body decompressed. */
  body: Uint8Array;
  receivedMs: number;
}

export interface OtlpOutcome {
  /** The request's normalized points; undefined when it was a retry of one applied before. */
  batch: NormalizedBatch | undefined;
  /** Points refused by the state (over its limits), beyond the batch's own rejections. */
  rejectedByState: number;
  /** Every point rejected, for the answer's partial_success. */
  rejected: number;
  /** A byte-identical retry of a request already applied: answered again, not applied twice. */
  retry: boolean;
}

/** A Kafka message fetched and decoded (or found malformed: no batch). */
export interface KafkaMessageIn {
  offset: string;
  body: Uint8Array | undefined;
  batch: NormalizedBatch | undefined;
}

/** Consecutive messages of one partition. */
export interface KafkaBatchIn {
  topic: string;
  partition: number;
  signal: Signal;
  encoding: Encoding;
  receivedMs: number;
  messages: KafkaMessageIn[];
}

/** Thrown by a sink that could not take what it was given (its journal failed): nothing took effect. */
export class IngestUnavailableError extends Error {}

/**
 * Where ingest hands what it received: the durable twin. Ingest never imports the twin. Each
 * call resolves once what it carried is on disk and applied; a rejection means nothing of it
 * took effect (the caller answers 503 or lets Kafka deliver again).
 */
export interface IngestSink {
  /** Applies a request; `decode` is called only when it is not a retry (it may throw). */
  otlp(request: OtlpRequest, decode: () => NormalizedBatch): Promise<OtlpOutcome>;
  /**
   * Applies messages at or past the partition's applied offset (others were applied before).
   * Returns, per message, the points the state refused, or undefined where it was skipped.
   */
  kafka(batch: KafkaBatchIn): Promise<(number | undefined)[]>;
  /** The next offset to apply of a partition (undefined: none applied yet). */
  appliedOffset(topic: string, partition: number): bigint | undefined;
  /** The next offset to apply per partition. */
  appliedOffsets(): Offsets;
}
