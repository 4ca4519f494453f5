import Fastify, { type FastifyInstance } from 'fastify';
import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The operations endpoints Prometheus and Kubernetes use: /metrics (Prometheus text format),
 * /healthz (the process is alive) and /readyz (it can serve).
 */
export function buildOpsServer(registry: Registry, isReady: () => boolean): FastifyInstance {
  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 1024 });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    if (isReady()) return { status: 'ready' };
    return reply.code(503).send({ status: 'not ready' });
  });
  app.get('/metrics', async (_request, reply) => {
    reply.header('Content-Type', registry.contentType);
    return registry.metrics();
  });
  return app;
}

/** The Node process metrics (CPU, memory, event loop lag) of the exporter itself. */
export function registerProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, prefix: 'twin_exporter_' });
}
