import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { serveHttp, type LoopbackServer } from '../test/bed/http.js';
import {
  assetsHitBy,
  changedBy,
  countBy,
  parseScenario,
  runSimulation,
  select,
  startSimulation,
  type SimulationOptions,
  type TruthPoint,
} from './index.js';

/** One request the fake OTLP endpoint received. */
interface Captured {
  method: string;
  url: string;
  contentType: string;
  body: Buffer;
  receivedAtMs: number;
}

let server: LoopbackServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A loopback OTLP/HTTP endpoint that records every request and answers with `status`. */
async function captureEndpoint(status = 200): Promise<Captured[]> {
  const requests: Captured[] = [];
  server = await serveHttp((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        contentType: req.headers['content-type'] ?? '',
        body: Buffer.concat(chunks),
        receivedAtMs: Date.now(),
      });
      // An empty body is a valid (full success) response in both encodings.
      res.writeHead(status).end();
    });
  });
  return requests;
}

/** A point as it arrived in OTLP JSON, flattened; ns timestamps as exact decimal strings. */
interface WirePoint {
  assetId: string;
  assetClass: string;
  site: string;
  source: string;
  property: string;
  value: number;
  timeUnixNano: string;
  modelName?: string;
  modelVersion?: string;
  targetTimeUnixNano?: string;
  desiredVersion?: number;
  reportedVersion?: number;
  receivedAtMs: number;
}

interface AnyValue {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
}
interface KeyValue {
  key: string;
  value: AnyValue;
}

/** Decodes captured OTLP JSON independently of the simulator, failing on anything unexpected. */
function decodeJson(requests: readonly Captured[]): WirePoint[] {
  const points: WirePoint[] = [];
  for (const request of requests) {
    const body = JSON.parse(request.body.toString()) as {
      resourceMetrics: {
        resource: { attributes: KeyValue[] };
        scopeMetrics: {
          metrics: { name: string; gauge: { dataPoints: Record<string, unknown>[] } }[];
        }[];
      }[];
    };
    // The SDK sends one ResourceMetrics per export call.
    expect(body.resourceMetrics).toHaveLength(1);
    for (const rm of body.resourceMetrics) {
      const resource = attributeMap(rm.resource.attributes);
      expect(Object.keys(resource).sort()).toEqual([
        'twin.asset.class',
        'twin.asset.id',
        'twin.site',
      ]);
      for (const sm of rm.scopeMetrics) {
        for (const metric of sm.metrics) {
          expect(metric.name).toBe('twin.value');
          for (const dp of metric.gauge.dataPoints) {
            const {
              'twin.source': source,
              'twin.property': property,
              ...rest
            } = attributeMap(dp.attributes as KeyValue[]);
            const point: WirePoint = {
              assetId: String(resource['twin.asset.id']),
              assetClass: String(resource['twin.asset.class']),
              site: String(resource['twin.site']),
              source: String(source),
              property: String(property),
              value: dp.asDouble as number,
              timeUnixNano: dp.timeUnixNano as string,
              receivedAtMs: request.receivedAtMs,
            };
            const known: Record<string, (v: string | number) => void> = {
              'twin.model.name': (v) => (point.modelName = String(v)),
              'twin.model.version': (v) => (point.modelVersion = String(v)),
              'twin.prediction.target_time_unix_nano': (v) =>
                (point.targetTimeUnixNano = BigInt(v).toString()),
              'twin.desired.version': (v) => (point.desiredVersion = Number(v)),
              'twin.reported.version': (v) => (point.reportedVersion = Number(v)),
            };
            for (const [key, v] of Object.entries(rest)) {
              if (!known[key]) throw new Error(`unexpected attribute ${key}`);
              known[key](v);
            }
            points.push(point);
          }
        }
      }
    }
  }
  return points;
}

function attributeMap(attributes: readonly KeyValue[]): Record<string, string | number> {
  const map: Record<string, string | number> = {};
  for (const { key, value } of attributes) {
    const v = value.stringValue ?? value.intValue ?? value.doubleValue;
    if (v === undefined) throw new Error(`attribute ${key} has an unexpected type`);
    map[key] = v;
  }
  return map;
}

