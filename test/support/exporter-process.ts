import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../tools/ports.js';
import { repoRoot } from '../../tools/paths.js';
import { httpOk, startServer, type RunningServer } from '../../tools/process.js';

export interface ExporterProcess extends RunningServer {
  otlpUrl: string;
  metricsUrl: string;
  apiUrl: string;
  /** `127.0.0.1:port` of /metrics, for a Prometheus scrape config. */
  metricsTarget: string;
  /** The config file it was started with (to start it again the same way). */
  configPath: string;
  ports: { otlp: number; metrics: number; api: number };
}

/**
 * Runs the exporter as its own process through its CLI (`twinops-exporter --config FILE`), the
 * way users run it, on free loopback ports. `config` is the YAML document minus `server`.
 */
export async function startExporterProcess(
  config: Record<string, unknown>,
  options: {
    configPath?: string;
    env?: NodeJS.ProcessEnv;
    /** Node's own flags, before the script (`--cpu-prof`, which NODE_OPTIONS refuses). */
    nodeArgs?: string[];
    /** Ports to listen on (a restart keeps its clients' addresses); free ones by default. */
    ports?: { otlp: number; metrics: number; api: number };
    /** Return once the process runs, before it is ready (to kill it while it restores). */
    untilReady?: boolean;
  } = {},
): Promise<ExporterProcess> {
  const otlpPort = options.ports?.otlp ?? (await freePort());
  const metricsPort = options.ports?.metrics ?? (await freePort());
  const apiPort = options.ports?.api ?? (await freePort());
  let configPath = options.configPath ?? '';
  const server = await startServer({
    name: 'exporter',
    command: process.execPath,
    env: { ...process.env, ...options.env },
    prepare: (dir) => {
      configPath ||= join(dir, 'exporter.yaml');
      const document = { ...config, server: { host: '127.0.0.1', otlpPort, metricsPort, apiPort } };
      writeFileSync(configPath, stringify(document));
    },
    args: () => [
      ...(options.nodeArgs ?? []),
      join(repoRoot, 'exporter', 'bin', 'twinops-exporter.mjs'),
      '--config',
      configPath,
    ],
    ready: async () =>
      options.untilReady === false || httpOk(`http://127.0.0.1:${metricsPort}/readyz`),
  });
  return {
    ...server,
    otlpUrl: `http://127.0.0.1:${otlpPort}`,
    metricsUrl: `http://127.0.0.1:${metricsPort}`,
    apiUrl: `http://127.0.0.1:${apiPort}`,
    metricsTarget: `127.0.0.1:${metricsPort}`,
    configPath,
    ports: { otlp: otlpPort, metrics: metricsPort, api: apiPort },
  };
}
