import { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
/**
 * The operations endpoints Prometheus and Kubernetes use: /metrics (Prometheus and OpenMetrics
 * text, negotiated by Accept), /healthz (the process is alive) and /readyz (it can serve).
 */
export declare function buildOpsServer(registry: Registry, isReady: () => boolean): FastifyInstance;
/** A registry with the Node process metrics (CPU, memory, event loop lag) under the twinops prefix. */
export declare function processRegistry(): Registry;
