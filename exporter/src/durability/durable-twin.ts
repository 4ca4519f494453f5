/**
 * The durable twin: the engine behind a write-ahead journal and incremental checkpoints.
 *
 * Every change (telemetry, an evaluation slice, a retirement, a new configuration) is numbered,
 * journaled, and applied only once the journal has it on disk; then its caller is answered. So
 * anything ever served (an OTLP 200, a scrape of a counter, an API read, a Kafka commit) is on
 * disk, and a restart rebuilds it exactly: the last checkpoint, then the journal after it, applied
 * in order by the same deterministic engine. Counters never go backwards and nothing acknowledged
 * is lost. Checkpoints (checkpointer.ts) write only what changed, and let the journal be trimmed.
 */
import { createHash } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { gunzipSync, inflateSync } from 'node:zlib';
import type { Registry } from 'prom-client';
import type { CommandsConfig } from '../config/types.js';
import type {
  IngestSink,
  KafkaBatchIn,
  Offsets,
  OtlpOutcome,
  OtlpRequest,
} from '../ingest/pipeline.js';
import { IngestUnavailableError, partitionKey } from '../ingest/pipeline.js';
import { decodeAndNormalize } from '../ingest/otlp/normalize.js';
import { fallbackLogger, type Logger } from '../log.js';
import type { NormalizedBatch, TwinPoint } from '../model.js';
import {
  CheckpointReader,
  CheckpointWriter,
  checkpointAssets,
  type RecentRow,
} from '../store/checkpoints.js';
import { Journal, journalRecords, type JournalUnavailableError } from '../store/journal.js';
import { restoreEncodedAsset } from '../twin/codec.js';
import { snapshotFromChunks, TwinEngine, type TwinEngineConfig } from '../twin/engine.js';
import { catalogDeclarations, withDeclared } from '../twin/quarantine.js';
import { finishRestore, restoreAggregates, type AggregatesSnapshot } from '../twin/snapshot.js';
import { Checkpointer, type CheckpointResult } from './checkpointer.js';
import { decodeEvent, encodeEvent, type KafkaEvent, type TwinEvent } from './events.js';
import { RecentRequests } from './recent-requests.js';
import { durabilityMetrics, type DurabilityMetrics } from '../metrics/durability.js';

export interface DurableTwinOptions {
  /** The engine's configuration; with the exporter's, the command catalog declares names too. */
  config: TwinEngineConfig & { commands?: Pick<CommandsConfig, 'catalog'> };
  /** How long, and for how many requests, a byte-identical OTLP retry is recognised. */
  retries: { windowMs: number; maxRequests: number };
  /** Where the durability health metrics go (`twin_exporter_snapshot_*`, `_journal_*`). */
  registry?: Registry;
  logger?: Logger;
}

/** What a checkpoint keeps beside the twin: the Kafka positions and the recent OTLP requests. */
interface DurableExtras {
  kafkaOffsets: Offsets;
  /** Oldest first (a table of their own in the store, written as they come). */
  recent: RecentRow[];
}

/** The journal of a checkpoint file: beside it, `state.db` → `state-journal.db`. */
export function journalPathFor(checkpointPath: string): string {
  return checkpointPath.endsWith('.db')
    ? `${checkpointPath.slice(0, -3)}-journal.db`
    : `${checkpointPath}-journal`;
}