/** The ground truth in the wire's shape, to compare with what arrived. */
function expectedWire(points: readonly TruthPoint[]): Omit<WirePoint, 'receivedAtMs'>[] {
  return points.map((p) => ({
    assetId: p.assetId,
    assetClass: p.assetClass,
    site: p.site,
    source: p.source,
    property: p.property,
    value: p.value,
    timeUnixNano: p.timeUnixNano,
    ...(p.modelName !== undefined && { modelName: p.modelName }),
    ...(p.modelVersion !== undefined && { modelVersion: p.modelVersion }),
    ...(p.targetTimeUnixNano !== undefined && { targetTimeUnixNano: p.targetTimeUnixNano }),
    ...(p.desiredVersion !== undefined && { desiredVersion: p.desiredVersion }),
    ...(p.reportedVersion !== undefined && { reportedVersion: p.reportedVersion }),
  }));
}

const byIdentity = (a: {
  assetId: string;
  source: string;
  property: string;
  timeUnixNano: string;
}) => `${a.assetId}|${a.source}|${a.property}|${a.timeUnixNano.padStart(20, '0')}`;

function sorted<T extends Parameters<typeof byIdentity>[0]>(points: readonly T[]): T[] {
  return [...points].sort((a, b) => byIdentity(a).localeCompare(byIdentity(b)));
}

/** Small and fast: 6 assets (2 per class, sites a and b), 40 ms ticks, 1–10 ms delays. */
function options(endpoint: string, extra: SimulationOptions = {}): SimulationOptions {
  return {
    endpoint,
    encoding: 'json',
    assets: 6,
    tickMs: 40,
    ticks: 6,
    seed: 7,
    sendDelayMs: { min: 1, max: 10 },
    ...extra,
  };
}

