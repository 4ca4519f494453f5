/** Every component the test bed can install, by name. */
export declare const components: Record<string, () => Promise<unknown>>;
/**
 * Installs the named components (all by default). Each failure is reported with its reason and
 * the rest still install; the returned list names the ones that failed.
 */
export declare function installAll(names?: string[]): Promise<string[]>;
