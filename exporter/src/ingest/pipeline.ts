import type { Encoding, NormalizedBatch, Signal, TwinPoint } from '../model.js';
import { decodeAndNormalize } from './otlp/normalize.js';
import type { IngestTelemetry, Transport } from './telemetry.js';

/** Where normalized points go: the twin engine. Returns how many points it refused. */
export interface PointSink {
  apply(points: readonly TwinPoint[], receivedMs: number): number;
}

export interface IngestResult {
  batch: NormalizedBatch;
  /** Points the state refused (over its limits), beyond the batch's own rejections. */
  rejectedByState: number;
}

/**
 * The one ingest path both transports share: decode and normalize a payload, apply its points
 * with the time it was received, count the outcome. Throws OtlpDecodeError for a malformed body.
 */
export function createIngest(sink: PointSink, telemetry: IngestTelemetry) {
  return (
    transport: Transport,
    signal: Signal,
    encoding: Encoding,
    body: Uint8Array,
    receivedMs: number,
  ): IngestResult => {
    const batch = decodeAndNormalize(signal, encoding, body);
    const rejectedByState = batch.points.length ? sink.apply(batch.points, receivedMs) : 0;
    telemetry.count(transport, signal, batch, rejectedByState);
    return { batch, rejectedByState };
  };
}

export type Ingest = ReturnType<typeof createIngest>;
