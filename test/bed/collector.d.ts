import { type RunningServer } from './process.js';
/** The distribution manifest; its `dist.version` pins the builder and every module. */
export declare const collectorManifest: string;
/** Where the binary for the current manifest lives: keyed by a hash of the manifest. */
export declare function collectorBinaryPath(): string;
/**
 * Builds the distribution with the collector builder at the manifest's release, once per manifest
 * content. The build goes to a scratch dir and is renamed into place when complete.
 */
export declare function installCollector(): Promise<string>;
/** `otelcol validate`: resolves if the collector accepts the config, else throws its message. */
export declare function validateCollectorConfig(
  configPath: string,
  env?: NodeJS.ProcessEnv,
): Promise<void>;
export interface CollectorOptions {
  /** A config file, or the config's YAML text. */
  config:
    | {
        path: string;
      }
    | {
        yaml: string;
      };
  env?: NodeJS.ProcessEnv;
  /** Polled until it answers 200: the health_check extension's endpoint in the config. */
  readyUrl: string;
}
/** Runs the collector until stopped. */
export declare function startCollector(options: CollectorOptions): Promise<RunningServer>;
