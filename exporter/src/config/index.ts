/** The exporter's settings. Later capabilities extend this; every field has a safe default. */
export interface ExporterConfig {
  /** Interface to bind. */
  host: string;
  /** Port of /metrics, /healthz and /readyz. */
  opsPort: number;
}

export const defaultConfig: ExporterConfig = { host: '0.0.0.0', opsPort: 9464 };

/** Thrown with every problem found, each naming the setting at fault. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid exporter configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function parsePort(
  name: string,
  raw: string | undefined,
  fallback: number,
  problems: string[],
): number {
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    problems.push(
      `${name}="${raw}" is not a port (an integer from 0 to 65535; 0 picks a free one)`,
    );
    return fallback;
  }
  return port;
}

/** Reads the configuration from environment variables (TWINOPS_*), validating each. */
export function configFromEnv(env: NodeJS.ProcessEnv): ExporterConfig {
  const problems: string[] = [];
  const config: ExporterConfig = {
    host: env.TWINOPS_HOST?.trim() || defaultConfig.host,
    opsPort: parsePort('TWINOPS_OPS_PORT', env.TWINOPS_OPS_PORT, defaultConfig.opsPort, problems),
  };
  if (problems.length) throw new ConfigError(problems);
  return config;
}
