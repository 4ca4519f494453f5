import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromDocument } from './config/index.js';
import { startExporter, type RunningExporter } from './exporter.js';

describe('exporter ops endpoints', () => {
  let exporter: RunningExporter;
  beforeAll(async () => {
    exporter = await startExporter(
      configFromDocument({
        server: { host: '127.0.0.1', otlpPort: 0, metricsPort: 0, apiPort: 0 },
        state: { snapshot: { path: ':memory:' } },
      }),
    );
  });
  afterAll(async () => exporter?.close());

  it('answers /healthz and /readyz once ingest and store are up', async () => {
    expect(await (await fetch(`${exporter.urls.metrics}/healthz`)).json()).toEqual({
      status: 'ok',
    });
    expect((await fetch(`${exporter.urls.metrics}/readyz`)).status).toBe(200);
  });

  it('serves process, ingest and SLI metrics in the Prometheus text format', async () => {
    const response = await fetch(`${exporter.urls.metrics}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toMatch(/^twin_exporter_process_cpu_seconds_total \d/m);
    expect(text).toMatch(/^# TYPE twin_sync_latency_seconds histogram/m);
    expect(text).toMatch(/^# TYPE twin_exporter_ingest_refused_total counter/m);
  });

  it('serves OpenMetrics when the scraper asks for it, and Prometheus text again after', async () => {
    const open = await fetch(`${exporter.urls.metrics}/metrics`, {
      headers: { Accept: 'application/openmetrics-text; version=1.0.0' },
    });
    expect(open.headers.get('content-type')).toMatch(
      /^application\/openmetrics-text; version=1\.0\.0/,
    );
    const openText = await open.text();
    expect(openText).toMatch(/^# TYPE twin_exporter_process_cpu_seconds counter$/m);
    expect(openText).toMatch(/# EOF\n$/);
    const plain = await (await fetch(`${exporter.urls.metrics}/metrics`)).text();
    expect(plain).toMatch(/^# TYPE twin_exporter_process_cpu_seconds_total counter$/m);
  });
});
