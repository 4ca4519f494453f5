/**
 * What changes the twin, as journal records. Applied in order to a checkpoint, they rebuild the
 * twin exactly as it was (the engine is deterministic): telemetry as it arrived (OTLP bodies as
 * received, Kafka messages with their offsets, points from the in-process device), each with the
 * time it was received; evaluation slices with the time they ran; retirements; and a change of
 * configuration at a restart.
 */
import { ByteReader, ByteWriter, CorruptRecordError } from '../bytes.js';
import type { ContentEncoding } from '../ingest/pipeline.js';
import type { Encoding, Signal, Source, TwinPoint } from '../model.js';
import type { TwinEngineConfig } from '../twin/engine.js';

/** An OTLP/HTTP request, as received (still compressed). */
export interface OtlpEvent {
  kind: 'otlp';
  receivedMs: number;
  signal: Signal;
  encoding: Encoding;
  contentEncoding: ContentEncoding;
  /** Digest of the decompressed body: a byte-identical retry is recognised by it. */
  digest: Uint8Array;
  body: Uint8Array;
}

/** Messages of one Kafka partition, consecutive in what was fetched. */
export interface KafkaEvent {
  kind: 'kafka';
  receivedMs: number;
  topic: string;
  partition: number;
  signal: Signal;
  encoding: Encoding;
  /** A message that could not be decoded has no body: only its offset is consumed. */
  messages: { offset: string; body: Uint8Array | undefined }[];
}

/** Points made in process (the embedded default's simulated device). */
export interface PointsEvent {
  kind: 'points';
  receivedMs: number;
  points: TwinPoint[];
}

/** The next `count` assets of the evaluation pass, judged at `nowMs`. */
export interface EvaluateEvent {
  kind: 'evaluate';
  nowMs: number;
  count: number;
}

export interface RetireEvent {
  kind: 'retire';
  ids: string[];
}

/** The configuration in force from here on (written when a restart brings a different one). */
export interface ConfigureEvent {
  kind: 'configure';
  config: TwinEngineConfig;
}

export type TwinEvent =
  OtlpEvent | KafkaEvent | PointsEvent | EvaluateEvent | RetireEvent | ConfigureEvent;

const kinds = ['otlp', 'kafka', 'points', 'evaluate', 'retire', 'configure'] as const;
const signals: readonly Signal[] = ['metrics', 'logs'];
const encodings: readonly Encoding[] = ['otlp_proto', 'otlp_json'];
const contentEncodings: readonly ContentEncoding[] = ['identity', 'gzip', 'deflate'];
const sources: readonly Source[] = ['physical', 'twin', 'model'];

function indexIn<T>(list: readonly T[], value: T): number {
  const i = list.indexOf(value);
  if (i < 0) throw new Error(`cannot journal ${String(value)}`);
  return i;
}

function pick<T>(list: readonly T[], i: number, what: string): T {
  const value = list[i];
  if (value === undefined) throw new CorruptRecordError(`unknown ${what} ${i}`);
  return value;
}

export function encodeEvent(event: TwinEvent): Uint8Array {
  const out = new ByteWriter(event.kind === 'otlp' ? event.body.length + 64 : 256);
  out.u8(indexIn(kinds, event.kind));
  switch (event.kind) {
    case 'otlp':
      out.f64(event.receivedMs);
      out.u8(indexIn(signals, event.signal));
      out.u8(indexIn(encodings, event.encoding));
      out.u8(indexIn(contentEncodings, event.contentEncoding));
      out.bytes(event.digest);
      out.raw(event.body);
      break;
    case 'kafka':
      out.f64(event.receivedMs);
      out.string(event.topic);
      out.varuint(event.partition);
      out.u8(indexIn(signals, event.signal));
      out.u8(indexIn(encodings, event.encoding));
      out.varuint(event.messages.length);
      for (const message of event.messages) {
        out.string(message.offset);
        out.u8(message.body ? 1 : 0);
        if (message.body) out.bytes(message.body);
      }
      break;
    case 'points':
      out.f64(event.receivedMs);
      out.varuint(event.points.length);
      for (const point of event.points) writePoint(out, point);
      break;
    case 'evaluate':
      out.f64(event.nowMs);
      out.f64(event.count);
      break;
    case 'retire':
      out.varuint(event.ids.length);
      for (const id of event.ids) out.string(id);
      break;
    case 'configure':
      out.string(JSON.stringify(event.config));
      break;
  }
  return out.copy();
}

