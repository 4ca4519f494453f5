/**
 * The official OpenTelemetry Python SDK, installed from PyPI, instruments an asset the way
 * exporter/docs/instrumenting.md tells users to, and sends to a running exporter over OTLP/HTTP:
 * its gauge and counter become the asset's physical properties, its forecast a prediction, its
 * exponential histogram is rejected, counted and answered with a partial success.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AssetView } from '../../contracts/api.js';
import { freePort, run } from '../bed/index.js';
import { installOtelPython } from '../bed/otel-python.js';
import { repoRoot } from '../../tools/paths.js';
import { startExporterProcess, type ExporterProcess } from '../support/exporter-process.js';

const program = join(repoRoot, 'exporter', 'docs', 'examples', 'instrument_asset.py');

describe('the OpenTelemetry Python SDK instrumenting an asset', () => {
  // Installed and started by the first test that needs them, not in a hook: a component that
  // cannot be installed fails every test here, where a failed hook would report them skipped.
  let bed: Promise<{ python: string; exporter: ExporterProcess }> | undefined;
  const started = () =>
    (bed ??= (async () => {
      const python = await installOtelPython();
      const exporter = await startExporterProcess({ state: { snapshot: { path: ':memory:' } } });
      return { python, exporter };
    })());

  afterAll(async () => {
    const running = await bed?.catch(() => undefined);
    await running?.exporter.stop();
  });

  /** Runs the example program once: it records, exports at shutdown and exits. */
  async function instrument(assetId: string, endpoint?: string) {
    const { python, exporter } = await started();
    return run(python, [program], {
      env: {
        ...process.env,
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: endpoint ?? `${exporter.otlpUrl}/v1/metrics`,
        OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '2', // seconds, retries included
        TWIN_ASSET_ID: assetId,
        TWIN_RUN_SECONDS: '0',
        PYTHONDONTWRITEBYTECODE: '1',
      },
    });
  }

  const get = async (url: (exporter: ExporterProcess) => string) =>
    fetch(url((await started()).exporter));

  const metricValue = (text: string, series: string): number | undefined => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };

  it('takes the gauge and counter as physical properties and the forecast as a prediction, rejects the exponential histogram as unsupported_metric_type', async () => {
    const { stderr } = await instrument('pump-py-1');

    // The exporter answered with a partial success naming the reason and where; the SDK itself
    // ignores it, the example's response hook logs it.
    expect(stderr).toMatch(
      /WARNING instrument_asset: partial success, rejected_data_points=1: 1 point rejected: 1 unsupported_metric_type \(resourceMetrics\[0\]\.scopeMetrics\[0\]\.metrics\[\d\]\.exponentialHistogram\.dataPoints\[0\]\)/,
    );

    const response = await get((e) => `${e.apiUrl}/api/v1/assets/pump-py-1`);
    expect(response.status).toBe(200);
    const asset = (await response.json()) as AssetView;
    expect(asset).toMatchObject({ id: 'pump-py-1', assetClass: 'pump', site: 'plant-a' });
    // twin.source = physical came from the resource alone; the counter arrives as its total.
    const byName = new Map(asset.properties.map((p) => [p.property, p]));
    expect([...byName.keys()].sort()).toEqual(['starts', 'temperature']);
    expect(byName.get('temperature')).toMatchObject({
      physical: { value: 21.5 },
      twin: null,
      pendingPredictions: 1, // the forecast, an integer target time a minute ahead
    });
    expect(byName.get('starts')).toMatchObject({ physical: { value: 1 }, twin: null });

    const metrics = await (await get((e) => `${e.metricsUrl}/metrics`)).text();
    expect(
      metricValue(
        metrics,
        'twin_exporter_ingest_rejected_points_total{transport="otlp_http",reason="unsupported_metric_type"}',
      ),
    ).toBe(1);
    expect(
      metricValue(
        metrics,
        'twin_exporter_ingest_points_total{transport="otlp_http",signal="metrics"}',
      ),
    ).toBe(3);
    expect(
      metricValue(
        metrics,
        'twin_model_predictions_total{model="thermal",model_version="3.2.0",vetted="false"}',
      ),
    ).toBe(1);
    expect(metrics).not.toMatch(/reason="unsupported_value"/);
  });

  it('counts the rejections of every export: another asset adds its own', async () => {
    const rejected =
      'twin_exporter_ingest_rejected_points_total{transport="otlp_http",reason="unsupported_metric_type"}';
    const accepted = 'twin_exporter_ingest_points_total{transport="otlp_http",signal="metrics"}';
    const scrape = async () => (await get((e) => `${e.metricsUrl}/metrics`)).text();
    const before = await scrape();
    const { stderr } = await instrument('pump-py-2');
    expect(stderr).toMatch(/rejected_data_points=1: .*unsupported_metric_type/);
    const after = await scrape();
    expect(metricValue(after, rejected)).toBe((metricValue(before, rejected) ?? 0) + 1);
    expect(metricValue(after, accepted)).toBe((metricValue(before, accepted) ?? 0) + 3);
    const asset = (await (
      await get((e) => `${e.apiUrl}/api/v1/assets/pump-py-2`)
    ).json()) as AssetView;
    expect(asset.properties.map((p) => p.property).sort()).toEqual(['starts', 'temperature']);
  });

  it('is the program the guide shows', () => {
    const guide = readFileSync(join(repoRoot, 'exporter', 'docs', 'instrumenting.md'), 'utf8');
    const source = readFileSync(program, 'utf8');
    const excerpts = [...guide.matchAll(/```python\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(excerpts.length).toBeGreaterThanOrEqual(3);
    for (const excerpt of excerpts) expect(source).toContain(excerpt);
  });

  it('logs the failed export, and nothing about partial success, when no exporter listens', async () => {
    const { stderr } = await instrument(
      'pump-py-3',
      `http://127.0.0.1:${await freePort()}/v1/metrics`,
    );
    expect(stderr).toMatch(/ERROR opentelemetry\.exporter/);
    expect(stderr).not.toMatch(/partial success/);
    const response = await get((e) => `${e.apiUrl}/api/v1/assets/pump-py-3`);
    expect(response.status).toBe(404);
  });
});
