import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configFromDocument, type ExporterConfig } from '../config/index.js';
import { decodeAndNormalize } from '../ingest/otlp/normalize.js';
import { attributes, encode } from '../../test/ingest/otlp/testing.js';
import type { OtlpRequest } from '../ingest/pipeline.js';
import { snapshotToChunks, TwinEngine } from '../twin/engine.js';
import { point } from '../../test/twin/fixtures.js';
import { DurableTwin, journalPathFor, restoreCheckpoint } from './durable-twin.js';

const T0 = 1_700_000_000_000;
let dir: string;
let twin: DurableTwin | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'twinops-durable-'));
});
afterEach(async () => {
  await twin?.close();
  twin = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function configWith(document: Record<string, unknown> = {}): ExporterConfig {
  return configFromDocument({
    state: { snapshot: { path: join(dir, 'state.db'), interval: '1h' }, historyLength: 4 },
    sli: { divergence: { defaultTolerance: { kind: 'absolute', epsilon: 0.5 } } },
    ...document,
  });
}

async function open(config = configWith(), registry?: Registry): Promise<DurableTwin> {
  twin = await DurableTwin.open({ config, retries: config.ingest.retries, registry });
  return twin;
}

async function reopen(config = configWith(), registry?: Registry): Promise<DurableTwin> {
  await twin?.close();
  twin = undefined;
  return open(config, registry);
}

/** An OTLP/JSON request: one gauge point per asset (physical and twin), gzip if asked. */
function request(
  assets: string[],
  value: number,
  receivedMs: number,
  gzip = false,
): { request: OtlpRequest; decode: () => ReturnType<typeof decodeAndNormalize> } {
  const body = encode('metrics', 'otlp_json', {
    resourceMetrics: assets.map((id) => ({
      resource: { attributes: attributes({ 'twin.asset.id': id, 'twin.asset.class': 'pump' }) },
      scopeMetrics: [
        {
          metrics: (['physical', 'twin'] as const).map((source) => ({
            name: 'flow',
            gauge: {
              dataPoints: [
                {
                  timeUnixNano: String(BigInt(receivedMs - 100) * 1_000_000n),
                  asDouble: source === 'twin' ? value + 1 : value,
                  attributes: attributes({ 'twin.source': source }),
                },
              ],
            },
          })),
        },
      ],
    })),
  });
  return {
    request: {
      signal: 'metrics',
      encoding: 'otlp_json',
      raw: gzip ? gzipSync(body) : body,
      contentEncoding: gzip ? 'gzip' : 'identity',
      body,
      receivedMs,
    },
    decode: () => decodeAndNormalize('metrics', 'otlp_json', body),
  };
}

async function send(t: DurableTwin, assets: string[], value: number, receivedMs: number) {
  const { request: r, decode } = request(assets, value, receivedMs, value % 2 === 0);
  return t.otlp(r, decode);
}

async function sample(registry: Registry, name: string): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return metric?.values[0]?.value;
}

describe('the durable twin', () => {
  it('rebuilds from the journal alone exactly what it served', async () => {
    const live = await open();
    for (let i = 0; i < 12; i++) {
      const outcome = await send(live, [`p${i % 5}`, `q${i % 3}`], i, T0 + i * 1_000);
      expect(outcome).toMatchObject({ retry: false, rejected: 0 });
    }
    await live.retire(['q2']);
    await live.evaluatePass();
    const served = live.engine.snapshot();
    expect(served.assets.map((a) => a.id).sort()).toEqual([
      'p0',
      'p1',
      'p2',
      'p3',
      'p4',
      'q0',
      'q1',
    ]);

    const registry = new Registry();
    const restarted = await reopen(configWith(), registry);
    expect(restarted.engine.snapshot()).toEqual(served);
    // configure + 12 requests + retirement + evaluation slice(s)
    expect(await sample(registry, 'twin_exporter_journal_replayed_records')).toBeGreaterThan(14);
  });

  it('rebuilds from a checkpoint and the journal after it, and trims the journal', async () => {
    const live = await open();
    for (let i = 0; i < 6; i++) await send(live, [`p${i}`], i, T0 + i * 1_000);
    await live.checkpoint();
    const journal = () =>
      new Database(journalPathFor(join(dir, 'state.db')), { readonly: true })
        .prepare('SELECT count(*) AS n FROM journal')
        .get() as { n: number };
    for (let i = 6; i < 10; i++) await send(live, [`p${i % 3}`, `n${i}`], i, T0 + i * 1_000);
    await live.evaluatePass();
    const served = live.engine.snapshot();

    const registry = new Registry();
    const restarted = await reopen(configWith(), registry);
    expect(restarted.engine.snapshot()).toEqual(served);
    // Only what came after the checkpoint was replayed (4 requests and the evaluation).
    expect(await sample(registry, 'twin_exporter_journal_replayed_records')).toBe(5);
    await restarted.checkpoint();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(journal().n).toBe(0);
    const fromCheckpoint = await restoreCheckpoint(join(dir, 'state.db'), configWith());
    expect(fromCheckpoint.engine.snapshot()).toEqual(served);
  });

  it('answers a byte-identical retry as the first and applies it once, across a restart', async () => {
    const registry = new Registry();
    const live = await open(configWith(), registry);
    const first = request(['p1'], 7, T0);
    let decoded = 0;
    const decode = () => (decoded++, first.decode());
    expect(await live.otlp(first.request, decode)).toMatchObject({ retry: false });
    // The same bytes, however compressed, received later: a retry.
    const again = {
      ...first.request,
      raw: gzipSync(first.request.body),
      contentEncoding: 'gzip' as const,
      receivedMs: T0 + 5_000,
    };
    expect(await live.otlp(again, decode)).toMatchObject({ retry: true, rejected: 0 });
    expect(decoded).toBe(1);
    const points = live.engine.aggregates.classes.get('pump')!.points[0];
    expect(points).toBe(1);

    const restarted = await reopen();
    expect(await restarted.otlp(again, decode)).toMatchObject({ retry: true });
    expect(restarted.engine.aggregates.classes.get('pump')!.points[0]).toBe(1);
    expect(decoded).toBe(1);
  });

  it('waits for the first copy of a request still being written, and applies it once', async () => {
    const live = await open();
    const { request: r, decode } = request(['p1'], 3, T0);
    const [a, b] = await Promise.all([live.otlp(r, decode), live.otlp(r, decode)]);
    expect([a.retry, b.retry].sort()).toEqual([false, true]);
    expect(live.engine.aggregates.classes.get('pump')!.points[0]).toBe(1);
  });

  it('switches configuration at a restart through the journal, so a crash after replays it', async () => {
    const strict = configWith();
    const live = await open(strict);
    await live.applyPoints(
      [
        point({ assetId: 'p', property: 'flow', value: 10, sourceTimeMs: T0 }),
        point({ assetId: 'p', property: 'flow', source: 'twin', value: 12, sourceTimeMs: T0 }),
      ],
      T0,
    );
    expect(live.engine.asset('p', T0 + 60_000)?.diverged).toBe(true);
    const loose = configWith({
      sli: { divergence: { defaultTolerance: { kind: 'absolute', epsilon: 5 } } },
    });
    const switched = await reopen(loose);
    expect(switched.engine.asset('p', T0 + 60_000)?.diverged).toBe(false);
    await switched.applyPoints(
      [point({ assetId: 'p', property: 'flow', source: 'twin', value: 20, sourceTimeMs: T0 + 1 })],
      T0 + 1,
    );
    const served = switched.engine.snapshot();
    // No checkpoint since: the journal holds the switch and what came after it.
    const again = await reopen(loose);
    expect(again.engine.snapshot()).toEqual(served);
    expect(again.engine.config.sli.divergence.defaultTolerance).toEqual({
      kind: 'absolute',
      epsilon: 5,
    });
  });

  it('applies Kafka messages once by offset, and remembers the offsets across a restart', async () => {
    const live = await open();
    const body = (value: number) => request(['k1'], value, T0).request.body;
    const batch = (from: number, values: number[]) => ({
      topic: 't',
      partition: 2,
      signal: 'metrics' as const,
      encoding: 'otlp_json' as const,
      receivedMs: T0,
      messages: values.map((v, i) => ({
        offset: String(from + i),
        body: body(v),
        batch: decodeAndNormalize('metrics', 'otlp_json', body(v)),
      })),
    });
    expect(await live.kafka(batch(10, [1, 2, 3]))).toEqual([0, 0, 0]);
    expect(await live.kafka(batch(11, [2, 3, 4]))).toEqual([undefined, undefined, 0]);
    expect(live.appliedOffsets()).toEqual({ 't:2': '14' });
    const restarted = await reopen();
    expect(restarted.appliedOffset('t', 2)).toBe(14n);
    expect(restarted.engine.aggregates.classes.get('pump')!.points[0]).toBe(4);
  });

  it('migrates the whole snapshot an earlier version stored, then keeps checkpoints', async () => {
    const config = configWith();
    const old = new TwinEngine(config);
    old.apply([point({ assetId: 'legacy', property: 'flow', value: 4, sourceTimeMs: T0 })], T0);
    const db = new Database(config.state.snapshot.path);
    db.exec(`
      CREATE TABLE snapshot_meta (id INTEGER PRIMARY KEY, taken_at_ms INTEGER, chunk_count INTEGER);
      CREATE TABLE snapshot_chunks (seq INTEGER PRIMARY KEY, data TEXT NOT NULL);
      CREATE TABLE kafka_offsets (topic_partition TEXT PRIMARY KEY, next_offset TEXT NOT NULL);
    `);
    const chunks = snapshotToChunks(old.snapshot());
    chunks.forEach((chunk, seq) =>
      db.prepare('INSERT INTO snapshot_chunks VALUES (?, ?)').run(seq, chunk),
    );
    db.prepare('INSERT INTO snapshot_meta VALUES (1, ?, ?)').run(T0, chunks.length);
    db.prepare("INSERT INTO kafka_offsets VALUES ('t:0', '42')").run();
    db.close();

    const migrated = await open(config);
    expect(migrated.engine.asset('legacy', T0)?.properties[0]?.physical?.value).toBe(4);
    expect(migrated.appliedOffsets()).toEqual({ 't:0': '42' });
    await migrated.checkpoint();
    const tables = new Database(config.state.snapshot.path, { readonly: true })
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all();
    expect(tables).toEqual(['checkpoint_assets', 'checkpoint_meta', 'checkpoint_recent']);
    const again = await reopen(config);
    expect(again.engine.asset('legacy', T0)?.properties[0]?.physical?.value).toBe(4);
    expect(again.appliedOffsets()).toEqual({ 't:0': '42' });
  });

  it('keeps nothing without a path, and applies at once', async () => {
    const live = await open(configWith({ state: { snapshot: { path: ':memory:' } } }));
    expect(live.persistent).toBe(false);
    await send(live, ['p1'], 1, T0);
    expect(live.engine.assetCount).toBe(1);
  });
});

describe('what the durable twin writes to disk', () => {
  it('holds the engine configuration only: never a secret of the exporter', async () => {
    const secret = 'proxy-secret-4f1c9a';
    const password = 'sasl-password-77d2e0';
    const config = configWith();
    config.commands.auth.grafanaProxy = { secret, roleMap: {} };
    config.ingest.kafka.sasl = { enabled: true, mechanism: 'plain', username: 'u', password };
    const live = await open(config);
    await send(live, ['p1'], 1, T0);
    await live.checkpoint();
    await send(live, ['p2'], 2, T0 + 1);
    await live.close();
    twin = undefined;
    const { readFileSync, readdirSync } = await import('node:fs');
    for (const file of readdirSync(dir)) {
      const bytes = readFileSync(join(dir, file)).toString('latin1');
      expect(bytes, file).not.toContain(secret);
      expect(bytes, file).not.toContain(password);
    }
    const restarted = await open(config);
    expect(restarted.engine.config).toEqual({
      state: config.state,
      sli: config.sli,
      metrics: config.metrics,
    });
  });
});
