import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  serveHttp,
  startPrometheus,
  waitFor,
  type LoopbackServer,
  type PrometheusServer,
} from '../bed/index.js';

describe('Prometheus (real) scraping a target', () => {
  let target: LoopbackServer;
  let prometheus: PrometheusServer;
  let scrapes = 0;

  beforeAll(async () => {
    target = await serveHttp((_req, res) => {
      scrapes += 1;
      res.setHeader('Content-Type', 'text/plain; version=0.0.4');
      res.end(`# TYPE twin_bed_smoke_total counter\ntwin_bed_smoke_total{asset_class="pump"} 42\n`);
    });
    prometheus = await startPrometheus({
      scrapeConfigs: [
        { job_name: 'smoke', static_configs: [{ targets: [`127.0.0.1:${target.port}`] }] },
      ],
    });
  });
  afterAll(async () => {
    await prometheus?.stop();
    await target?.close();
  });

  it('scrapes the target and answers queries with its samples', async () => {
    const samples = await waitFor('a scraped sample', async () => {
      const result = await prometheus.query('twin_bed_smoke_total{job="smoke"}');
      return result.length ? result : undefined;
    });
    expect(samples[0]?.metric).toMatchObject({ asset_class: 'pump', job: 'smoke' });
    expect(samples[0]?.value[1]).toBe('42');
    expect(scrapes).toBeGreaterThan(0);
    const up = await prometheus.query('up{job="smoke"}');
    expect(up[0]?.value[1]).toBe('1');
  });

  it('reports a query error from the server', async () => {
    await expect(prometheus.query('sum(')).rejects.toThrow(/query sum\( failed/);
  });
});