describe('fleet simulator', () => {
  it('sends exactly its ground truth as OTLP JSON, with exact timestamps', async () => {
    const requests = await captureEndpoint();
    const result = await runSimulation(options(server!.url, { desiredChangeProbability: 0.5 }));

    // 6 ticks × (2 pumps × 2 properties + 2 valves + 2 conveyors) × 3 sources.
    expect(result.points).toHaveLength(6 * 8 * 3);
    expect(countBy(result.points, (p) => p.source)).toEqual({ physical: 48, twin: 48, model: 48 });
    expect(countBy(result.points, (p) => p.site)).toEqual({ 'site-a': 72, 'site-b': 72 });
    expect(result.exports).toEqual({
      sent: requests.length,
      succeeded: requests.length,
      failed: 0,
      errors: [],
    });
    expect(result.points.every((p) => p.delivered)).toBe(true);
    for (const request of requests) {
      expect(request.method).toBe('POST');
      expect(request.url).toBe('/v1/metrics');
      expect(request.contentType).toBe('application/json');
    }

    const wire = decodeJson(requests).map(({ receivedAtMs: _, ...p }) => p);
    expect(sorted(wire)).toEqual(sorted(expectedWire(result.points)));

    // The int64 target time travels as a JSON number: its digits must be the exact nanoseconds.
    const raw = requests.map((r) => r.body.toString()).join('\n');
    const predictions = select(result.points, { source: 'model' });
    for (const p of predictions) {
      expect(p.targetTimeMs).toBe(p.sourceTimeMs + result.tickMs);
      expect(raw).toContain(
        `{"key":"twin.prediction.target_time_unix_nano","value":{"intValue":${p.targetTimeUnixNano}}}`,
      );
    }
    // Physical readings are stamped on the tick grid and never sent before they were observed.
    for (const p of select(result.points, { source: 'physical' })) {
      expect((p.sourceTimeMs - result.startTimeMs) % result.tickMs).toBe(0);
      expect(p.sentAtMs).toBeGreaterThanOrEqual(p.sourceTimeMs);
    }

    // Convergence: every reported version was desired earlier on the same asset.
    const desired = result.points.filter((p) => p.desiredVersion !== undefined);
    const reported = result.points.filter((p) => p.reportedVersion !== undefined);
    expect(reported.length).toBeGreaterThan(0);
    for (const r of reported) {
      expect(r.source).toBe('physical');
      const ask = desired.find(
        (d) => d.assetId === r.assetId && d.desiredVersion === r.reportedVersion,
      );
      expect(ask?.source).toBe('twin');
      expect(r.sourceTimeMs).toBeGreaterThan(ask!.sourceTimeMs);
    }
  });

  it('holds a partitioned site back and then delivers its points at once, with original times', async () => {
    const requests = await captureEndpoint();
    const result = await runSimulation(
      options(server!.url, {
        ticks: 10,
        scenarios: [{ kind: 'partition', targets: ['site-a'], fromMs: 80, toMs: 240 }],
      }),
    );
    const [window] = result.windows;
    expect(window).toMatchObject({
      kind: 'partition',
      assets: ['pump-1', 'valve-1', 'conveyor-1'],
      fromMs: result.startTimeMs + 80,
      toMs: result.startTimeMs + 240,
    });
    expect(assetsHitBy(result.windows, 'partition')).toEqual(new Set(window!.assets));

    // Ticks 2–5 of site-a: 4 ticks × 4 properties × 3 sources.
    const held = changedBy(result.points, 'partition');
    expect(held).toHaveLength(48);
    for (const assetId of window!.assets) {
      const ofAsset = select(held, { assetId });
      // One export call per asset carried its whole backlog, after the window closed.
      expect(new Set(ofAsset.map((p) => p.exportId)).size).toBe(1);
      expect(ofAsset[0]!.sentAtMs).toBeGreaterThanOrEqual(window!.toMs!);
      const ticks = new Set(select(ofAsset, { source: 'physical' }).map((p) => p.sourceTimeMs));
      expect([...ticks].sort()).toEqual([2, 3, 4, 5].map((i) => result.startTimeMs + i * 40));
    }
    // Everything else flowed: sent within the normal delay (at most 80 ms, plus generous timer slack).
    for (const p of result.points.filter((p) => !p.scenarios?.includes('partition'))) {
      expect(p.sentAtMs - p.sourceTimeMs).toBeLessThan(80 + 150);
    }

    // On the wire: the held points arrived after the window, carrying their original times.
    const wire = decodeJson(requests);
    expect(sorted(wire.map(({ receivedAtMs: _, ...p }) => p))).toEqual(
      sorted(expectedWire(result.points)),
    );
    const heldKeys = new Set(held.map(byIdentity));
    const heldOnWire = wire.filter((p) => heldKeys.has(byIdentity(p)));
    expect(heldOnWire).toHaveLength(48);
    for (const p of heldOnWire) {
      expect(p.receivedAtMs).toBeGreaterThanOrEqual(window!.toMs!);
      expect(BigInt(p.timeUnixNano)).toBeLessThan(BigInt(window!.toMs! + 40) * 1_000_000n);
    }
  });

  it('stamps a skewed asset with future times', async () => {
    const requests = await captureEndpoint();
    const result = await runSimulation(
      options(server!.url, { scenarios: [{ kind: 'skew', targets: ['valve-1'], skewMs: 60_000 }] }),
    );
    const skewed = changedBy(result.points, 'skew');
    expect(skewed.length).toBe(6);
    expect(skewed.every((p) => p.assetId === 'valve-1' && p.source === 'physical')).toBe(true);

    for (const p of decodeJson(requests)) {
      const ahead = Number(BigInt(p.timeUnixNano) / 1_000_000n) - p.receivedAtMs;
      if (p.assetId === 'valve-1' && p.source === 'physical') {
        expect(ahead).toBeGreaterThan(59_000);
      } else {
        expect(ahead).toBeLessThanOrEqual(0);
      }
    }
  });

  it('gives the same ground truth for the same seed, and another for another seed', async () => {
    await captureEndpoint();
    const run = async (seed: number) => {
      const result = await runSimulation(
        options(server!.url, {
          seed,
          startTimeMs: 1_700_000_000_000,
          desiredChangeProbability: 0.3,
          scenarios: [parseScenario('drift:pump-2@40ms'), parseScenario('regression=9.9.9:valve')],
        }),
      );
      return sorted(result.points.map(({ exportId: _, sentAtMs: __, ...p }) => p));
    };
    const first = await run(42);
    expect(first[0]!.timeUnixNano.startsWith('1700000000')).toBe(true);
    expect(await run(42)).toEqual(first);
    const other = await run(43);
    expect(other.map((p) => p.value)).not.toEqual(first.map((p) => p.value));
  });

  it('drifts a sensor away from its twin and makes a regressed model worse', async () => {
    await captureEndpoint();
    const result = await runSimulation(
      options(server!.url, {
        ticks: 10,
        scenarios: [
          { kind: 'drift', targets: ['pump-1'], properties: ['temperature'], fromMs: 80 },
          { kind: 'regression', targets: ['valve'], version: '3.0.0-rc1' },
        ],
      }),
    );
    const gap = (assetId: string, property: string, timeMs: number): number => {
      const physical = select(result.points, { assetId, property, source: 'physical' }).find(
        (p) => p.sourceTimeMs === timeMs,
      )!;
      const twin = select(result.points, { assetId, property, source: 'twin' }).find(
        (p) => p.sourceTimeMs > timeMs && p.sourceTimeMs < timeMs + 40,
      )!;
      return Math.abs(physical.value - twin.value);
    };
    const tick = (i: number): number => result.startTimeMs + i * 40;
    // Temperature tolerance is 1: within it before the drift, five times it once ramped up.
    expect(gap('pump-1', 'temperature', tick(1))).toBeLessThan(1);
    expect(gap('pump-1', 'temperature', tick(8))).toBeGreaterThan(4);
    expect(gap('pump-1', 'pressure', tick(8))).toBeLessThan(0.1);
    expect(gap('pump-2', 'temperature', tick(8))).toBeLessThan(1);

    // Valve predictions: the unvetted version, and errors well beyond the 2 % tolerance.
    const predictionError = (assetClass: string, tolerance: number): number => {
      const errors = select(result.points, { assetClass, source: 'model' }).flatMap((m) => {
        const actual = result.points.find(
          (p) =>
            p.source === 'physical' &&
            p.assetId === m.assetId &&
            p.property === m.property &&
            p.sourceTimeMs === m.targetTimeMs,
        );
        return actual ? [Math.abs(m.value - actual.value) / tolerance] : [];
      });
      return errors.reduce((a, b) => a + b, 0) / errors.length;
    };
    const valvePredictions = select(result.points, { assetClass: 'valve', source: 'model' });
    expect(new Set(valvePredictions.map((p) => p.modelVersion))).toEqual(new Set(['3.0.0-rc1']));
    expect(predictionError('valve', 2)).toBeGreaterThan(0.8);
    expect(predictionError('conveyor', 0.05)).toBeLessThan(0.5);
    expect(
      new Set(
        select(result.points, { assetClass: 'conveyor', source: 'model' }).map(
          (p) => p.modelVersion,
        ),
      ),
    ).toEqual(new Set(['0.9.3']));
  });

  it('sends protobuf by default, with exact fixed64 timestamps', async () => {
    const requests = await captureEndpoint();
    const result = await runSimulation({ ...options(server!.url), encoding: undefined, ticks: 2 });
    expect(result.exports).toMatchObject({ sent: requests.length, failed: 0 });
    expect(requests.length).toBeGreaterThan(0);
    for (const request of requests) {
      expect(request.url).toBe('/v1/metrics');
      expect(request.contentType).toBe('application/x-protobuf');
    }
    const bodies = Buffer.concat(requests.map((r) => r.body));
    expect(bodies.includes('twin.asset.id')).toBe(true);
    for (const asset of result.assets) expect(bodies.includes(asset.id)).toBe(true);
    // time_unix_nano is a little-endian fixed64: each point's exact bytes must be there.
    for (const p of result.points) {
      const fixed64 = Buffer.alloc(8);
      fixed64.writeBigUInt64LE(BigInt(p.timeUnixNano));
      expect(bodies.includes(fixed64)).toBe(true);
    }
  });

  it('counts failed exports when the endpoint answers 500', async () => {
    const requests = await captureEndpoint(500);
    const result = await runSimulation(options(server!.url, { ticks: 2 }));
    expect(requests.length).toBe(result.exports.sent);
    expect(result.exports.sent).toBeGreaterThan(0);
    expect(result.exports).toMatchObject({ succeeded: 0, failed: result.exports.sent });
    expect(result.exports.errors.join('\n')).toMatch(/HTTP 500/);
    expect(result.points.some((p) => p.delivered)).toBe(false);
  });

  it('counts failed exports when the endpoint refuses connections', async () => {
    await captureEndpoint();
    const url = server!.url;
    await server!.close();
    server = undefined;
    const result = await runSimulation(options(url, { ticks: 2, timeoutMs: 300 }));
    expect(result.exports.sent).toBeGreaterThan(0);
    expect(result.exports).toMatchObject({ succeeded: 0, failed: result.exports.sent });
    expect(result.exports.errors.join('\n')).toMatch(/ECONNREFUSED/);
  });

  it('runs until stopped, writing the ground truth as JSON lines', async () => {
    await captureEndpoint();
    const dir = mkdtempSync(join(tmpdir(), 'twinops-sim-'));
    try {
      const truthFile = join(dir, 'truth.jsonl');
      const sim = startSimulation({
        ...options(server!.url),
        ticks: undefined,
        truthFile,
        scenarios: [{ kind: 'partition', targets: ['valve-2'], fromMs: 0 }],
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const live = sim.stats();
      expect(live.ticks).toBeGreaterThan(2);
      expect(live.held).toBeGreaterThan(0);
      const result = await sim.stop();
      expect(await sim.stop()).toBe(result);
      // The open partition is released on stop: nothing is lost.
      expect(sim.stats().held).toBe(0);
      expect(result.points).toHaveLength(result.ticks * 8 * 3);
      expect(result.windows[0]!.toMs).toBeNull();

      const lines = readFileSync(truthFile, 'utf8')
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as { type: string });
      expect(countBy(lines, (l) => l.type)).toEqual({
        window: 1,
        point: result.points.length,
        summary: 1,
      });
      expect(lines.at(-1)).toMatchObject({ type: 'summary', exports: { failed: 0 } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('scenario syntax', () => {
  it('parses kind, parameter, targets and window', () => {
    expect(parseScenario('drift:pump-3')).toEqual({ kind: 'drift', targets: ['pump-3'] });
    expect(parseScenario('partition:site-a,valve-2@30s+1m')).toEqual({
      kind: 'partition',
      targets: ['site-a', 'valve-2'],
      fromMs: 30_000,
      toMs: 90_000,
    });
    expect(parseScenario('regression=1.5.0-rc1:pump@500ms')).toEqual({
      kind: 'regression',
      version: '1.5.0-rc1',
      targets: ['pump'],
      fromMs: 500,
    });
    expect(parseScenario('skew=10s')).toEqual({ kind: 'skew', skewMs: 10_000 });
    expect(parseScenario('drift=8')).toEqual({ kind: 'drift', magnitude: 8 });
  });

  it('refuses what it cannot mean', async () => {
    expect(() => parseScenario('melt:pump-1')).toThrow(/unknown scenario kind "melt"/);
    expect(() => parseScenario('partition@30')).toThrow(/bad duration "30"/);
    expect(() => parseScenario('partition=3')).toThrow(/takes no parameter/);
    await expect(
      runSimulation({ ticks: 1, scenarios: [parseScenario('drift:pump-99')] }),
    ).rejects.toThrow(/no asset, class or site named "pump-99"/);
    await expect(
      runSimulation({
        endpoint: 'http://127.0.0.1:1',
        ticks: 1,
        timeoutMs: 100,
        truthFile: '/nonexistent-dir/truth.jsonl',
      }),
    ).rejects.toThrow(/ENOENT/);
  });
});
