/**
 * What is running: the exporter's version (its package.json), the revision it was built from
 * (`TWINOPS_REVISION`, which the container image sets) and Node's version. The CLI prints the
 * version; /metrics shows all three as `twin_exporter_build_info` (metrics/exporter.ts).
 */
import { readFileSync } from 'node:fs';

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
