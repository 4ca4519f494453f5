import { join } from 'node:path';
import { freePort } from './ports.js';
import { repoRoot } from './paths.js';
import { httpOk, run, startServer, type RunningServer } from './process.js';

export interface PreviewHost {
  host: RunningServer;
  /** `http://127.0.0.1:port` */
  base: string;
}

let bundle: Promise<void> | undefined;

/**
 * The preview host's bundle (`grafana-plugin/preview/build.mjs`), built at most once per process;
 * build.mjs itself rebuilds only when the plugin's sources changed.
 */
export function buildPreviewBundle(): Promise<void> {
  bundle ??= run(process.execPath, [join(repoRoot, 'grafana-plugin', 'preview', 'build.mjs')]).then(
    () => undefined,
  );
  return bundle;
}

/**
 * The plugin's preview host as users start it (`grafana-plugin/preview/server.mjs`), on `port` (a
 * free one by default), proxying to `exporterUrl`, with extra flags and environment; its bundle
 * built first. For `npm run demo`, the browser suites and the Fleet benchmark.
 */
export async function startPreviewHost(
  exporterUrl: string,
  flags: string[] = [],
  env: NodeJS.ProcessEnv = {},
  options: { port?: number; readyTimeoutMs?: number } = {},
): Promise<PreviewHost> {
  await buildPreviewBundle();
  const port = options.port ?? (await freePort());
  const host = await startServer({
    name: 'preview',
    command: process.execPath,
    args: () => [
      join(repoRoot, 'grafana-plugin', 'preview', 'server.mjs'),
      '--port',
      String(port),
      '--exporter',
      exporterUrl,
      ...flags,
    ],
    env: { ...process.env, ...env },
    ready: () => httpOk(`http://127.0.0.1:${port}/api/health`),
    readyTimeoutMs: options.readyTimeoutMs,
  });
  return { host, base: `http://127.0.0.1:${port}` };
}
