import { Registry, type RegistryContentType } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { configFromDocument, defaultConfig } from '../config/index.js';
import { registerTwinMetrics } from '../metrics/sli.js';
import { TwinEngine } from './engine.js';
import { point, testConfig, T0, type ConfigOverrides } from '../../test/twin/fixtures.js';
import {
  catalogDeclarations,
  declaredNames,
  quarantineLimits,
  withDeclared,
} from './quarantine.js';
import { restoreState, type TwinSnapshot } from './snapshot.js';

// testConfig declares the class `pump` (a freshness override); these declare more.
const declaring: ConfigOverrides = {
  state: { declared: { chiller: ['supply_temp'] }, maxAssets: 100_000 },
  sli: {
    divergence: {
      graceMs: 10_000,
      defaultTolerance: { kind: 'absolute', epsilon: 0.5 },
      rules: [
        { assetClass: 'pump', property: 'flow', tolerance: { kind: 'absolute', epsilon: 1 } },
        { property: 'temperature', tolerance: { kind: 'absolute', epsilon: 1 } },
      ],
    },
  },
};

function engineWith(overrides: ConfigOverrides = {}): TwinEngine {
  return new TwinEngine(
    testConfig({
      ...declaring,
      ...overrides,
      state: { ...declaring.state, ...overrides.state },
    }),
  );
}

async function scrape(engine: TwinEngine): Promise<string[]> {
  const registry = new Registry<RegistryContentType>();
  registerTwinMetrics(registry, engine);
  return (await registry.metrics()).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

const series = (lines: string[], name: string) =>
  lines.filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));

/** One physical point of one asset at receipt time `t`. */
const at = (t: number, assetId: string, assetClass: string, property = 'temperature') =>
  point({ assetId, assetClass, property, value: 1, sourceTimeMs: t });

/** `count` points of made-up classes, one asset each, all at `t`. */
const junkClasses = (count: number, t: number) =>
  Array.from({ length: count }, (_, i) => at(t, `junk-asset-${i}`, `junk-${i}`));

describe('declared names', () => {
  it('come from freshness overrides, divergence and prediction rules, state.declared and the catalog', () => {
    const config = testConfig({
      ...declaring,
      sli: {
        ...declaring.sli,
        prediction: {
          matchWindowMs: 1,
          expireAfterMs: 1,
          rules: [
            {
              kind: 'regression',
              property: 'load',
              tolerance: { kind: 'absolute', epsilon: 1 },
            },
          ],
        },
      },
    });
    const catalog = {
      conveyor: {
        setSpeed: { sets: { property: 'speed', param: 'mps' } },
        stop: { sets: { property: 'speed', param: 'zero' } },
      },
    };
    config.state = withDeclared(config.state, catalogDeclarations(catalog));
    const declared = declaredNames(config);
    expect([...declared.classes].sort()).toEqual(['chiller', 'conveyor', 'pump']);
    expect([...declared.everyClass].sort()).toEqual(['load', 'temperature']);
    expect(declared.byClass.get('pump')).toEqual(new Set(['flow']));
    expect(declared.byClass.get('conveyor')).toEqual(new Set(['speed']));
    expect(declared.byClass.get('chiller')).toEqual(new Set(['supply_temp']));
    // Nothing to add: the configuration stays as written.
    expect(withDeclared(config.state, {})).toBe(config.state);
  });
});

describe('the quarantine bounds', () => {
  it('are the defaults where a configuration an earlier version stored has none, or not all', () => {
    const { quarantine: _none, ...earlier } = defaultConfig.state;
    expect(quarantineLimits(earlier)).toEqual(defaultConfig.state.quarantine);
    expect(
      quarantineLimits({ ...earlier, quarantine: { maxClasses: 3, maxPropertiesPerClass: 2 } }),
    ).toEqual({ maxClasses: 3, maxPropertiesPerClass: 2, maxProperties: 10_000 });
  });
});

