import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configFromDocument, type ExporterConfig } from '../config/index.js';
import { registerTwinMetrics } from '../metrics/sli.js';
import { point, T0 } from '../../test/twin/fixtures.js';
import { DurableTwin } from './durable-twin.js';

let dir: string;
let twin: DurableTwin | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'twinops-quarantine-'));
});
afterEach(async () => {
  await twin?.close();
  twin = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** A small quarantine, and a command catalog that declares the class conveyor and its speed. */
function configWith(declared: Record<string, string[]> = {}): ExporterConfig {
  return configFromDocument({
    state: {
      snapshot: { path: join(dir, 'state.db'), interval: '1h' },
      quarantine: { maxClasses: 2, maxPropertiesPerClass: 2 },
      declared,
    },
    commands: {
      catalog: {
        conveyor: {
          setSpeed: {
            risk: 'low',
            params: { type: 'object', properties: { mps: { type: 'number' } } },
            sets: { property: 'speed', param: 'mps' },
          },
        },
      },
    },
  });
}

async function open(config: ExporterConfig): Promise<DurableTwin> {
  await twin?.close();
  twin = await DurableTwin.open({ config, retries: config.ingest.retries });
  return twin;
}

const at = (t: number, assetId: string, assetClass: string, property = 'x') =>
  point({ assetId, assetClass, property, value: 1, sourceTimeMs: t });

/** The SLI counter lines of one class, as a scrape shows them. */
async function counters(t: DurableTwin, assetClass: string): Promise<string[]> {
  const registry = new Registry();
  registerTwinMetrics(registry, t.engine);
  return (await registry.metrics())
    .split('\n')
    .filter((l) => l.includes(`asset_class="${assetClass}"`) && /_total\{|_count\{/.test(l));
}

describe('the quarantine across restarts', () => {
  it('restores quarantined names as quarantine, catalog classes as fleet, and counters as served', async () => {
    const live = await open(configWith());
    await live.applyPoints([at(T0, 'a', 'junk-a'), at(T0, 'b', 'junk-b')], T0);
    // Declared by the catalog: takes no slot, evicts nothing.
    await live.applyPoints([at(T0 + 1, 'c1', 'conveyor', 'speed')], T0 + 1);
    await live.evaluatePass();
    await live.checkpoint();
    // After the checkpoint (journal only): junk-b reports again, junk-c evicts junk-a.
    await live.applyPoints([at(T0 + 2, 'b', 'junk-b'), at(T0 + 3, 'c', 'junk-c')], T0 + 3);
    await live.evaluatePass();
    const served = live.engine.snapshot();
    const quarantine = live.engine.quarantine({});
    expect(quarantine.classes.items.map((c) => c.assetClass)).toEqual(['junk-b', 'junk-c']);
    expect(quarantine.evictions).toEqual({ class: 1, property: 0 });
    const junkB = await counters(live, 'junk-b');

    const again = await open(configWith());
    expect(again.engine.snapshot()).toEqual(served);
    expect(again.engine.quarantine({})).toEqual(quarantine);
    expect(await counters(again, 'junk-b')).toEqual(junkB);
    // Still quarantine, still evictable: a new name pushes out the least recent (junk-b).
    await again.applyPoints([at(T0 + 4, 'c', 'junk-c'), at(T0 + 5, 'd', 'junk-d')], T0 + 5);
    expect(again.engine.quarantine({}).classes.items.map((c) => c.assetClass)).toEqual([
      'junk-c',
      'junk-d',
    ]);
    expect(again.engine.asset('c1', T0)).toBeDefined();
  });

  it('makes a class declared at a restart fleet, and its counters never go backwards', async () => {
    const live = await open(configWith());
    await live.applyPoints([at(T0, 'a', 'junk-a'), at(T0, 'b', 'junk-b')], T0);
    await live.applyPoints([at(T0 + 1, 'b', 'junk-b')], T0 + 1);
    await live.evaluatePass();
    await live.checkpoint();
    const before = await counters(live, 'junk-b');
    expect(before.join('\n')).toContain(
      'twin_points_total{asset_class="junk-b",source="physical"} 2',
    );

    const declared = await open(configWith({ 'junk-b': ['x'] }));
    const quarantine = declared.engine.quarantine({});
    expect(quarantine.classes.items.map((c) => c.assetClass)).toEqual(['junk-a']);
    expect(quarantine.properties.items.map((p) => p.assetClass)).toEqual(['junk-a']);
    expect(await counters(declared, 'junk-b')).toEqual(before);
    // Fleet: new names fill the quarantine and evict each other, never junk-b.
    await declared.applyPoints(
      Array.from({ length: 4 }, (_, i) => at(T0 + 2 + i, `n${i}`, `new-${i}`)),
      T0 + 6,
    );
    expect(declared.engine.asset('b', T0)?.assetClass).toBe('junk-b');
    expect(await counters(declared, 'junk-b')).toEqual(before);

    // And after a crash-free restart under the same configuration, as it was served.
    const served = declared.engine.snapshot();
    const again = await open(configWith({ 'junk-b': ['x'] }));
    expect(again.engine.snapshot()).toEqual(served);
  });

  it('restores no property evicted since its asset was last checkpointed, even under a name back again', async () => {
    const live = await open(configWith());
    await live.applyPoints([at(T0, 'x', 'pump', 'junk'), at(T0, 'x', 'pump', 'other')], T0);
    await live.checkpoint();
    // `a` evicts `junk` from pump (x is not touched, so its row still holds it), then `junk`
    // comes back on another asset as a new name.
    await live.applyPoints([at(T0 + 1, 'y', 'pump', 'a')], T0 + 1);
    await live.checkpoint();
    await live.applyPoints([at(T0 + 2, 'z', 'pump', 'junk')], T0 + 2);
    await live.checkpoint();
    const served = live.engine.snapshot();
    const quarantine = live.engine.quarantine({ assetClass: 'pump' });
    expect(live.engine.asset('x', T0)?.properties.map((p) => p.property)).toEqual([]);
    expect(quarantine.properties.items.map((p) => [p.property, p.assets])).toEqual([
      ['a', 1],
      ['junk', 1],
    ]);

    const again = await open(configWith());
    expect(again.engine.snapshot()).toEqual(served);
    expect(again.engine.quarantine({ assetClass: 'pump' })).toEqual(quarantine);
    expect(again.engine.asset('x', T0)?.properties).toEqual([]);
    // Dropped at the next evaluation, as it would have been without the restart.
    await again.evaluatePass();
    expect(again.engine.snapshot().assets.find((a) => a.id === 'x')?.properties).toEqual([]);
  });
});