/** The event `encodeEvent` wrote; byte fields are views into `record`. */
export function decodeEvent(record: Uint8Array): TwinEvent {
  const input = new ByteReader(record);
  const kind = pick(kinds, input.u8(), 'event kind');
  switch (kind) {
    case 'otlp':
      return {
        kind,
        receivedMs: input.f64(),
        signal: pick(signals, input.u8(), 'signal'),
        encoding: pick(encodings, input.u8(), 'encoding'),
        contentEncoding: pick(contentEncodings, input.u8(), 'content encoding'),
        digest: input.bytes(),
        body: input.rest(),
      };
    case 'kafka': {
      const event: KafkaEvent = {
        kind,
        receivedMs: input.f64(),
        topic: input.string(),
        partition: input.varuint(),
        signal: pick(signals, input.u8(), 'signal'),
        encoding: pick(encodings, input.u8(), 'encoding'),
        messages: [],
      };
      const n = input.varuint();
      for (let i = 0; i < n; i++) {
        const offset = input.string();
        event.messages.push({ offset, body: input.u8() === 1 ? input.bytes() : undefined });
      }
      return event;
    }
    case 'points': {
      const receivedMs = input.f64();
      const n = input.varuint();
      const points: TwinPoint[] = [];
      for (let i = 0; i < n; i++) points.push(readPoint(input));
      return { kind, receivedMs, points };
    }
    case 'evaluate':
      return { kind, nowMs: input.f64(), count: input.f64() };
    case 'retire': {
      const n = input.varuint();
      const ids: string[] = [];
      for (let i = 0; i < n; i++) ids.push(input.string());
      return { kind, ids };
    }
    case 'configure':
      return { kind, config: JSON.parse(input.string()) as TwinEngineConfig };
  }
}

// Optional fields of a point.
const SITE = 1;
const MODEL = 2;
const TARGET = 4;
const DESIRED = 8;
const REPORTED = 16;

function writePoint(out: ByteWriter, point: TwinPoint): void {
  out.string(point.assetId);
  out.string(point.assetClass);
  out.u8(indexIn(sources, point.source));
  out.string(point.property);
  out.value(point.value);
  out.f64(point.sourceTimeMs);
  out.u8(
    (point.site !== undefined ? SITE : 0) |
      (point.model ? MODEL : 0) |
      (point.targetTimeMs !== undefined ? TARGET : 0) |
      (point.desiredVersion !== undefined ? DESIRED : 0) |
      (point.reportedVersion !== undefined ? REPORTED : 0),
  );
  if (point.site !== undefined) out.string(point.site);
  if (point.model) {
    out.string(point.model.name);
    out.string(point.model.version);
  }
  if (point.targetTimeMs !== undefined) out.f64(point.targetTimeMs);
  if (point.desiredVersion !== undefined) out.f64(point.desiredVersion);
  if (point.reportedVersion !== undefined) out.f64(point.reportedVersion);
}

function readPoint(input: ByteReader): TwinPoint {
  const assetId = input.string();
  const assetClass = input.string();
  const source = pick(sources, input.u8(), 'source');
  const property = input.string();
  const value = input.value();
  const sourceTimeMs = input.f64();
  const fields = input.u8();
  return {
    assetId,
    assetClass,
    source,
    property,
    value,
    sourceTimeMs,
    site: fields & SITE ? input.string() : undefined,
    model: fields & MODEL ? { name: input.string(), version: input.string() } : undefined,
    targetTimeMs: fields & TARGET ? input.f64() : undefined,
    desiredVersion: fields & DESIRED ? input.f64() : undefined,
    reportedVersion: fields & REPORTED ? input.f64() : undefined,
  };
}