describe('the quarantine of undeclared classes', () => {
  it('never lets 500 junk classes lock out a declared class, nor a real undeclared one', async () => {
    const engine = engineWith();
    expect(engine.apply(junkClasses(500, T0), T0)).toBe(0);
    expect(engine.quarantine({}).classes.total).toBe(500);

    // Declared classes take no slot and evict nothing.
    expect(engine.apply([at(T0 + 1, 'p1', 'pump'), at(T0 + 1, 'c1', 'chiller')], T0 + 1)).toBe(0);
    expect(engine.quarantine({}).classes.total).toBe(500);
    expect(engine.quarantine({}).evictions).toEqual({ class: 0, property: 0 });

    // A real undeclared class, reporting again and again: it evicts the least recent junk once.
    for (let i = 0; i < 5; i++) {
      const t = T0 + 10 + i;
      expect(engine.apply([at(t, `boiler-${i % 2}`, 'boiler')], t)).toBe(0);
    }
    let page = engine.quarantine({ limit: 1000 });
    expect(page.evictions).toEqual({ class: 1, property: 0 });
    expect(page.classes.total).toBe(500);
    expect(page.classes.items.map((c) => c.assetClass)).not.toContain('junk-0');
    expect(page.classes.items.at(-1)).toEqual({
      assetClass: 'boiler',
      lastSeenMs: T0 + 14,
      assets: 2,
      properties: 0,
    });
    // The junk's asset is gone, not left dark or stale.
    expect(engine.asset('junk-asset-0', T0)).toBeUndefined();
    expect(engine.darkAssets()).toEqual([]);

    // More junk pushes out more junk, never the class that keeps reporting.
    engine.apply([at(T0 + 20, 'x', 'junk-new')], T0 + 20);
    page = engine.quarantine({ limit: 1000 });
    expect(page.classes.items.map((c) => c.assetClass)).toContain('boiler');
    expect(page.classes.items.map((c) => c.assetClass)).not.toContain('junk-1');

    const lines = await scrape(engine);
    expect(lines).toContain('twin_quarantine_classes 500');
    expect(lines).toContain('twin_quarantine_evictions_total{kind="class"} 2');
    expect(lines).toContain('twin_state_evictions_total{reason="quarantine"} 2');
    expect(lines).toContain('twin_state_rejected_points_total{reason="over_limit"} 0');
    // The evicted classes' series are gone; the declared and the real one are there.
    const classes = series(lines, 'twin_assets').map((l) => /asset_class="([^"]+)"/.exec(l)?.[1]);
    expect(classes).not.toContain('junk-0');
    expect(classes).not.toContain('junk-1');
    expect(classes).toEqual(expect.arrayContaining(['pump', 'chiller', 'boiler', 'junk-new']));
    expect(classes).toHaveLength(502);
  });

  it('holds exactly maxClasses undeclared classes, and evicts at the next one', () => {
    const engine = engineWith({
      state: { quarantine: { maxClasses: 3, maxPropertiesPerClass: 2 } },
    });
    engine.apply(junkClasses(3, T0), T0);
    expect(engine.quarantine({}).classes.total).toBe(3);
    expect(engine.quarantine({}).evictions.class).toBe(0);
    // junk-0 reports again: junk-1 is now the least recently seen.
    engine.apply([at(T0 + 1, 'junk-asset-0', 'junk-0')], T0 + 1);
    engine.apply([at(T0 + 2, 'n', 'newcomer')], T0 + 2);
    expect(engine.quarantine({}).classes.items.map((c) => c.assetClass)).toEqual([
      'junk-0',
      'junk-2',
      'newcomer',
    ]);
  });

  it('starts empty, and with no room at all refuses undeclared classes only', async () => {
    const engine = engineWith({
      state: { quarantine: { maxClasses: 0, maxPropertiesPerClass: 0 } },
    });
    expect(engine.quarantine({})).toEqual({
      limits: { maxClasses: 0, maxPropertiesPerClass: 0, maxProperties: 10_000 },
      evictions: { class: 0, property: 0 },
      offset: 0,
      limit: 100,
      classes: { total: 0, items: [] },
      properties: { total: 0, items: [] },
    });
    const lines = await scrape(engine);
    expect(lines).toContain('twin_quarantine_classes 0');
    expect(lines).toContain('twin_quarantine_properties 0');
    expect(engine.apply([at(T0, 'x', 'unknown')], T0)).toBe(1);
    expect(
      engine.apply([at(T0, 'p', 'pump', 'flow'), at(T0, 'p', 'pump', 'temperature')], T0),
    ).toBe(0);
    expect(engine.apply([at(T0, 'p', 'pump', 'vibration')], T0)).toBe(1);
  });

  it('keeps a class whose assets were all evicted as an evictable name without assets', async () => {
    const engine = engineWith({
      state: { maxAssets: 1, quarantine: { maxClasses: 2, maxPropertiesPerClass: 10 } },
    });
    engine.apply([at(T0, 'a', 'alpha', 'x')], T0);
    engine.apply([at(T0 + 1, 'b', 'beta', 'x')], T0 + 1); // evicts asset a at the cap
    expect(engine.quarantine({}).classes.items).toEqual([
      { assetClass: 'alpha', lastSeenMs: T0, assets: 0, properties: 1 },
      { assetClass: 'beta', lastSeenMs: T0 + 1, assets: 1, properties: 1 },
    ]);
    engine.apply([at(T0 + 2, 'c', 'gamma', 'x')], T0 + 2); // evicts alpha (no assets), then b at the cap
    const page = engine.quarantine({});
    expect(page.classes.items.map((c) => c.assetClass)).toEqual(['beta', 'gamma']);
    expect(page.evictions.class).toBe(1);
    const lines = await scrape(engine);
    expect(lines).toContain('twin_state_evictions_total{reason="quarantine"} 0');
    expect(lines).toContain('twin_quarantine_properties 2');
  });

  it('drops an evicted class from the site gauges and from an evaluation pass in progress', async () => {
    const engine = engineWith({
      state: { quarantine: { maxClasses: 1, maxPropertiesPerClass: 10 } },
    });
    engine.apply(
      [
        point({
          assetId: 'a',
          assetClass: 'alpha',
          site: 's',
          property: 'x',
          value: 1,
          sourceTimeMs: T0,
        }),
        at(T0, 'p', 'pump', 'flow'),
      ],
      T0,
    );
    engine.evaluate(T0);
    engine.evaluateSlice(T0 + 1, 1); // judges alpha's asset, the pass goes on
    engine.apply([at(T0 + 2, 'b', 'beta')], T0 + 2);
    engine.evaluate(T0 + 3);
    const sites = series(await scrape(engine), 'twin_site_assets');
    expect(sites.join('\n')).not.toContain('alpha');
    expect(sites).toHaveLength(2);
  });
});

