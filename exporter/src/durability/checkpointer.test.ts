import { describe, expect, it } from 'vitest';
import type { CheckpointCommit, CheckpointWriter } from '../store/checkpoints.js';
import { decodeAsset } from '../twin/codec.js';
import { TwinEngine } from '../twin/engine.js';
import { point, T0, testConfig } from '../../test/twin/fixtures.js';
import type { AssetSnapshot } from '../twin/snapshot.js';
import { Checkpointer } from './checkpointer.js';

/** A writer that keeps what it is given, as the store would: rows by admission number. */
class MemoryWriter {
  stored = new Map<number, AssetSnapshot>();
  handed = 0;
  commits: CheckpointCommit[] = [];
  failNext = false;

  begin(replaceAll: boolean): void {
    if (replaceAll) this.stored.clear();
  }

  rows(bytes: Uint8Array, keys: number[], ends: number[]): void {
    keys.forEach((key, i) =>
      this.stored.set(key, decodeAsset(bytes.subarray(ends[i - 1] ?? 0, ends[i]))),
    );
    this.handed += keys.length;
  }

  async commit(commit: CheckpointCommit): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('disk full');
    }
    for (const key of commit.removed) this.stored.delete(key);
    this.commits.push(commit);
  }
}

function writerOf(memory: MemoryWriter): CheckpointWriter {
  return {
    begin: (replaceAll: boolean) => memory.begin(replaceAll),
    rows: (bytes: Uint8Array, keys: number[], ends: number[]) => memory.rows(bytes, keys, ends),
    commit: (commit: CheckpointCommit) => memory.commit(commit),
  } as unknown as CheckpointWriter;
}

const cut = (seq: number) => () => ({
  seq,
  config: '{}',
  aggregates: '{}',
  durable: '{}',
  recent: { added: [], keptFromMs: 0 },
});

function fleet(assets: number): TwinEngine {
  const engine = new TwinEngine(
    testConfig({ state: { maxAssets: assets + 10, historyLength: 8 } }),
  );
  return engine;
}

function report(engine: TwinEngine, from: number, to: number, value: number, t: number): void {
  const points = [];
  for (let i = from; i < to; i++) {
    points.push(point({ assetId: `a${i}`, property: 'flow', value, sourceTimeMs: t }));
  }
  engine.apply(points, t);
}

function tracked(engine: TwinEngine, memory: MemoryWriter): Checkpointer {
  const checkpointer = new Checkpointer(
    writerOf(memory),
    {
      all: () => engine.heldAssets(),
      holds: (asset) => engine.holds(asset),
      history: () => engine.historyStore,
    },
    { replaceAll: false },
  );
  engine.track(checkpointer);
  return checkpointer;
}

describe('the checkpointer', () => {
  it('writes only the assets changed since the last cut, and what left', async () => {
    const engine = fleet(100);
    const memory = new MemoryWriter();
    const checkpointer = tracked(engine, memory);
    report(engine, 0, 100, 1, T0);
    await checkpointer.checkpoint(cut(1));
    expect(memory.handed).toBe(100);
    report(engine, 10, 13, 2, T0 + 1);
    engine.retire(['a50']);
    const result = await checkpointer.checkpoint(cut(2));
    expect(result).toMatchObject({ assetsWritten: 3, assetsRemoved: 1 });
    expect(memory.stored.size).toBe(99);
    expect(checkpointer.hasChanges).toBe(false);
    expect(engine.snapshot().assets).toEqual([...memory.stored.values()]);
  });

  it('holds every asset as it was at the cut, though they change while it is written', async () => {
    const engine = fleet(20_000);
    const memory = new MemoryWriter();
    const checkpointer = tracked(engine, memory);
    report(engine, 0, 20_000, 1, T0);
    const atCut = engine.snapshot().assets;
    const writing = checkpointer.checkpoint(cut(1));
    // The first slice ran; the rest wait for the event loop. Change everything now.
    const handedBefore = memory.handed;
    expect(handedBefore).toBeLessThan(20_000);
    report(engine, 0, 20_000, 2, T0 + 1);
    engine.retire(['a19999']);
    await writing;
    expect([...memory.stored.values()]).toEqual(atCut);
    // The changes made meanwhile are the next checkpoint's.
    await checkpointer.checkpoint(cut(2));
    expect([...memory.stored.values()]).toEqual(engine.snapshot().assets);
  });

  it('writes again, next time, what a failed checkpoint held', async () => {
    const engine = fleet(50);
    const memory = new MemoryWriter();
    const checkpointer = tracked(engine, memory);
    report(engine, 0, 50, 1, T0);
    await checkpointer.checkpoint(cut(1));
    report(engine, 0, 5, 2, T0 + 1);
    engine.retire(['a40']);
    memory.failNext = true;
    await expect(checkpointer.checkpoint(cut(2))).rejects.toThrow(/disk full/);
    expect(checkpointer.hasChanges).toBe(true);
    const retried = await checkpointer.checkpoint(cut(3));
    expect(retried).toMatchObject({ assetsWritten: 5, assetsRemoved: 1 });
    expect([...memory.stored.values()]).toEqual(engine.snapshot().assets);
  });

  it('rewrites everything once asked (after a migration or a new configuration)', async () => {
    const engine = fleet(30);
    const memory = new MemoryWriter();
    const checkpointer = tracked(engine, memory);
    report(engine, 0, 30, 1, T0);
    await checkpointer.checkpoint(cut(1));
    memory.stored.set(9_999, memory.stored.get(1)!); // a stale row the replacement must drop
    checkpointer.replaceEverything();
    expect(checkpointer.hasChanges).toBe(true);
    expect(await checkpointer.checkpoint(cut(2))).toMatchObject({ assetsWritten: 30 });
    expect([...memory.stored.keys()]).not.toContain(9_999);
  });
});
