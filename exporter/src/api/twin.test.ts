import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromDocument } from '../config/index.js';
import { startExporter, type RunningExporter } from '../exporter.js';

const text = (key: string, value: string) => ({ key, value: { stringValue: value } });
const ns = (ms: number): string => String(BigInt(Math.round(ms)) * 1_000_000n);

/** OTLP/JSON with one gauge point per entry, each with its own resource. */
function request(
  points: {
    asset: string;
    assetClass: string;
    site: string;
    source: string;
    property: string;
    value: number;
    atMs: number;
    extra?: object[];
  }[],
) {
  return {
    resourceMetrics: points.map((p) => ({
      resource: {
        attributes: [
          text('twin.asset.id', p.asset),
          text('twin.asset.class', p.assetClass),
          text('twin.site', p.site),
        ],
      },
      scopeMetrics: [
        {
          metrics: [
            {
              name: p.property,
              gauge: {
                dataPoints: [
                  {
                    timeUnixNano: ns(p.atMs),
                    asDouble: p.value,
                    attributes: [text('twin.source', p.source), ...(p.extra ?? [])],
                  },
                ],
              },
            },
          ],
        },
      ],
    })),
  };
}

function configFor(snapshotPath: string) {
  return configFromDocument({
    server: { host: '127.0.0.1', otlpPort: 0, metricsPort: 0, apiPort: 0 },
    state: { snapshot: { path: snapshotPath } },
    sli: {
      divergence: {
        rules: [{ property: 'temperature', tolerance: { kind: 'absolute', epsilon: 0.5 } }],
      },
      prediction: {
        matchWindow: '10ms',
        rules: [
          {
            kind: 'regression',
            property: 'temperature',
            tolerance: { kind: 'absolute', epsilon: 1 },
          },
        ],
      },
    },
  });
}

