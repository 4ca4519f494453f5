/**
 * What is running: the exporter's version (its package.json), the revision it was built from
 * (`TWINOPS_REVISION`, which the container image sets) and Node's version. The CLI prints the
 * version; /metrics shows all three as `twin_exporter_build_info`.
 */
import { readFileSync } from 'node:fs';
import { Gauge, type Registry } from 'prom-client';

export interface BuildInfo {
  version: string;
  revision: string;
  nodeVersion: string;
}

/** exporter/package.json: one level up from src/ and from the compiled dist/ alike. */
const packageJson = new URL('../package.json', import.meta.url);

export function exporterVersion(): string {
  return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
}

export function buildInfo(env: NodeJS.ProcessEnv = process.env): BuildInfo {
  return {
    version: exporterVersion(),
    revision: env.TWINOPS_REVISION?.trim() || 'unknown',
    nodeVersion: process.version,
  };
}

/** `twin_exporter_build_info{version,revision,node_version} 1`, the usual build-info gauge. */
export function registerBuildInfo(registry: Registry, info: BuildInfo): void {
  new Gauge({
    name: 'twin_exporter_build_info',
    help: 'The running exporter: its version, the revision it was built from and the Node.js version; always 1.',
    labelNames: ['version', 'revision', 'node_version'],
    registers: [registry],
  }).set({ version: info.version, revision: info.revision, node_version: info.nodeVersion }, 1);
}
