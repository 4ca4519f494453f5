import { describe, expect, it } from 'vitest';
import { ByteWriter, CorruptRecordError } from '../bytes.js';
import { decodeAsset, encodeAsset, restoreEncodedAsset } from './codec.js';
import { TwinEngine } from './engine.js';
import { point, scenario, scenarioOverrides, T0, testConfig } from '../../test/twin/fixtures.js';
import { finishRestore, restoreAggregates } from './snapshot.js';

/** The engine after the whole scenario, plus a dark asset and odd values. */
function populated(): TwinEngine {
  const engine = new TwinEngine(testConfig({ ...scenarioOverrides, state: { maxAssets: 10 } }));
  for (const [points, receivedMs] of scenario()) {
    engine.apply(points, receivedMs);
    engine.evaluate(receivedMs + 500);
  }
  engine.apply(
    [
      point({ assetId: 'odd', property: 'x', value: -Infinity, sourceTimeMs: T0 + 0.25 }),
      point({ assetId: 'odd', property: 'ünïcødé 🚀', value: 'a\u0000b', sourceTimeMs: T0 }),
      point({ assetId: 'odd', property: 'flag', value: false, sourceTimeMs: T0, site: 'π' }),
    ],
    T0 + 1,
  );
  return engine;
}

describe('asset codec', () => {
  it('round-trips every asset to the same snapshot, back to back in one buffer', () => {
    const engine = populated();
    const out = new ByteWriter(16);
    const ends: number[] = [];
    for (const asset of engine.heldAssets()) {
      encodeAsset(out, asset, engine.historyStore);
      ends.push(out.length);
    }
    const bytes = out.copy();
    const decoded = ends.map((end, i) => decodeAsset(bytes.subarray(ends[i - 1] ?? 0, end)));
    expect(decoded).toEqual(engine.snapshot().assets);
    expect(decoded.map((a) => a.id)).toContain('odd');
  });

  it('restores straight into an engine that reads and evolves like the original', () => {
    const engine = populated();
    const aggregates = JSON.parse(JSON.stringify(engine.aggregatesSnapshot()));
    const state = restoreAggregates(aggregates, engine.config);
    for (const asset of engine.heldAssets()) {
      const out = new ByteWriter();
      encodeAsset(out, asset, engine.historyStore);
      restoreEncodedAsset(state, out.copy());
    }
    finishRestore(state, aggregates);
    const restored = new TwinEngine(engine.config, state);
    restored.settleRestored(aggregates.evaluationCursor ?? 0);
    expect(restored.snapshot()).toEqual(engine.snapshot());
    const later = T0 + 500_000;
    for (const e of [engine, restored]) {
      e.apply([point({ assetId: 'p1', property: 'flow', value: 3, sourceTimeMs: later })], later);
      e.evaluate(later + 1);
    }
    expect(restored.snapshot()).toEqual(engine.snapshot());
  });

  it('refuses bytes it did not write, naming what is wrong', () => {
    const out = new ByteWriter();
    const engine = populated();
    encodeAsset(out, [...engine.heldAssets()][0]!, engine.historyStore);
    const bytes = out.copy();
    expect(() => decodeAsset(bytes.subarray(0, bytes.length - 3))).toThrow(CorruptRecordError);
    expect(() => decodeAsset(Uint8Array.of(9, ...bytes.subarray(1)))).toThrow(/asset format 9/);
    expect(() => decodeAsset(Uint8Array.of(...bytes, 0))).toThrow(/trailing bytes/);
  });
});
