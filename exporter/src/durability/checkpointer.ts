/**
 * Checkpoints that cost what changed, never the whole fleet, and never hold the event loop.
 *
 * The engine reports every asset it is about to change (ChangeTracker); each is listed once per
 * epoch. A checkpoint cuts at one journal position, synchronously and in O(1) for the assets: the
 * small aggregates are copied, the epoch moves on, and the assets changed in the closed epoch are
 * this checkpoint's to write. They are encoded a few milliseconds at a time while ingest goes
 * on; an asset about to change before its turn is encoded first, as it was at the cut (copy on
 * write). A worker thread writes the rows and commits them with the aggregates in one
 * transaction; only then may the journal up to the cut be dropped.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { ByteWriter } from '../bytes.js';
import type { CheckpointCommit, CheckpointWriter } from '../store/checkpoints.js';
import { encodeAsset } from '../twin/codec.js';
import type { ChangeTracker } from '../twin/engine.js';
import type { HistoryStore } from '../twin/history.js';
import type { AssetState } from '../twin/state.js';

/** What a cut copies besides the assets: small, taken synchronously. */
export interface CheckpointCut {
  /** The last journal record applied. */
  seq: number;
  config: string;
  aggregates: string;
  durable: string;
  recent: CheckpointCommit['recent'];
}

export interface CheckpointResult {
  seq: number;
  assetsWritten: number;
  assetsRemoved: number;
  bytesWritten: number;
  /** Wall time from cut to commit. */
  seconds: number;
}

/** How long one slice of encoding may hold the event loop. */
const sliceBudgetMs = 2;
/** Rows handed to the writer at once. */
const rowsBatchBytes = 4 * 2 ** 20;

/** One checkpoint being written: its encoded rows not yet handed over. */
class CheckpointWrite {
  readonly out = new ByteWriter(1 << 20);
  keys: number[] = [];
  ends: number[] = [];
  assetsWritten = 0;
  bytesWritten = 0;

  constructor(
    private readonly writer: CheckpointWriter,
    private readonly history: HistoryStore,
    /** The assets this checkpoint writes (kept to mark them changed again if it fails). */
    readonly assets: AssetState[],
    readonly removed: number[],
  ) {}

  write(asset: AssetState): void {
    asset.checkpointEpoch = 0;
    encodeAsset(this.out, asset, this.history);
    this.keys.push(asset.admitSeq);
    this.ends.push(this.out.length);
    this.assetsWritten++;
    if (this.out.length >= rowsBatchBytes) this.hand();
  }

  /** Hands the encoded rows to the writer thread. */
  hand(): void {
    if (this.keys.length === 0) return;
    this.writer.rows(this.out.copy(), this.keys, this.ends);
    this.bytesWritten += this.out.length;
    this.out.reset();
    this.keys = [];
    this.ends = [];
  }
}

export class Checkpointer implements ChangeTracker {
  /** Changes are listed under this epoch; the checkpoint being written holds an earlier one. */
  private epoch = 1;
  /** The epoch being written (0: none). */
  private writing = 0;
  private changed: AssetState[] = [];
  private removed: number[] = [];
  /** The next checkpoint writes every asset and drops every old row. */
  private replaceAll: boolean;
  private current: CheckpointWrite | undefined;

  constructor(
    private readonly writer: CheckpointWriter,
    private readonly assetsHeld: {
      /** Every asset, for a checkpoint that replaces all. */
      all(): Iterable<AssetState>;
      holds(asset: AssetState): boolean;
      /** Where their history is. */
      history(): HistoryStore;
    },
    options: { replaceAll: boolean },
  ) {
    this.replaceAll = options.replaceAll;
  }

  get inProgress(): boolean {
    return this.current !== undefined;
  }

  /** Anything to write since the last cut. */
  get hasChanges(): boolean {
    return this.replaceAll || this.changed.length > 0 || this.removed.length > 0;
  }

  changing(asset: AssetState): void {
    if (this.writing !== 0 && asset.checkpointEpoch === this.writing) this.current?.write(asset);
    if (asset.checkpointEpoch !== this.epoch) {
      asset.checkpointEpoch = this.epoch;
      this.changed.push(asset);
    }
  }

  removing(asset: AssetState): void {
    if (this.writing !== 0 && asset.checkpointEpoch === this.writing) this.current?.write(asset);
    // Listed in `changed` maybe, but no longer of any epoch: skipped there.
    asset.checkpointEpoch = 0;
    this.removed.push(asset.admitSeq);
  }

  /** The next checkpoint rewrites every asset (after a change of configuration). */
  replaceEverything(): void {
    this.replaceAll = true;
  }

  /**
   * Writes a checkpoint: `cut` is called at once, synchronously, and must describe the state as
   * it is at that moment. Resolves once the checkpoint is on disk.
   */
  async checkpoint(cut: () => CheckpointCut): Promise<CheckpointResult> {
    if (this.current) throw new Error('a checkpoint is already being written');
    const started = performance.now();
    const replaceAll = this.replaceAll;
    const writing = this.epoch;
    let assets = this.changed;
    if (replaceAll) {
      assets = [...this.assetsHeld.all()];
      for (const asset of assets) asset.checkpointEpoch = writing;
      this.removed = [];
    }
    const write = new CheckpointWrite(this.writer, this.assetsHeld.history(), assets, this.removed);
    this.changed = [];
    this.removed = [];
    this.replaceAll = false;
    this.epoch = writing + 1;
    this.writing = writing;
    const { seq, config, aggregates, durable, recent } = cut();
    this.current = write;
    this.writer.begin(replaceAll);
    try {
      let i = 0;
      while (i < assets.length) {
        const sliceEnd = performance.now() + sliceBudgetMs;
        do {
          for (const end = Math.min(i + 16, assets.length); i < end; i++) {
            const asset = assets[i] as AssetState;
            // Of another epoch: copied before a change already, or removed.
            if (asset.checkpointEpoch === writing) write.write(asset);
          }
        } while (i < assets.length && performance.now() < sliceEnd);
        write.hand();
        await yieldToEventLoop();
      }
      write.hand();
      await this.writer.commit({
        seq,
        takenAtMs: Date.now(),
        config,
        aggregates,
        durable,
        recent,
        removed: write.removed,
      });
    } catch (error) {
      // Nothing of it counts: what it held is changed again, for the next checkpoint.
      this.current = undefined;
      this.writing = 0;
      for (const asset of write.assets) {
        if (this.assetsHeld.holds(asset) && asset.checkpointEpoch !== this.epoch) {
          asset.checkpointEpoch = this.epoch;
          this.changed.push(asset);
        }
      }
      this.removed.push(...write.removed);
      if (replaceAll) this.replaceAll = true;
      throw error;
    } finally {
      this.current = undefined;
      this.writing = 0;
    }
    return {
      seq,
      assetsWritten: write.assetsWritten,
      assetsRemoved: write.removed.length,
      bytesWritten: write.bytesWritten,
      seconds: (performance.now() - started) / 1000,
    };
  }
}
