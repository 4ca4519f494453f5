import type { ExporterConfig } from './config/index.js';
export interface RunningExporter {
  /** Base URL of the ops endpoints. */
  opsUrl: string;
  close(): Promise<void>;
}
/** The composition root: wires the exporter's parts from its config and starts serving. */
export declare function startExporter(config: ExporterConfig): Promise<RunningExporter>;
