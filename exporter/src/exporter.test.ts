import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, configFromEnv, defaultConfig } from './config/index.js';
import { startExporter, type RunningExporter } from './exporter.js';

describe('exporter ops endpoints', () => {
  let exporter: RunningExporter;
  beforeAll(async () => {
    exporter = await startExporter({ host: '127.0.0.1', opsPort: 0 });
  });
  afterAll(async () => exporter?.close());

  it('answers /healthz and /readyz', async () => {
    expect(await (await fetch(`${exporter.opsUrl}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${exporter.opsUrl}/readyz`);
    expect(ready.status).toBe(200);
  });

  it('serves the process metrics in the Prometheus text format', async () => {
    const response = await fetch(`${exporter.opsUrl}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await response.text()).toMatch(/^twinops_exporter_process_cpu_seconds_total \d/m);
  });
});

describe('exporter configuration from the environment', () => {
  it('uses the defaults when nothing is set', () => {
    expect(configFromEnv({})).toEqual(defaultConfig);
  });

  it('reads the host and port', () => {
    expect(configFromEnv({ TWINOPS_HOST: '127.0.0.1', TWINOPS_OPS_PORT: '19464' })).toEqual({
      host: '127.0.0.1',
      opsPort: 19464,
    });
  });

  it('refuses a bad port, naming the variable and the value', () => {
    expect(() => configFromEnv({ TWINOPS_OPS_PORT: 'ninety' })).toThrow(ConfigError);
    expect(() => configFromEnv({ TWINOPS_OPS_PORT: '70000' })).toThrow(
      /TWINOPS_OPS_PORT="70000" is not a port/,
    );
  });
});