/** The parts of the configuration that change what the engine does (not where it is stored). */
function engineFingerprint(config: TwinEngineConfig): string {
  const { snapshot: _stored, ...state } = config.state;
  return stableJson({ state, sli: config.sli, metrics: config.metrics });
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The OTLP body a journaled request carried, decompressed. */
function decompress(event: { contentEncoding: string; body: Uint8Array }): Uint8Array {
  if (event.contentEncoding === 'gzip') return gunzipSync(event.body);
  if (event.contentEncoding === 'deflate') return inflateSync(event.body);
  return event.body;
}

/** A retry is recognised by the digest of what it carries, whatever its compression. */
function requestDigest(request: Pick<OtlpRequest, 'signal' | 'encoding' | 'body'>): Uint8Array {
  return createHash('sha256')
    .update(`${request.signal}\u0000${request.encoding}\u0000`)
    .update(request.body)
    .digest()
    .subarray(0, 16);
}

const digestKey = (digest: Uint8Array): string => Buffer.from(digest).toString('base64');

interface Waiting {
  seq: number;
  event: TwinEvent;
  /** What the live path decoded already (never journaled: replay decodes again). */
  decoded: unknown;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * A FIFO that lets go of each change as soon as it is applied: a change holds its request body and
 * decoded points, which must not linger (they would be promoted and cost the collector dearly).
 */
class WaitingQueue {
  private items: (Waiting | undefined)[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: Waiting): void {
    this.items.push(item);
  }

  /** The oldest change if it is numbered `seq` or less. */
  takeThrough(seq: number): Waiting | undefined {
    const next = this.items[this.head];
    if (!next || next.seq > seq) return undefined;
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return next;
  }

  takeAll(): Waiting[] {
    const all = this.items.slice(this.head) as Waiting[];
    this.items = [];
    this.head = 0;
    return all;
  }
}

/** Applying the changes a flush made durable holds the event loop this long at most. */
const applyBudgetMs = 3;

/** Slices of an evaluation pass aim at this long on the event loop. */
const evaluationSliceTargetMs = 3;

export class DurableTwin implements IngestSink {
  private engineNow: TwinEngine;
  private journal: Journal | undefined;
  private writer: CheckpointWriter | undefined;
  private checkpointer: Checkpointer | undefined;
  private readonly offsets = new Map<string, bigint>();
  private recent: RecentRequests;
  /** OTLP requests journaled and not yet applied, by digest: a retry meanwhile waits for them. */
  private readonly inFlight = new Map<string, Promise<OtlpOutcome>>();
  /** Changes journaled and not yet applied, in journal order. */
  private readonly waiting = new WaitingQueue();
  private lastSeq: number;
  /** The last record the journal has on disk; those up to it are applied in order. */
  private durableSeq: number;
  private drainScheduled = false;
  private appliedSeq: number;
  private checkpointSeq: number;
  private readonly metrics: DurabilityMetrics | undefined;
  private evaluationSlice = 5_000;
  private evaluating: Promise<void> | undefined;
  private checkpointing: Promise<void> | undefined;
  private timers: NodeJS.Timeout[] = [];
  private lastCheckpointResult: CheckpointResult | undefined;
  private closing = false;
  private readonly log: Logger;

  private constructor(
    private readonly options: DurableTwinOptions,
    restored: Restored,
  ) {
    this.engineNow = restored.engine;
    for (const [key, offset] of Object.entries(restored.extras.kafkaOffsets)) {
      this.offsets.set(key, BigInt(offset));
    }
    this.recent = RecentRequests.from(
      restored.extras.recent,
      options.retries.windowMs,
      options.retries.maxRequests,
    );
    this.lastSeq = restored.seq;
    this.durableSeq = restored.seq;
    this.appliedSeq = restored.seq;
    this.checkpointSeq = restored.seq;
    this.log = options.logger ?? fallbackLogger();
    this.metrics = options.registry ? durabilityMetrics(options.registry) : undefined;
  }

  /**
   * Opens the twin: restores the last checkpoint (or a whole snapshot of an earlier version),
   * replays the journal after it, and moves to `config` if it differs from the one in force.
   * Without a path (`state.snapshot.path` empty or ':memory:') nothing is kept: changes apply at
   * once.
   */
  static async open(given: DurableTwinOptions): Promise<DurableTwin> {
    // Only what the engine uses: the journal and the checkpoint store the configuration, and a
    // whole exporter configuration holds secrets (the proxy secret, the SASL password). The
    // command catalog's classes and properties are declared names (never quarantined).
    const { state, sli, metrics, commands } = given.config;
    const declared = withDeclared(state, catalogDeclarations(commands?.catalog ?? {}));
    const options = { ...given, config: { state: declared, sli, metrics } };
    const path = options.config.state.snapshot.path;
    if (path === '' || path === ':memory:') {
      return new DurableTwin(options, {
        engine: new TwinEngine(options.config),
        extras: { kafkaOffsets: {}, recent: [] },
        seq: 0,
        fresh: true,
        replaceAll: false,
      });
    }
    const started = performance.now();
    const restored = await restoreCheckpoint(path, options.config);
    const twin = new DurableTwin(options, restored);
    twin.writer = new CheckpointWriter(path);
    twin.checkpointer = new Checkpointer(
      twin.writer,
      {
        all: () => twin.engineNow.heldAssets(),
        holds: (asset) => twin.engineNow.holds(asset),
        history: () => twin.engineNow.historyStore,
      },
      { replaceAll: restored.replaceAll },
    );
    twin.engineNow.track(twin.checkpointer);
    const journalPath = journalPathFor(path);
    const replayed = twin.replay(journalPath);
    twin.journal = new Journal(
      journalPath,
      twin.lastSeq + 1,
      {
        durable: (seq) => twin.onDurable(seq),
        failed: (_seq, error, nextSeq) => twin.onJournalFailure(error, nextSeq),
      },
      (message) => twin.log.warn(message),
    );
    // Records the checkpoint holds may have outlived it in the journal (a crash before the trim).
    if (restored.seq > 0) twin.journal.truncateThrough(restored.seq);
    const inForce = engineFingerprint(twin.engineNow.config);
    if ((restored.fresh && replayed === 0) || inForce !== engineFingerprint(options.config)) {
      // Journaled like any change, so a replay switches configuration exactly here too.
      await twin.submit({ kind: 'configure', config: options.config });
    }
    twin.metrics?.replayed.set(replayed);
    twin.metrics?.restoreSeconds.set((performance.now() - started) / 1000);
    return twin;
  }

  /** Applies the journal after the checkpoint; returns how many records it held. */
  private replay(journalPath: string): number {
    let replayed = 0;
    for (const { seq, record } of journalRecords(journalPath, this.lastSeq)) {
      if (seq !== this.lastSeq + 1) {
        throw new Error(
          `the journal ${journalPath} lacks records ${this.lastSeq + 1} to ${seq - 1}: ` +
            'it does not belong with the checkpoint beside it',
        );
      }
      let event: TwinEvent;
      try {
        event = decodeEvent(record);
      } catch (error) {
        throw new Error(`journal record ${seq} in ${journalPath}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      this.apply(event, undefined);
      this.lastSeq = this.appliedSeq = this.durableSeq = seq;
      replayed++;
    }
    return replayed;
  }

  /** The engine (for reads; every change goes through this twin). */
  get engine(): TwinEngine {
    return this.engineNow;
  }

  get persistent(): boolean {
    return this.journal !== undefined;
  }

  // ---- changes ----

  async otlp(request: OtlpRequest, decode: () => NormalizedBatch): Promise<OtlpOutcome> {
    const digest = requestDigest(request);
    const key = digestKey(digest);
    const pending = this.inFlight.get(key);
    if (pending) return pending.then((outcome) => ({ ...outcome, batch: undefined, retry: true }));
    const known = this.recent.get(key);
    if (known) {
      return { batch: undefined, rejectedByState: 0, rejected: known.rejected, retry: true };
    }
    const batch = decode();
    const applied = this.submit<OtlpOutcome>(
      {
        kind: 'otlp',
        receivedMs: request.receivedMs,
        signal: request.signal,
        encoding: request.encoding,
        contentEncoding: request.contentEncoding,
        digest,
        body: request.raw,
      },
      batch,
    );
    this.inFlight.set(key, applied);
    try {
      return await applied;
    } finally {
      this.inFlight.delete(key);
    }
  }

  async kafka(batch: KafkaBatchIn): Promise<(number | undefined)[]> {
    return this.submit<(number | undefined)[]>(
      {
        kind: 'kafka',
        receivedMs: batch.receivedMs,
        topic: batch.topic,
        partition: batch.partition,
        signal: batch.signal,
        encoding: batch.encoding,
        messages: batch.messages.map(({ offset, body }) => ({ offset, body })),
      },
      batch.messages.map((m) => m.batch),
    );
  }

  appliedOffset(topic: string, partition: number): bigint | undefined {
    return this.offsets.get(partitionKey(topic, partition));
  }

  appliedOffsets(): Offsets {
    return Object.fromEntries([...this.offsets].map(([key, next]) => [key, next.toString()]));
  }

  /** Points made in process (the simulated device). Resolves with the points the state refused. */
  applyPoints(points: TwinPoint[], receivedMs: number): Promise<number> {
    return this.submit<number>({ kind: 'points', receivedMs, points });
  }

  /** Retires assets (see TwinEngine.retire); resolves with the ids that were held. */
  retire(ids: string[]): Promise<string[]> {
    return this.submit<string[]>({ kind: 'retire', ids });
  }

  /**
   * Journals an event and applies it once it is on disk, in journal order. Without persistence
   * it applies at once.
   */
  private submit<R>(event: TwinEvent, decoded?: unknown): Promise<R> {
    if (!this.journal) {
      try {
        return Promise.resolve(this.apply(event, decoded) as R);
      } catch (error) {
        return Promise.reject(error as Error);
      }
    }
    let record: Uint8Array;
    try {
      record = encodeEvent(event);
      this.journal.append(this.lastSeq + 1, record);
    } catch (error) {
      return Promise.reject(new IngestUnavailableError((error as Error).message));
    }
    const seq = ++this.lastSeq;
    this.metrics?.journalRecords.inc();
    this.metrics?.journalBytes.inc(record.length);
    this.metrics?.journalWaiting.inc();
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({
        seq,
        event,
        decoded,
        resolve: resolve as (result: unknown) => void,
        reject,
      });
    });
  }

  /** The journal has every record through `seq`: apply them, in order, and answer. */
  private onDurable(seq: number): void {
    this.durableSeq = Math.max(this.durableSeq, seq);
    this.drain(applyBudgetMs);
  }

  /**
   * Applies the changes on disk, in order, for at most `budgetMs`, and the rest in the next turn:
   * a flush held up by a busy disk can release many at once, and they must not hold the event
   * loop together.
   */
  private drain(budgetMs: number): void {
    const until = performance.now() + budgetMs;
    for (
      let next = this.waiting.takeThrough(this.durableSeq);
      next;
      next = this.waiting.takeThrough(this.durableSeq)
    ) {
      this.appliedSeq = next.seq;
      this.metrics?.journalWaiting.dec();
      try {
        next.resolve(this.apply(next.event, next.decoded));
      } catch (error) {
        next.reject(error as Error);
      }
      if (performance.now() > until) {
        if (!this.drainScheduled) {
          this.drainScheduled = true;
          setImmediate(() => {
            this.drainScheduled = false;
            this.drain(applyBudgetMs);
          });
        }
        return;
      }
    }
  }

  /** The journal could not write from `seq` on: refuse those changes; none took effect. */
  private onJournalFailure(error: JournalUnavailableError, nextSeq: number): void {
    this.metrics?.journalFailures.inc();
    this.log.error(error.message);
    this.drain(Infinity); // what is on disk takes effect, whatever failed after it
    const failed = this.waiting.takeAll();
    this.lastSeq = nextSeq - 1;
    this.metrics?.journalWaiting.set(0);
    const refusal = new IngestUnavailableError(error.message);
    for (const waiting of failed) waiting.reject(refusal);
  }

  /** Applies one event: the same code at run time and in a replay, so both give the same twin. */
  private apply(event: TwinEvent, decoded: unknown): unknown {
    switch (event.kind) {
      case 'otlp': {
        const batch = (decoded as NormalizedBatch | undefined) ?? this.decodeJournaled(event);
        const rejectedByState = batch.points.length
          ? this.engineNow.apply(batch.points, event.receivedMs)
          : 0;
        const rejected = batch.rejectedCount + rejectedByState;
        this.recent.remember(digestKey(event.digest), event.receivedMs, rejected);
        return { batch, rejectedByState, rejected, retry: false } satisfies OtlpOutcome;
      }
      case 'kafka':
        return this.applyKafka(event, decoded as (NormalizedBatch | undefined)[] | undefined);
      case 'points':
        return this.engineNow.apply(event.points, event.receivedMs);
      case 'evaluate': {
        const started = performance.now();
        const done = this.engineNow.evaluateSlice(event.nowMs, event.count);
        // The slice that ends a pass judges what was left, fewer than asked: no measure of it.
        if (!done) this.adaptEvaluationSlice(event.count, performance.now() - started);
        return done;
      }
      case 'retire':
        return this.engineNow.retire(event.ids);
      case 'configure':
        this.engineNow = this.engineNow.reconfigured(event.config);
        if (this.checkpointer) {
          this.engineNow.track(this.checkpointer);
          this.checkpointer.replaceEverything();
        }
        return undefined;
    }
  }

  private applyKafka(
    event: KafkaEvent,
    decoded: (NormalizedBatch | undefined)[] | undefined,
  ): (number | undefined)[] {
    const key = partitionKey(event.topic, event.partition);
    return event.messages.map((message, i) => {
      const offset = BigInt(message.offset);
      const next = this.offsets.get(key);
      if (next !== undefined && offset < next) return undefined; // applied before
      this.offsets.set(key, offset + 1n);
      if (!message.body) return undefined; // malformed: counted when it arrived
      const batch =
        decoded?.[i] ??
        this.decodeJournaled({ ...event, contentEncoding: 'identity', body: message.body });
      return batch.points.length ? this.engineNow.apply(batch.points, event.receivedMs) : 0;
    });
  }

  /**
   * A journaled body decoded again (replay). It was decoded when it arrived, so this fails only
   * if decoding changed since (an upgrade with a journal to replay): then it yields no points.
   */
  private decodeJournaled(
    event: Pick<KafkaEvent, 'signal' | 'encoding'> & { contentEncoding: string; body: Uint8Array },
  ): NormalizedBatch {
    try {
      return decodeAndNormalize(event.signal, event.encoding, decompress(event));
    } catch (error) {
      this.log.error({ err: error }, `a journaled ${event.signal} body no longer decodes`);
      return { points: [], rejected: {}, rejectedCount: 0, errorMessage: '' };
    }
  }

  // ---- the periodic work ----

  /** Starts evaluating every `sli.evaluationIntervalMs` and checkpointing every snapshot interval. */
  start(): void {
    const { config } = this.options;
    const every = (ms: number, work: () => void) => {
      const timer = setInterval(work, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(config.sli.evaluationIntervalMs, () => void this.evaluatePass());
    if (this.checkpointer) every(config.state.snapshot.intervalMs, () => void this.checkpoint());
    void this.evaluatePass();
  }

  /**
   * One evaluation pass, in journaled slices sized to stay short on the event loop. Resolves when
   * it ends (or joins the pass already running).
   */
  evaluatePass(): Promise<void> {
    this.evaluating ??= (async () => {
      try {
        while (!this.closing) {
          const done = await this.submit<boolean>({
            kind: 'evaluate',
            nowMs: Date.now(),
            count: this.evaluationSlice,
          });
          if (done) break;
          await yieldToEventLoop();
        }
      } catch (error) {
        this.log.error({ err: error }, 'evaluation failed, will retry');
      } finally {
        this.evaluating = undefined;
      }
    })();
    return this.evaluating;
  }

  private adaptEvaluationSlice(count: number, elapsedMs: number): void {
    if (count !== this.evaluationSlice || elapsedMs <= 0) return;
    const scaled = Math.round((count * evaluationSliceTargetMs) / elapsedMs);
    this.evaluationSlice = Math.min(200_000, Math.max(500, scaled));
  }

  /**
   * Writes a checkpoint if anything changed since the last one (joins one being written).
   * Failures are counted and logged: the next checkpoint writes what this one held.
   */
  checkpoint(): Promise<void> {
    const checkpointer = this.checkpointer;
    if (!checkpointer || !this.journal) return Promise.resolve();
    this.checkpointing ??= (async () => {
      let recent: ReturnType<RecentRequests['takeAdded']> | undefined;
      try {
        if (this.appliedSeq === this.checkpointSeq && !checkpointer.hasChanges) return;
        const result = await checkpointer.checkpoint(() => {
          recent = this.recent.takeAdded();
          return { ...this.cut(), recent };
        });
        this.checkpointSeq = result.seq;
        this.journal?.truncateThrough(result.seq);
        this.recordCheckpoint(result);
      } catch (error) {
        if (recent) this.recent.restoreAdded(recent.added);
        this.metrics?.snapshotFailures.inc();
        this.log.error({ err: error }, 'checkpoint failed');
      } finally {
        this.checkpointing = undefined;
      }
    })();
    return this.checkpointing;
  }

  private cut() {
    return {
      seq: this.appliedSeq,
      config: JSON.stringify(this.engineNow.config),
      aggregates: JSON.stringify(this.engineNow.aggregatesSnapshot()),
      durable: JSON.stringify({ kafkaOffsets: this.appliedOffsets() }),
    };
  }

  /** The last checkpoint committed since this twin opened. */
  get lastCheckpoint(): CheckpointResult | undefined {
    return this.lastCheckpointResult;
  }

  private recordCheckpoint(result: CheckpointResult): void {
    this.lastCheckpointResult = result;
    if (!this.metrics) return;
    this.metrics.snapshotLastSuccess.set(Date.now() / 1000);
    this.metrics.snapshotSeconds.set(result.seconds);
    this.metrics.snapshotAssets.inc(result.assetsWritten);
    this.metrics.snapshotBytes.inc(result.bytesWritten);
  }

  /**
   * Stops the periodic work, waits for what was journaled to be applied and for a checkpoint
   * being written, and closes the files. What is journaled needs no last checkpoint: the next
   * start replays it.
   */
  async close(): Promise<void> {
    this.closing = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.evaluating;
    await this.checkpointing;
    await this.journal?.close();
    this.drain(Infinity);
    await this.writer?.close();
  }

  /** Waits until everything journaled so far is applied. */
  async settled(): Promise<void> {
    while (this.waiting.size > 0) await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

export interface Restored {
  engine: TwinEngine;
  extras: DurableExtras;
  /** The last journal record the restored state reflects. */
  seq: number;
  /** Nothing was stored. */
  fresh: boolean;
  /** The next checkpoint must write every asset (after a migration). */
  replaceAll: boolean;
}

/**
 * The state of the last checkpoint, under the configuration it was written with (the journal
 * after it was written under that one too, until a `configure` record). A store an earlier
 * version wrote holds one whole snapshot instead: restored under `config`, and rewritten whole
 * by the first checkpoint.
 */
export async function restoreCheckpoint(path: string, config: TwinEngineConfig): Promise<Restored> {
  const reader = new CheckpointReader(path);
  try {
    const meta = reader.meta();
    if (meta) {
      const inForce = JSON.parse(meta.config) as TwinEngineConfig;
      const aggregates = JSON.parse(meta.aggregates) as AggregatesSnapshot;
      const state = restoreAggregates(aggregates, inForce);
      for await (const { bytes, ends } of checkpointAssets(path)) {
        let start = 0;
        for (const end of ends) {
          restoreEncodedAsset(state, bytes.subarray(start, end));
          start = end;
        }
      }
      finishRestore(state, aggregates);
      const engine = new TwinEngine(inForce, state);
      engine.settleRestored(aggregates.evaluationCursor ?? 0);
      return {
        engine,
        extras: {
          ...(JSON.parse(meta.durable) as Omit<DurableExtras, 'recent'>),
          recent: reader.recent(),
        },
        seq: meta.seq,
        fresh: false,
        replaceAll: false,
      };
    }
    const legacy = reader.legacy();
    if (legacy) {
      return {
        engine: TwinEngine.restore(snapshotFromChunks(legacy.chunks), config),
        extras: { kafkaOffsets: legacy.offsets, recent: [] },
        seq: 0,
        fresh: false,
        replaceAll: true,
      };
    }
    return {
      engine: new TwinEngine(config),
      extras: { kafkaOffsets: {}, recent: [] },
      seq: 0,
      fresh: true,
      replaceAll: false,
    };
  } finally {
    reader.close();
  }
}
