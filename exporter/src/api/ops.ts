import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { serverLogging } from '../access-log.js';
import { fallbackLogger, type Logger } from '../log.js';
import { openMetrics, openMetricsContentType, wantsOpenMetrics } from './openmetrics.js';

/**
 * The operations endpoints Prometheus and Kubernetes use: /metrics (Prometheus text, or
 * OpenMetrics with exemplars when the scraper's Accept header asks for it), /healthz (the process
 * is alive) and /readyz (it can serve).
 */
export function buildOpsServer(
  registry: Registry,
  isReady: () => boolean,
  logger: Logger = fallbackLogger(),
): FastifyInstance {
  // Scrapes and probes: access records at debug.
  const app = Fastify({
    ...serverLogging(logger, true),
    forceCloseConnections: true,
    bodyLimit: 1024,
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    if (isReady()) return { status: 'ready' };
    return reply.code(503).send({ status: 'not ready' });
  });
  app.get('/metrics', async (request, reply) => {
    if (wantsOpenMetrics(request.headers.accept)) {
      return reply.header('Content-Type', openMetricsContentType).send(await openMetrics(registry));
    }
    return reply.header('Content-Type', registry.contentType).send(await registry.metrics());
  });
  return app;
}
