import { buildExporter } from './build-exporter.js';

/** Vitest global setup: the suites start the exporter through its CLI, which runs the build. */
export function setup(): void {
  buildExporter();
}