describe('the quarantine of undeclared properties', () => {
  /** 1000 made-up properties of the declared class pump, 8 per asset (maxPropertiesPerAsset). */
  const junkProperties = (t: number) =>
    Array.from({ length: 1000 }, (_, i) => at(t, `junk-${Math.floor(i / 8)}`, 'pump', `junk-${i}`));

  it('never lets 1000 junk properties lock out a declared one, nor a real undeclared one', async () => {
    const engine = engineWith();
    expect(engine.apply(junkProperties(T0), T0)).toBe(0);
    expect(engine.quarantine({ assetClass: 'pump' }).properties.total).toBe(1000);

    // Declared for pump, and declared for every class: no slot, no eviction.
    expect(
      engine.apply(
        [at(T0 + 1, 'p1', 'pump', 'flow'), at(T0 + 1, 'p1', 'pump', 'temperature')],
        T0 + 1,
      ),
    ).toBe(0);
    expect(engine.quarantine({}).evictions.property).toBe(0);

    // A real undeclared property, reported again and again, evicts the least recent junk once.
    for (let i = 0; i < 3; i++) {
      const t = T0 + 10 + i;
      expect(engine.apply([at(t, 'p1', 'pump', 'vibration')], t)).toBe(0);
    }
    const page = engine.quarantine({ assetClass: 'pump', offset: 999 });
    expect(page.evictions).toEqual({ class: 0, property: 1 });
    expect(page.properties).toEqual({
      total: 1000,
      items: [{ assetClass: 'pump', property: 'vibration', lastSeenMs: T0 + 12, assets: 1 }],
    });
    // The evicted property's state is gone from its asset at once, and dropped at evaluation.
    expect(engine.asset('junk-0', T0)?.properties.map((p) => p.property)).not.toContain('junk-0');
    expect(engine.asset('junk-0', T0)?.properties).toHaveLength(7);
    expect(engine.snapshot().assets.find((a) => a.id === 'junk-0')?.properties).toHaveLength(7);
    engine.evaluate(T0 + 20);
    expect(engine.snapshot().assets.find((a) => a.id === 'junk-0')?.properties).toHaveLength(7);

    const lines = await scrape(engine);
    expect(lines).toContain('twin_quarantine_properties 1000');
    expect(lines).toContain('twin_quarantine_evictions_total{kind="property"} 1');
    expect(lines).toContain('twin_state_rejected_points_total{reason="over_limit"} 0');
  });

  it('still enforces maxPropertiesPerAsset for declared properties; evicted ones free room', () => {
    const engine = engineWith({
      state: { maxPropertiesPerAsset: 2, quarantine: { maxClasses: 10, maxPropertiesPerClass: 2 } },
    });
    engine.apply([at(T0, 'p', 'pump', 'a'), at(T0, 'p', 'pump', 'b')], T0);
    // Full: a declared property is refused on this asset, as before.
    expect(engine.apply([at(T0 + 1, 'p', 'pump', 'flow')], T0 + 1)).toBe(1);
    // A third undeclared name evicts `a` (on another asset), so `p` has room again.
    expect(engine.apply([at(T0 + 2, 'q', 'pump', 'c')], T0 + 2)).toBe(0);
    expect(engine.apply([at(T0 + 3, 'p', 'pump', 'flow')], T0 + 3)).toBe(0);
    expect(engine.asset('p', T0)?.properties.map((p) => p.property)).toEqual(['b', 'flow']);
    expect(engine.quarantine({}).properties.items.map((p) => p.property)).toEqual(['b', 'c']);
  });

  it('holds at most maxProperties over all classes, evicting the least recently seen of any', async () => {
    const engine = engineWith({
      state: { quarantine: { maxClasses: 10, maxPropertiesPerClass: 2, maxProperties: 4 } },
    });
    const held = () =>
      engine.quarantine({}).properties.items.map((p) => `${p.assetClass}.${p.property}`);
    engine.apply([at(T0, 'a', 'alpha', 'a1'), at(T0, 'b', 'beta', 'b1')], T0);
    engine.apply([at(T0 + 1, 'p', 'pump', 'p1')], T0 + 1);
    engine.apply([at(T0 + 2, 'a', 'alpha', 'a2')], T0 + 2);
    engine.apply([at(T0 + 3, 'a', 'alpha', 'a1')], T0 + 3);
    // gamma has room of its own but the total has none: b1, of another class, goes.
    expect(engine.apply([at(T0 + 4, 'g', 'gamma', 'g1')], T0 + 4)).toBe(0);
    expect(held()).toEqual(['alpha.a1', 'alpha.a2', 'pump.p1', 'gamma.g1']);
    expect(engine.asset('b', T0)?.properties).toEqual([]);
    // alpha's share is full: its own least recent goes (a2), though pump's p1 is older.
    expect(engine.apply([at(T0 + 5, 'a', 'alpha', 'a3')], T0 + 5)).toBe(0);
    expect(held()).toEqual(['alpha.a1', 'alpha.a3', 'pump.p1', 'gamma.g1']);
    // Declared properties take no slot and evict nothing.
    expect(
      engine.apply(
        [at(T0 + 6, 'p', 'pump', 'flow'), at(T0 + 6, 'g', 'gamma', 'temperature')],
        T0 + 6,
      ),
    ).toBe(0);
    expect(held()).toEqual(['alpha.a1', 'alpha.a3', 'pump.p1', 'gamma.g1']);
    const lines = await scrape(engine);
    expect(lines).toContain('twin_quarantine_properties 4');
    expect(lines).toContain('twin_quarantine_evictions_total{kind="property"} 2');
  });

  it('with no room in all, refuses undeclared properties only', () => {
    const engine = engineWith({ state: { quarantine: { maxProperties: 0 } } });
    expect(engine.apply([at(T0, 'p', 'pump', 'vibration')], T0)).toBe(1);
    expect(engine.apply([at(T0, 'p', 'pump', 'flow'), at(T0, 'x', 'other')], T0)).toBe(0);
  });
});

