import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { repoRoot } from '../../tools/paths.js';

/**
 * Compiles the exporter into exporter/dist, which its CLI runs (as the image does). Incremental:
 * a second call with nothing changed takes about a second.
 */
export function buildExporter(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  process.stderr.write('[build] compiling the exporter (tsc → exporter/dist)…\n');
  // -b: the build references contracts/ (types only), whose declarations it must build first.
  execFileSync(process.execPath, [tsc, '-b', join(repoRoot, 'exporter', 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
}
