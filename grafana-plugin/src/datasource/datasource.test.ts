import { dateTime, FieldType, type DataQueryRequest, type DataSourceInstanceSettings } from '@grafana/data';
import { TwinDataSource } from './datasource';
import type { TwinDataSourceOptions, TwinQuery } from './types';
import { FakeExporter, NOW, assetView, command, property, summary } from '../testing/fakeExporter';

const settings = {
  id: 1,
  uid: 'twin',
  name: 'twin',
  type: 'twinops-twin-datasource',
  jsonData: {},
  meta: {},
} as unknown as DataSourceInstanceSettings<TwinDataSourceOptions>;

function request(targets: TwinQuery[], vars: Record<string, string> = {}): DataQueryRequest<TwinQuery> {
  return {
    targets,
    scopedVars: Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, { text: v, value: v }])),
    range: { from: dateTime(NOW - 3_600_000), to: dateTime(NOW), raw: { from: 'now-1h', to: 'now' } },
  } as unknown as DataQueryRequest<TwinQuery>;
}

function exporter() {
  return new FakeExporter()
    .on('GET', '/api/v1/assets', {
      total: 1234,
      offset: 0,
      limit: 2,
      items: [summary('belt-1', { stale: true }), summary('pump-7', { assetClass: 'pump', site: null })],
    })
    .on(
      'GET',
      '/api/v1/assets/belt-1',
      assetView('belt-1', {
        staleAfterMs: 60_000,
        properties: [
          property('speed', { physical: { value: 1.5, sourceTimeMs: NOW - 90_000, receivedMs: NOW, ageMs: 90_000 } }),
          property('mode', {
            physical: { value: 'run', sourceTimeMs: NOW - 1_000, receivedMs: NOW, ageMs: 1_000 },
            twin: null,
          }),
        ],
      })
    )
    .on('GET', '/api/v1/assets/belt-1/properties/speed/history', [
      { source: 'twin', sourceTimeMs: NOW - 20_000, value: 2 },
      { source: 'physical', sourceTimeMs: NOW - 30_000, value: 1 },
      { source: 'physical', sourceTimeMs: NOW - 10_000, value: 1.5 },
    ])
    .on('GET', '/api/v1/commands', [
      command('c1', { submittedAtMs: NOW - 10 }),
      command('c2', {
        submittedAtMs: NOW,
        status: 'applied',
        outcome: 'applied',
        outcomeMessage: 'speed reported 1.5',
      }),
    ]);
}

/** Dashboard variables, as Grafana's template service would replace them. */
const interpolate = (text: string, vars?: Record<string, { value: unknown }>) =>
  text.replace(/\$(\w+)/g, (_, name) => String(vars?.[name]?.value ?? `$${name}`));

function datasource(fake = exporter()) {
  return { fake, ds: new TwinDataSource(settings, async () => fake.client(), interpolate as never) };
}