describe('the quarantine across a restore', () => {
  /** A restore under `config`, as a restart restores a checkpoint or snapshot. */
  const restored = (engine: TwinEngine, overrides: ConfigOverrides = {}) =>
    TwinEngine.restore(
      JSON.parse(JSON.stringify(engine.snapshot())) as TwinSnapshot,
      testConfig({
        ...declaring,
        ...overrides,
        state: { ...declaring.state, ...overrides.state },
      }),
    );
  const small = { maxClasses: 3, maxPropertiesPerClass: 2 };

  it('keeps quarantined names quarantined, with their last-seen times, still evictable', () => {
    const engine = engineWith({ state: { quarantine: small } });
    engine.apply(junkClasses(3, T0), T0);
    engine.apply([at(T0 + 1, 'junk-asset-1', 'junk-1'), at(T0 + 1, 'p', 'pump', 'x')], T0 + 1);
    const before = engine.quarantine({});
    const again = restored(engine, { state: { quarantine: small } });
    expect(again.snapshot()).toEqual(engine.snapshot());
    expect(again.quarantine({})).toEqual(before);
    // Still evictable, least recent first: junk-0 goes (junk-1 was seen later).
    again.apply([at(T0 + 2, 'r', 'real')], T0 + 2);
    expect(again.quarantine({}).classes.items.map((c) => c.assetClass)).toEqual([
      'junk-1',
      'junk-2',
      'real',
    ]);
  });

  it('makes a class declared in the new configuration fleet, its counters as they were', async () => {
    const engine = engineWith({ state: { quarantine: small } });
    engine.apply(junkClasses(3, T0), T0);
    engine.apply([at(T0 + 1, 'j2b', 'junk-2')], T0 + 1);
    const points = (lines: string[]) =>
      series(lines, 'twin_points_total').find((l) => l.includes('"junk-2"'));
    const counted = points(await scrape(engine));
    expect(counted).toContain(' 2');

    const again = restored(engine, {
      state: { quarantine: small, declared: { ...declaring.state?.declared, 'junk-2': [] } },
    });
    expect(again.quarantine({}).classes.items.map((c) => c.assetClass)).toEqual([
      'junk-0',
      'junk-1',
    ]);
    expect(points(await scrape(again))).toBe(counted);
    // Fleet now: a full quarantine of new names never evicts it.
    again.apply(
      Array.from({ length: 5 }, (_, i) => at(T0 + 2, `n${i}`, `new-${i}`)),
      T0 + 2,
    );
    expect(points(await scrape(again))).toBe(counted);
    expect(again.asset('j2b', T0)).toBeDefined();
  });

  it('brings a quarantine over a lowered bound within it, least recent first', async () => {
    const engine = engineWith({ state: { quarantine: small } });
    engine.apply(junkClasses(3, T0), T0);
    engine.apply([at(T0 + 1, 'junk-asset-0', 'junk-0')], T0 + 1);
    engine.apply([at(T0, 'p', 'pump', 'a'), at(T0 + 1, 'p', 'pump', 'b')], T0 + 1);
    const again = restored(engine, {
      state: { quarantine: { maxClasses: 1, maxPropertiesPerClass: 1 } },
    });
    const page = again.quarantine({});
    expect(page.classes.items.map((c) => c.assetClass)).toEqual(['junk-0']);
    expect(page.properties.items.map((p) => p.property)).toEqual(['b']);
    expect(again.asset('p', T0)?.properties.map((p) => p.property)).toEqual(['b']);
    const lines = await scrape(again);
    expect(lines).toContain('twin_state_evictions_total{reason="quarantine"} 2');
  });

  it('brings a quarantine over a lowered total within it, least recent of any class first', () => {
    const roomy = { maxClasses: 10, maxPropertiesPerClass: 10 };
    const engine = engineWith({ state: { quarantine: roomy } });
    engine.apply([at(T0, 'a', 'alpha', 'a1')], T0);
    engine.apply([at(T0 + 1, 'b', 'beta', 'b1')], T0 + 1);
    engine.apply([at(T0 + 2, 'a', 'alpha', 'a2')], T0 + 2);
    const again = restored(engine, { state: { quarantine: { ...roomy, maxProperties: 2 } } });
    const page = again.quarantine({});
    expect(page.properties.items.map((p) => p.property)).toEqual(['a2', 'b1']);
    expect(page.evictions.property).toBe(1);
  });

  it('picks the same property to evict after a restore, among equal last-seen times', () => {
    const bounds = { maxClasses: 10, maxPropertiesPerClass: 10, maxProperties: 3 };
    const engine = engineWith({ state: { quarantine: bounds } });
    // Admitted a1, b1, a2 at once; a restore lists them class by class: a1, a2, b1.
    engine.apply(
      [at(T0, 'a', 'alpha', 'a1'), at(T0, 'b', 'beta', 'b1'), at(T0, 'a', 'alpha', 'a2')],
      T0,
    );
    engine.apply([at(T0 + 1, 'a', 'alpha', 'a1')], T0 + 1);
    const again = restored(engine, { state: { quarantine: bounds } });
    // b1 and a2 were last seen at T0: the first admitted (b1) goes, live and restored alike.
    for (const e of [engine, again]) e.apply([at(T0 + 2, 'g', 'gamma', 'g1')], T0 + 2);
    expect(engine.quarantine({}).properties.items.map((p) => p.property)).toEqual([
      'a1',
      'a2',
      'g1',
    ]);
    expect(again.snapshot()).toEqual(engine.snapshot());
    expect(again.quarantine({})).toEqual(engine.quarantine({}));
  });

  it('reads a format 1 snapshot, taking last-seen times from the assets', () => {
    const engine = engineWith({ state: { quarantine: small } });
    engine.apply([at(T0, 'a', 'alpha', 'x')], T0);
    engine.apply([at(T0 + 5, 'b', 'beta', 'y')], T0 + 5);
    const snapshot = JSON.parse(JSON.stringify(engine.snapshot())) as TwinSnapshot;
    const old = {
      ...snapshot,
      format: 1 as const,
      classes: snapshot.classes.map(({ lastSeenMs: _l, properties: _p, ...c }) => c),
      quarantineEvictions: undefined,
    };
    const state = restoreState(old, testConfig({ state: { quarantine: small } }));
    expect(state.classes.get('beta')?.lastSeenMs).toBe(T0 + 5);
    expect(state.classes.get('alpha')?.specs.get('x')?.lastSeenMs).toBe(T0);
    expect(state.quarantinedClasses).toBe(2);
    expect(() => restoreState({ ...old, format: 3 as never }, testConfig())).toThrow(/format 3/);
  });
});

