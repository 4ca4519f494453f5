import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the checkout (tools/ is one level down). */
export const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));

/**
 * Installs live outside the checkout, keyed by version, so every clone on a machine shares them.
 * TWINOPS_CACHE overrides; otherwise XDG_CACHE_HOME or ~/.cache is used.
 */
export const cacheRoot =
  process.env.TWINOPS_CACHE ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'twinops');

/** Running servers keep their data dirs, logs and pid records here; stale ones are reaped. */
export const runRoot = process.env.TWINOPS_RUN_DIR ?? join(tmpdir(), 'twinops-bed');

export const cachePath = (...parts: string[]): string => join(cacheRoot, ...parts);
