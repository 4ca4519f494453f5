/**
 * The exporter's own metrics (prom-client) that belong to no pipeline: what is running, its
 * process, and the twin API's requests (the API availability SLI).
 */
import { Counter, Gauge, collectDefaultMetrics, type Registry } from 'prom-client';
import type { BuildInfo } from '../build-info.js';

/** `twin_exporter_build_info{version,revision,node_version} 1`, the usual build-info gauge. */
export function registerBuildInfo(registry: Registry, info: BuildInfo): void {
  new Gauge({
    name: 'twin_exporter_build_info',
    help: 'The running exporter: its version, the revision it was built from and the Node.js version; always 1.',
    labelNames: ['version', 'revision', 'node_version'],
    registers: [registry],
  }).set({ version: info.version, revision: info.revision, node_version: info.nodeVersion }, 1);
}

/** The Node process metrics (CPU, memory, event loop lag) of the exporter itself. */
export function registerProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, prefix: 'twin_exporter_' });
}

/** Twin API requests by route and status code. */
export function twinApiRequests(registry: Registry): Counter<'route' | 'code'> {
  return new Counter({
    name: 'twin_api_requests_total',
    help: 'Twin API requests by route and response code (the availability SLI).',
    labelNames: ['route', 'code'],
    registers: [registry],
  });
}
