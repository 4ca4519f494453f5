/** Root of the checkout (test/bed/ is two levels down). */
export declare const repoRoot: string;
/**
 * Installs live outside the checkout, keyed by version, so every clone on a machine shares them.
 * TWINOPS_CACHE overrides; otherwise XDG_CACHE_HOME or ~/.cache is used.
 */
export declare const cacheRoot: string;
/** Running servers keep their data dirs, logs and pid records here; stale ones are reaped. */
export declare const runRoot: string;
export declare const cachePath: (...parts: string[]) => string;