describe('the checkpoint under attack', () => {
  it('stays within 4 MiB with every bound full of 256-character names, and declared names get in', async () => {
    // The default bounds: 500 classes, 1,000 properties per class and 10,000 in all.
    const config = configFromDocument({
      state: { declared: { chiller: ['supply_temp'], pump: ['flow'] } },
    });
    const engine = new TwinEngine(config);
    const { maxClasses, maxProperties } = engine.quarantine({}).limits;
    const long = (name: string) => name.padEnd(256, '~');
    // Twice the total bound of new properties, spread over as many classes as are held, 1,000 a
    // request: more only churns the quarantine, it holds no more.
    const sent = 2 * maxProperties;
    let t = T0;
    for (let k = 0; k < sent; k += 1000, t++) {
      const points = Array.from({ length: 1000 }, (_, i) => {
        const c = (k + i) % maxClasses;
        return at(t, `junk-asset-${c}`, long(`junk-${c}-`), long(`junk-property-${k + i}-`));
      });
      engine.apply(points, t);
    }
    const page = engine.quarantine({});
    expect(page.classes.total).toBe(500);
    expect(page.properties.total).toBe(10_000);
    expect(page.evictions).toEqual({ class: 0, property: sent - maxProperties });
    let lines = await scrape(engine);
    expect(lines).toContain('twin_quarantine_classes 500');
    expect(lines).toContain('twin_quarantine_properties 10000');

    // What each checkpoint writes of the classes and their names (DurableTwin's cut), on the
    // event loop: about 3.2 MB here.
    const started = performance.now();
    const aggregates = JSON.stringify(engine.aggregatesSnapshot());
    const encodeMs = performance.now() - started;
    expect(Buffer.byteLength(aggregates)).toBeLessThan(4 * 2 ** 20);
    expect(encodeMs).toBeLessThan(500);

    // Declared names take no slot and evict nothing.
    const declared = [at(t, 'p1', 'pump', 'flow'), at(t, 'c1', 'chiller', 'supply_temp')];
    expect(engine.apply(declared, t)).toBe(0);
    expect(engine.asset('c1', t)?.properties.map((p) => p.property)).toEqual(['supply_temp']);
    expect(engine.asset('p1', t)?.properties.map((p) => p.property)).toEqual(['flow']);
    expect(engine.quarantine({}).evictions).toEqual(page.evictions);
    // A real undeclared class evicts the least recent junk class (its 20 properties with it).
    expect(engine.apply([at(t, 'b1', 'boiler', 'x')], t)).toBe(0);
    expect(engine.quarantine({}).evictions.class).toBe(1);
    lines = await scrape(engine);
    expect(lines).toContain('twin_quarantine_classes 500');
    expect(lines).toContain('twin_quarantine_properties 9981');
  });
});
