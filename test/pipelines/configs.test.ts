import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRequest } from '../../exporter/src/ingest/otlp/decode.js';
import { freePort, validateCollectorConfig, waitFor } from '../bed/index.js';
import { countBy, runSimulation } from '../../simulator/index.js';
import { startExporterProcess, type ExporterProcess } from '../support/exporter-process.js';
import {
  captureOtlp,
  nowNano,
  pipelineConfig,
  pipelineNames,
  scrape,
  startPipelineCollector,
  text,
  total,
  type PipelineCollector,
} from './collectors.js';

/**
 * Every config in pipelines/ passes the real collector's `validate`, with its defaults and with
 * the variables a site sets; the edge agent stamps, drops and counts as its README says; the
 * direct config carries a simulated fleet to the exporter without losing a point.
 */

const workDir = mkdtempSync(join(tmpdir(), 'twinops-pipelines-configs-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** What a site would set: every variable the configs read. */
const siteEnv = {
  TWINOPS_KAFKA_BROKERS: 'kafka-1.site-a:9092,kafka-2.site-a:9092',
  TWINOPS_GATEWAY_ENDPOINT: 'https://gateway.site-a.example:4318',
  TWINOPS_EXPORTER_ENDPOINT: 'http://127.0.0.1:4318',
  TWINOPS_SITE: 'site-a',
  TWINOPS_ASSET_CLASS: 'pump',
  TWINOPS_ASSET_ID: 'pump-17',
  TWINOPS_QUEUE_DIR: join(workDir, 'queue'),
  TWINOPS_QUEUE_MAX_POINTS: '100000',
  TWINOPS_RETRY_MAX_INTERVAL: '2s',
  TWINOPS_BATCH_TIMEOUT: '50ms',
  TWINOPS_MEMORY_LIMIT_MIB: '512',
  TWINOPS_OTLP_HTTP_ENDPOINT: '127.0.0.1:14318',
  TWINOPS_OTLP_GRPC_ENDPOINT: '127.0.0.1:14317',
  TWINOPS_HEALTH_ENDPOINT: '127.0.0.1:13133',
  TWINOPS_TELEMETRY_HOST: '127.0.0.1',
  TWINOPS_TELEMETRY_PORT: '18888',
};
/** The same variables unset: the configs' own defaults apply. */
const unset = Object.fromEntries(Object.keys(siteEnv).map((key) => [key, undefined]));

describe('pipelines/ configs pass the real collector’s validate', () => {
  for (const name of pipelineNames) {
    it(`${name}: with its defaults and with a site's variables`, async () => {
      await expect(validateCollectorConfig(pipelineConfig(name), unset)).resolves.toBeUndefined();
      await expect(validateCollectorConfig(pipelineConfig(name), siteEnv)).resolves.toBeUndefined();
    });
  }

  it('validate parses the OTTL too: a misspelt function fails it, naming the function', async () => {
    const broken = join(workDir, 'broken.yaml');
    writeFileSync(
      broken,
      readFileSync(pipelineConfig('command-acks'), 'utf8').replace('keep_keys(', 'keep_keyz('),
    );
    await expect(validateCollectorConfig(broken, unset)).rejects.toThrow(/keep_keyz/);
  });
});

describe('edge-agent: stamps the site, drops and counts points without the required attributes', () => {
  let capture: Awaited<ReturnType<typeof captureOtlp>>;
  let edge: PipelineCollector;

  beforeAll(async () => {
    capture = await captureOtlp();
    // The site is known here, the class is not: resources without a class are dropped.
    edge = await startPipelineCollector('edge-agent', {
      ...unset,
      TWINOPS_GATEWAY_ENDPOINT: capture.url,
      TWINOPS_QUEUE_DIR: join(workDir, 'edge-queue'),
      TWINOPS_SITE: 'site-z',
    });
  });
  afterAll(async () => {
    await edge?.stop();
    await capture?.close();
  });

  it('forwards what conforms, with the site stamped where missing, and counts the rest by rule', async () => {
    const time = nowNano();
    const points = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        timeUnixNano: time,
        asDouble: i,
        attributes: [text('twin.source', 'physical'), text('twin.property', 'temperature')],
      }));
    const resource = (attributes: ReturnType<typeof text>[], n: number) => ({
      resource: { attributes },
      scopeMetrics: [{ metrics: [{ name: 'twin.value', gauge: { dataPoints: points(n) } }] }],
    });
    const metrics = await fetch(`${edge.otlpUrl}/v1/metrics`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        resourceMetrics: [
          resource([text('twin.asset.id', 'pump-1'), text('twin.asset.class', 'pump')], 2),
          resource([text('twin.asset.class', 'pump')], 3), // no asset id
          resource([text('twin.asset.id', 'valve-7')], 4), // no class, and none to stamp
          resource(
            [
              text('twin.asset.id', 'pump-2'),
              text('twin.asset.class', 'pump'),
              text('twin.site', 'site-own'),
            ],
            1,
          ),
        ],
      }),
    });
    expect(metrics.status).toBe(200);
    const logs = await fetch(`${edge.otlpUrl}/v1/logs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        resourceLogs: [
          {
            resource: {
              attributes: [text('twin.asset.id', 'valve-1'), text('twin.asset.class', 'valve')],
            },
            scopeLogs: [
              {
                logRecords: [
                  {
                    timeUnixNano: time,
                    body: { stringValue: 'auto' },
                    attributes: [text('twin.source', 'physical'), text('twin.property', 'mode')],
                  },
                ],
              },
            ],
          },
          {
            resource: { attributes: [text('twin.asset.class', 'valve')] },
            scopeLogs: [{ logRecords: [{ timeUnixNano: time }, { timeUnixNano: time }] }],
          },
        ],
      }),
    });
    expect(logs.status).toBe(200);

    // The agent's own counters say when it has sent everything it kept.
    const telemetry = await waitFor('the edge agent to forward what it kept', async () => {
      const samples = await scrape(edge.telemetryUrl);
      const sent =
        total(samples, 'otelcol_exporter_sent_metric_points') +
        total(samples, 'otelcol_exporter_sent_log_records');
      return sent >= 4 ? samples : undefined;
    });
    const filtered = (metric: string, filter: string) => total(telemetry, metric, { filter });
    expect(
      filtered('otelcol_processor_filter_datapoints_filtered', 'filter/require-asset-id'),
    ).toBe(3);
    expect(
      filtered('otelcol_processor_filter_datapoints_filtered', 'filter/require-asset-class'),
    ).toBe(4);
    expect(filtered('otelcol_processor_filter_logs_filtered', 'filter/require-asset-id')).toBe(2);
    expect(total(telemetry, 'otelcol_exporter_sent_metric_points')).toBe(3);
    expect(total(telemetry, 'otelcol_exporter_sent_log_records')).toBe(1);

    // What reached the "gateway": the conforming resources, the site stamped only where missing.
    const forwarded = new Map<string, { site: unknown; points: number }>();
    for (const { signal, body } of capture.requests) {
      const request = decodeRequest(signal, 'otlp_proto', body);
      const resources =
        'resourceMetrics' in request ? request.resourceMetrics : request.resourceLogs;
      for (const r of resources ?? []) {
        const attr = (key: string) =>
          r.resource?.attributes?.find((a) => a.key === key)?.value?.stringValue;
        const points =
          'scopeMetrics' in r
            ? (r.scopeMetrics ?? [])
                .flatMap((s) => s.metrics ?? [])
                .flatMap((m) => m.gauge?.dataPoints ?? [])
            : (r.scopeLogs ?? []).flatMap((s) => s.logRecords ?? []);
        forwarded.set(`${signal}/${attr('twin.asset.id')}`, {
          site: attr('twin.site'),
          points: points.length,
        });
      }
    }
    expect(Object.fromEntries(forwarded)).toEqual({
      'metrics/pump-1': { site: 'site-z', points: 2 },
      'metrics/pump-2': { site: 'site-own', points: 1 },
      'logs/valve-1': { site: 'site-z', points: 1 },
    });
  });
});

describe('gateway: answers only once Kafka has the data', () => {
  it('refuses with 503 (retry later) when Kafka cannot take a point, so the sender keeps it', async () => {
    const nobody = await freePort();
    const gateway = await startPipelineCollector('gateway', {
      ...unset,
      TWINOPS_KAFKA_BROKERS: `127.0.0.1:${nobody}`,
    });
    try {
      const response = await fetch(`${gateway.otlpUrl}/v1/metrics`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          resourceMetrics: [
            {
              resource: { attributes: [text('twin.asset.id', 'pump-1')] },
              scopeMetrics: [
                {
                  metrics: [
                    {
                      name: 'twin.value',
                      gauge: { dataPoints: [{ timeUnixNano: nowNano(), asDouble: 1 }] },
                    },
                  ],
                },
              ],
            },
          ],
        }),
      });
      // 503 is retryable for OTLP/HTTP clients: the edge agent keeps the batch on disk and retries.
      expect(response.status).toBe(503);
      expect(await response.text()).toMatch(/twin\.telemetry\.metrics/);
    } finally {
      await gateway.stop();
    }
  });
});

describe('direct: simulated fleet → collector → exporter over OTLP/HTTP', () => {
  let exporter: ExporterProcess;
  let direct: PipelineCollector;

  beforeAll(async () => {
    exporter = await startExporterProcess({ state: { snapshot: { path: ':memory:' } } });
    direct = await startPipelineCollector('direct', {
      ...unset,
      TWINOPS_EXPORTER_ENDPOINT: exporter.otlpUrl,
    });
  });
  afterAll(async () => {
    await direct?.stop();
    await exporter?.stop();
  });

  it('delivers every point: the exporter counts what the simulator sent, by class and source', async () => {
    const result = await runSimulation({
      endpoint: direct.otlpUrl,
      assets: 6,
      tickMs: 200,
      ticks: 10,
      seed: 3,
      sendDelayMs: { min: 0, max: 40 },
    });
    expect(result.exports.failed).toBe(0);
    const samples = await waitFor('the exporter to count every point', async () => {
      const s = await scrape(`${exporter.metricsUrl}/metrics`);
      return total(s, 'twin_points_total') >= result.points.length ? s : undefined;
    });
    const counted = Object.fromEntries(
      samples
        .filter((s) => s.name === 'twin_points_total')
        .map((s) => [`${s.labels.asset_class}/${s.labels.source}`, s.value]),
    );
    expect(counted).toEqual(countBy(result.points, (p) => `${p.assetClass}/${p.source}`));
    // Nothing was refused or rejected on the way in.
    expect(total(samples, 'twin_exporter_ingest_rejected_points_total')).toBe(0);
    expect(total(samples, 'twin_exporter_ingest_refused_total')).toBe(0);
  });
});

describe('direct with ingest auth: the bearertokenauth extension against the exporter', () => {
  const token = 'site-a-ingest-token';
  let exporter: ExporterProcess;
  const collectors: PipelineCollector[] = [];

  beforeAll(async () => {
    exporter = await startExporterProcess(
      { state: { snapshot: { path: ':memory:' } } },
      { env: { TWINOPS_INGEST_TOKEN: token } },
    );
  });
  afterAll(async () => {
    for (const collector of collectors) await collector.stop();
    await exporter?.stop();
  });

  const send = async (ingestToken: string | undefined, seed: number) => {
    const collector = await startPipelineCollector('direct', {
      ...unset,
      TWINOPS_EXPORTER_ENDPOINT: exporter.otlpUrl,
      TWINOPS_INGEST_TOKEN: ingestToken,
    });
    collectors.push(collector);
    const result = await runSimulation({
      endpoint: collector.otlpUrl,
      assets: 2,
      tickMs: 100,
      ticks: 3,
      seed,
    });
    expect(result.exports.failed).toBe(0);
    return result;
  };

  it('a collector with the token gets its points in', async () => {
    const result = await send(token, 5);
    await waitFor('the exporter to count every point', async () => {
      const samples = await scrape(`${exporter.metricsUrl}/metrics`);
      return total(samples, 'twin_points_total') >= result.points.length || undefined;
    });
  });

  it('one without the token, or with a wrong one, is refused with 401 and counted', async () => {
    const before = total(await scrape(`${exporter.metricsUrl}/metrics`), 'twin_points_total');
    await send(undefined, 6);
    await send('not-the-token', 7);
    const samples = await waitFor('two collectors refused', async () => {
      const s = await scrape(`${exporter.metricsUrl}/metrics`);
      const refused = s.find(
        (x) =>
          x.name === 'twin_exporter_ingest_refused_total' && x.labels.reason === 'unauthenticated',
      );
      return (refused?.value ?? 0) >= 2 ? s : undefined;
    });
    expect(total(samples, 'twin_points_total')).toBe(before);
    // The collectors say why: the exporter answered 401, which they do not retry.
    await waitFor(
      'both collectors to log the 401',
      () => collectors.slice(1).every((c) => /401/.test(c.log())) || undefined,
    );
  });
});