describe('twin API', () => {
  const snapshotPath = join(mkdtempSync(join(tmpdir(), 'twinops-api-')), 'state.db');
  let exporter: RunningExporter;
  const t0 = Date.now() - 5_000;
  const api = (path: string) => fetch(`${exporter.urls.api}${path}`);

  beforeAll(async () => {
    exporter = await startExporter(configFor(snapshotPath));
    const prediction = [
      text('twin.model.name', 'thermal'),
      text('twin.model.version', '3.2.0'),
      { key: 'twin.prediction.target_time_unix_nano', value: { stringValue: ns(t0 + 1000) } },
    ];
    const body = request([
      {
        asset: 'pump-1',
        assetClass: 'pump',
        site: 'site-a',
        source: 'physical',
        property: 'temperature',
        value: 60,
        atMs: t0,
      },
      {
        asset: 'pump-1',
        assetClass: 'pump',
        site: 'site-a',
        source: 'twin',
        property: 'temperature',
        value: 62,
        atMs: t0,
      },
      {
        asset: 'pump-1',
        assetClass: 'pump',
        site: 'site-a',
        source: 'model',
        property: 'temperature',
        value: 61.5,
        atMs: t0,
        extra: prediction,
      },
      {
        asset: 'pump-1',
        assetClass: 'pump',
        site: 'site-a',
        source: 'physical',
        property: 'temperature',
        value: 61,
        atMs: t0 + 1000,
      },
      {
        asset: 'valve-1',
        assetClass: 'valve',
        site: 'site-b',
        source: 'physical',
        property: 'position',
        value: 40,
        atMs: t0,
      },
    ]);
    const response = await fetch(`${exporter.urls.otlp}/v1/metrics`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(response.status).toBe(200);
  });
  afterAll(async () => exporter?.close());

  it('lists assets with filters and paging', async () => {
    const all = (await (await api('/api/v1/assets')).json()) as {
      total: number;
      items: { id: string }[];
    };
    expect(all.total).toBe(2);
    expect(all.items.map((a) => a.id)).toEqual(['pump-1', 'valve-1']);
    const valves = (await (await api('/api/v1/assets?class=valve')).json()) as {
      total: number;
      items: { id: string; site: string }[];
    };
    expect(valves.items).toEqual([expect.objectContaining({ id: 'valve-1', site: 'site-b' })]);
    const page = (await (await api('/api/v1/assets?limit=1&offset=1')).json()) as {
      total: number;
      items: { id: string }[];
    };
    expect(page).toMatchObject({ total: 2, items: [{ id: 'valve-1' }] });
  });

  it('shows one asset physical vs twin per property, with the divergence verdict', async () => {
    const asset = (await (await api('/api/v1/assets/pump-1')).json()) as {
      assetClass: string;
      properties: {
        property: string;
        physical: { value: number };
        twin: { value: number };
        divergence: object;
      }[];
    };
    expect(asset.assetClass).toBe('pump');
    expect(asset.properties).toEqual([
      expect.objectContaining({
        property: 'temperature',
        physical: expect.objectContaining({ value: 61 }),
        twin: expect.objectContaining({ value: 62 }),
      }),
    ]);
    expect(JSON.stringify(asset.properties[0]!.divergence)).toMatch(/absolute/);
  });

  it("serves a property's history and a model's predictions vs actuals", async () => {
    const history = (await (
      await api('/api/v1/assets/pump-1/properties/temperature/history')
    ).json()) as { value: number }[];
    expect(history.map((h) => h.value)).toContain(60);
    const predictions = await (
      await api('/api/v1/models/thermal/predictions?version=3.2.0')
    ).json();
    expect(predictions).toEqual([
      expect.objectContaining({
        assetId: 'pump-1',
        predicted: 61.5,
        actual: 61,
        error: 0.5,
        good: true,
        modelVersion: '3.2.0',
      }),
    ]);
    expect(await (await api('/api/v1/models/thermal/predictions?version=9.9.9')).json()).toEqual(
      [],
    );
  });

  it('answers 404 for what does not exist and 400 for bad queries, naming them', async () => {
    const missing = await api('/api/v1/assets/nope');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'no asset "nope"' });
    expect((await api('/api/v1/assets/pump-1/properties/voltage/history')).status).toBe(404);
    const bad = await api('/api/v1/assets?limit=0');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/limit/);
    expect((await api('/api/v1/assets?limit=100000')).status).toBe(400);
  });

  it('counts every request by route and code for the availability SLI', async () => {
    const metrics = await (await fetch(`${exporter.urls.metrics}/metrics`)).text();
    expect(metrics).toMatch(/twin_api_requests_total\{route="\/api\/v1\/assets",code="200"\} 3/);
    expect(metrics).toMatch(/twin_api_requests_total\{route="\/api\/v1\/assets",code="400"\} 2/);
    expect(metrics).toMatch(
      /twin_api_requests_total\{route="\/api\/v1\/assets\/:id",code="404"\} 1/,
    );
  });

  it('serves any asset id, property and model name through the query forms, and the path forms still', async () => {
    // A free string: space, slash, colon, hash, percent, question mark, non-ASCII.
    const odd = 'site a/pump:1#2 50%?é';
    const body = request([
      {
        asset: odd,
        assetClass: 'compressor',
        site: 'site a',
        source: 'physical',
        property: 'inlet/pressure',
        value: 7,
        atMs: t0,
      },
    ]);
    const ingest = await fetch(`${exporter.urls.otlp}/v1/metrics`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(ingest.status).toBe(200);
    const q = (params: Record<string, string>) => new URLSearchParams(params).toString();

    const asset = (await (await api(`/api/v1/asset?${q({ id: odd })}`)).json()) as {
      id: string;
      properties: { property: string }[];
    };
    expect(asset.id).toBe(odd);
    expect(asset.properties.map((p) => p.property)).toEqual(['inlet/pressure']);
    // The same asset by its path form, escaped once as any client would.
    const byPath = (await (await api(`/api/v1/assets/${encodeURIComponent(odd)}`)).json()) as {
      id: string;
    };
    expect(byPath.id).toBe(odd);

    const history = (await (
      await api(`/api/v1/asset/history?${q({ id: odd, property: 'inlet/pressure' })}`)
    ).json()) as { value: number }[];
    expect(history.map((h) => h.value)).toEqual([7]);
    expect(
      await (await api('/api/v1/asset/history?id=pump-1&property=temperature')).json(),
    ).toEqual(await (await api('/api/v1/assets/pump-1/properties/temperature/history')).json());

    const predictions = await (
      await api(`/api/v1/predictions?${q({ model: 'thermal', version: '3.2.0' })}`)
    ).json();
    expect(predictions).toEqual(
      await (await api('/api/v1/models/thermal/predictions?version=3.2.0')).json(),
    );
    expect(predictions).toEqual([expect.objectContaining({ assetId: 'pump-1' })]);

    const missing = await api(`/api/v1/asset?${q({ id: `${odd}x` })}`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: `no asset "${odd}x"` });
    expect((await api(`/api/v1/asset/history?${q({ id: odd, property: 'nope' })}`)).status).toBe(
      404,
    );
  });

  it('refuses query forms without their names, with empty or oversized ones, or with unknown keys', async () => {
    const refused = async (path: string, names: RegExp) => {
      const response = await api(path);
      expect(response.status, path).toBe(400);
      expect(((await response.json()) as { error: string }).error, path).toMatch(names);
    };
    await refused('/api/v1/asset', /id/);
    await refused('/api/v1/asset?id=', /id/);
    await refused(`/api/v1/asset?id=${'a'.repeat(257)}`, /id/);
    expect((await api(`/api/v1/asset?id=${'a'.repeat(256)}`)).status).toBe(404);
    await refused('/api/v1/asset?id=pump-1&idd=x', /additional/);
    await refused('/api/v1/asset/history?id=pump-1', /property/);
    await refused('/api/v1/predictions?version=1', /model/);
    await refused(`/api/v1/predictions?model=thermal&asset=${'a'.repeat(257)}`, /asset/);
  });

  it('comes back after a restart with the same state and counters (SQLite snapshot)', async () => {
    const before = await (await fetch(`${exporter.urls.metrics}/metrics`)).text();
    const points = /^twin_points_total\{asset_class="pump",source="physical"\} (\d+)$/m.exec(
      before,
    )?.[1];
    expect(points).toBe('2');
    await exporter.close();
    exporter = await startExporter(configFor(snapshotPath));
    const after = await (await fetch(`${exporter.urls.metrics}/metrics`)).text();
    expect(
      /^twin_points_total\{asset_class="pump",source="physical"\} (\d+)$/m.exec(after)?.[1],
    ).toBe('2');
    const asset = (await (await api('/api/v1/assets/pump-1')).json()) as {
      properties: { physical: { value: number } }[];
    };
    expect(asset.properties[0]!.physical.value).toBe(61);
  });
});

