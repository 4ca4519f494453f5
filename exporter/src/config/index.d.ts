/** The exporter's settings. Later capabilities extend this; every field has a safe default. */
export interface ExporterConfig {
  /** Interface to bind. */
  host: string;
  /** Port of /metrics, /healthz and /readyz. */
  opsPort: number;
}
export declare const defaultConfig: ExporterConfig;
/** Thrown with every problem found, each naming the setting at fault. */
export declare class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]);
}
/** Reads the configuration from environment variables (TWINOPS_*), validating each. */
export declare function configFromEnv(env: NodeJS.ProcessEnv): ExporterConfig;
