import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { goInstall } from './go.js';
import { withHeartbeat } from '../../tools/log.js';
import { cachePath, repoRoot } from '../../tools/paths.js';
import { httpOk, run, startServer, type RunningServer } from '../../tools/process.js';

/** The distribution manifest; its `dist.version` pins the builder and every module. */
export const collectorManifest = join(repoRoot, 'pipelines', 'otelcol-builder.yaml');

interface Manifest {
  dist: { name: string; version: string };
}

function readManifest(): { text: string; manifest: Manifest } {
  if (!existsSync(collectorManifest))
    throw new Error(`collector manifest missing: ${collectorManifest}`);
  const text = readFileSync(collectorManifest, 'utf8');
  const manifest = parse(text) as Manifest;
  if (!manifest?.dist?.name || !manifest.dist.version) {
    throw new Error(`${collectorManifest}: dist.name and dist.version are required`);
  }
  return { text, manifest };
}

/** Where the binary for the current manifest lives: keyed by a hash of the manifest. */
export function collectorBinaryPath(): string {
  const { text, manifest } = readManifest();
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  return cachePath('otelcol', `${manifest.dist.version}-${hash}`, manifest.dist.name);
}

/**
 * Builds the distribution with the collector builder at the manifest's release, once per manifest
 * content. The build goes to a scratch dir and is renamed into place when complete.
 */
export async function installCollector(): Promise<string> {
  const binary = collectorBinaryPath();
  if (existsSync(binary)) return binary;
  const { manifest } = readManifest();
  const builderVersion = `v${manifest.dist.version}`;
  const builder = await goInstall(
    'collector',
    `go.opentelemetry.io/collector/cmd/builder@${builderVersion}`,
    cachePath('builder', builderVersion),
    'builder',
    'about a minute',
  );
  const scratch = `${dirname(binary)}.partial-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  try {
    await withHeartbeat(
      'collector',
      `building the ${manifest.dist.name} collector ${builderVersion} from pipelines/otelcol-builder.yaml`,
      () => run(builder, ['--config', collectorManifest, '--output-path', scratch]),
      { cold: 'once per manifest, 3–6 minutes on 2 cores' },
    );
    rmSync(dirname(binary), { recursive: true, force: true });
    mkdirSync(dirname(binary));
    renameSync(join(scratch, manifest.dist.name), binary);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return binary;
}

/** `otelcol validate`: resolves if the collector accepts the config, else throws its message. */
export async function validateCollectorConfig(
  configPath: string,
  env: NodeJS.ProcessEnv = {},
): Promise<void> {
  const binary = await installCollector();
  await run(binary, ['validate', '--config', configPath], { env: { ...process.env, ...env } });
}

export interface CollectorOptions {
  /** A config file, or the config's YAML text. */
  config: { path: string } | { yaml: string };
  env?: NodeJS.ProcessEnv;
  /** Polled until it answers 200: the health_check extension's endpoint in the config. */
  readyUrl: string;
}

/** Runs the collector until stopped. */
export async function startCollector(options: CollectorOptions): Promise<RunningServer> {
  const binary = await installCollector();
  let configPath = '';
  return startServer({
    name: 'otelcol',
    command: binary,
    env: { ...process.env, ...options.env },
    prepare: (dir) => {
      if ('path' in options.config) configPath = options.config.path;
      else {
        configPath = join(dir, 'config.yaml');
        writeFileSync(configPath, options.config.yaml);
      }
    },
    args: () => ['--config', configPath],
    ready: () => httpOk(options.readyUrl),
  });
}