describe('the quarantine on the twin API and /metrics', () => {
  const snapshotPath = join(mkdtempSync(join(tmpdir(), 'twinops-quarantine-api-')), 'state.db');
  let exporter: RunningExporter;
  const t0 = Date.now() - 5_000;
  const api = (path: string) => fetch(`${exporter.urls.api}${path}`);
  const send = async (points: Parameters<typeof request>[0]) => {
    const response = await fetch(`${exporter.urls.otlp}/v1/metrics`, {
      method: 'POST',
      body: JSON.stringify(request(points)),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { partialSuccess?: { rejectedDataPoints?: string } };
  };
  const reading = (asset: string, assetClass: string, property: string, atMs: number) => ({
    asset,
    assetClass,
    site: 's',
    source: 'physical',
    property,
    value: 1,
    atMs,
  });

  beforeAll(async () => {
    exporter = await startExporter(
      configFromDocument({
        server: { host: '127.0.0.1', otlpPort: 0, metricsPort: 0, apiPort: 0 },
        state: {
          snapshot: { path: snapshotPath },
          quarantine: { maxClasses: 3, maxPropertiesPerClass: 3 },
        },
        sli: { freshness: { classes: { pump: { staleAfter: '1m' } } } },
      }),
    );
  });
  afterAll(async () => exporter?.close());

  it('lets a real class in after junk filled the quarantine, and lists what is quarantined', async () => {
    // Junk sent once fills the quarantine; the declared class pump still gets in.
    await send([0, 1, 2].map((i) => reading(`j${i}`, `junk-${i}`, 'x', t0)));
    const first = await send([reading('pump-1', 'pump', 'flow', t0 + 1)]);
    expect(first.partialSuccess?.rejectedDataPoints ?? '0').toBe('0');
    // A real undeclared class, sending repeatedly: admitted by evicting the least recent junk.
    for (let i = 0; i < 3; i++) {
      const sent = await send([reading('boiler-1', 'boiler', 'pressure', t0 + 10 + i)]);
      expect(sent.partialSuccess?.rejectedDataPoints ?? '0').toBe('0');
    }

    const response = await api('/api/v1/quarantine');
    expect(response.status).toBe(200);
    const page = (await response.json()) as {
      limits: object;
      evictions: object;
      classes: { total: number; items: { assetClass: string; assets: number }[] };
      properties: { total: number; items: { assetClass: string; property: string }[] };
    };
    expect(page.limits).toEqual({ maxClasses: 3, maxPropertiesPerClass: 3, maxProperties: 10_000 });
    expect(page.evictions).toEqual({ class: 1, property: 0 });
    expect(page.classes.items.map((c) => [c.assetClass, c.assets])).toEqual([
      ['junk-1', 1],
      ['junk-2', 1],
      ['boiler', 1],
    ]);
    // Every property of pump is undeclared too (no rule names one): quarantined in pump.
    expect(page.properties.items.map((p) => `${p.assetClass}/${p.property}`)).toEqual([
      'junk-1/x',
      'junk-2/x',
      'pump/flow',
      'boiler/pressure',
    ]);
    const pumpOnly = (await (await api('/api/v1/quarantine?class=pump&limit=1')).json()) as {
      properties: { total: number };
      classes: { total: number };
    };
    expect(pumpOnly.properties.total).toBe(1);
    expect(pumpOnly.classes.total).toBe(3);

    const metrics = await (await fetch(`${exporter.urls.metrics}/metrics`)).text();
    expect(metrics).toContain('twin_quarantine_classes 3');
    expect(metrics).toContain('twin_quarantine_properties 4');
    expect(metrics).toContain('twin_quarantine_evictions_total{kind="class"} 1');
    expect(metrics).toContain('twin_state_evictions_total{reason="quarantine"} 1');
    expect(metrics).not.toContain('asset_class="junk-0"');
  });

  it('refuses bad quarantine queries', async () => {
    expect((await api('/api/v1/quarantine?limit=0')).status).toBe(400);
    expect((await api('/api/v1/quarantine?limit=501')).status).toBe(400);
    expect((await api('/api/v1/quarantine?kind=class')).status).toBe(400);
  });
});