describe('TwinDataSource', () => {
  it('answers an assets query with one frame of typed fields, filters passed to the API', async () => {
    const { fake, ds } = datasource();
    const { data } = await ds.query(
      request([{ refId: 'A', queryType: 'assets', assetClass: '$cls', status: 'stale', limit: 2 }], { cls: 'conveyor' })
    );
    expect(data).toHaveLength(1);
    const frame = data[0];
    expect(frame.refId).toBe('A');
    expect(frame.length).toBe(2);
    expect(frame.meta.custom.total).toBe(1234);
    expect(frame.fields.map((f: { name: string; type: FieldType }) => [f.name, f.type])).toEqual([
      ['id', FieldType.string],
      ['class', FieldType.string],
      ['site', FieldType.string],
      ['last seen', FieldType.time],
      ['stale', FieldType.boolean],
      ['diverged', FieldType.boolean],
      ['properties', FieldType.number],
    ]);
    expect(frame.fields[0].values).toEqual(['belt-1', 'pump-7']);
    expect(frame.fields[4].values).toEqual([true, false]);
    const call = fake.calls('GET', '/api/v1/assets')[0];
    expect(call.query.get('class')).toBe('conveyor');
    expect(call.query.get('stale')).toBe('true');
    expect(call.query.get('limit')).toBe('2');
  });

  it('answers a state query with physical vs twin per property, numbers kept numeric', async () => {
    const { ds } = datasource();
    const { data } = await ds.query(
      request([{ refId: 'B', queryType: 'state', assetId: '$asset' }], { asset: 'belt-1' })
    );
    const frame = data[0];
    const field = (name: string) => frame.fields.find((f: { name: string }) => f.name === name);
    expect(field('property').values).toEqual(['speed', 'mode']);
    expect(field('physical').type).toBe(FieldType.string); // 1.5 and "run": mixed → text
    expect(field('physical').values).toEqual(['1.5', 'run']);
    expect(field('twin').type).toBe(FieldType.number);
    expect(field('twin').values).toEqual([1.2, null]);
    expect(field('physical age').values).toEqual([90_000, 1_000]);
    expect(field('physical age').config.unit).toBe('ms');
    expect(field('physical stale').values).toEqual([true, false]);
  });

  it('answers a history query with one time series per source, oldest first', async () => {
    const { ds } = datasource();
    const { data } = await ds.query(
      request([{ refId: 'C', queryType: 'history', assetId: 'belt-1', property: 'speed' }])
    );
    expect(data.map((f: { name: string }) => f.name)).toEqual(['belt-1 speed physical', 'belt-1 speed twin']);
    expect(data[0].fields[0].values).toEqual([NOW - 30_000, NOW - 10_000]);
    expect(data[0].fields[1].values).toEqual([1, 1.5]);
    expect(data[0].fields[1].type).toBe(FieldType.number);
    expect(data[1].fields[1].values).toEqual([2]);
  });

  it('answers a commands query newest first with outcome and detail', async () => {
    const { fake, ds } = datasource();
    const { data } = await ds.query(request([{ refId: 'D', queryType: 'commands', assetId: 'belt-1', limit: 9999 }]));
    const frame = data[0];
    expect(frame.fields.find((f: { name: string }) => f.name === 'id').values).toEqual(['c2', 'c1']);
    expect(frame.fields.find((f: { name: string }) => f.name === 'detail').values[0]).toBe('speed reported 1.5');
    const call = fake.calls('GET', '/api/v1/commands')[0];
    expect(call.query.get('asset')).toBe('belt-1');
    expect(call.query.get('limit')).toBe('500');
  });

  it('skips hidden and incomplete queries', async () => {
    const { fake, ds } = datasource();
    const { data } = await ds.query(
      request([
        { refId: 'A', queryType: 'assets', hide: true },
        { refId: 'B', queryType: 'state' },
        { refId: 'C', queryType: 'history', assetId: 'belt-1' },
      ])
    );
    expect(data).toEqual([]);
    expect(fake.requests).toHaveLength(0);
  });

  it('rejects a query the exporter refuses, with its message', async () => {
    const fake = new FakeExporter().on('GET', '/api/v1/assets/ghost', () => ({
      status: 404,
      body: { error: 'no asset "ghost"' },
    }));
    const { ds } = datasource(fake);
    await expect(ds.query(request([{ refId: 'A', queryType: 'state', assetId: 'ghost' }]))).rejects.toThrow(
      'no asset "ghost"'
    );
  });

  it('tests the connection through the app', async () => {
    expect(await datasource().ds.testDatasource()).toEqual({
      status: 'success',
      message: 'Connected through the twinops app: the exporter knows 1234 assets.',
    });
    const broken = new FakeExporter().on('GET', '/api/v1/assets', () => ({
      status: 401,
      body: { error: 'the proxy secret is wrong', code: 'unauthenticated' },
    }));
    const result = await datasource(broken).ds.testDatasource();
    expect(result.status).toBe('error');
    expect(result.message).toContain('the proxy secret is wrong (unauthenticated)');
  });
});
