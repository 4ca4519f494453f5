import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort, startCollector, validateCollectorConfig, waitFor } from '../bed/index.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`fixtures/${name}`, import.meta.url));

describe('OpenTelemetry Collector (built from pipelines/otelcol-builder.yaml)', () => {
  it('passes validate on a good config', async () => {
    await expect(
      validateCollectorConfig(fixture('collector-smoke.yaml'), {
        HEALTH_PORT: '13133',
        OTLP_PORT: '4318',
      }),
    ).resolves.toBeUndefined();
  });

  it('fails validate on a config naming a component it lacks, saying which', async () => {
    await expect(validateCollectorConfig(fixture('collector-broken.yaml'))).rejects.toThrow(
      /no_such_exporter/,
    );
  });

  it('runs the config and passes an OTLP/HTTP metric through', async () => {
    const [health, otlp] = [await freePort(), await freePort()];
    const collector = await startCollector({
      config: { path: fixture('collector-smoke.yaml') },
      env: { HEALTH_PORT: String(health), OTLP_PORT: String(otlp) },
      readyUrl: `http://127.0.0.1:${health}/`,
    });
    try {
      const now = `${BigInt(Date.now()) * 1_000_000n}`;
      const response = await fetch(`http://127.0.0.1:${otlp}/v1/metrics`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          resourceMetrics: [
            {
              resource: {
                attributes: [{ key: 'twin.asset.id', value: { stringValue: 'pump-7' } }],
              },
              scopeMetrics: [
                {
                  metrics: [
                    {
                      name: 'twin.smoke.temperature',
                      gauge: { dataPoints: [{ timeUnixNano: now, asDouble: 21.5 }] },
                    },
                  ],
                },
              ],
            },
          ],
        }),
      });
      expect(response.status).toBe(200);
      const line = await waitFor('the metric in the debug exporter output', () =>
        collector.log().includes('twin.smoke.temperature') ? collector.log() : undefined,
      );
      expect(line).toContain('pump-7');
    } finally {
      await collector.stop();
    }
  });
});
