import Fastify, { type FastifyInstance } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import type { TwinEngine } from '../twin/engine.js';

const maxPageSize = 500;

/** Query strings are bounded: unknown keys and oversized values are refused by the schema. */
const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    class: { type: 'string', maxLength: 256 },
    site: { type: 'string', maxLength: 256 },
    stale: { type: 'boolean' },
    diverged: { type: 'boolean' },
    offset: { type: 'integer', minimum: 0, maximum: 10_000_000, default: 0 },
    limit: { type: 'integer', minimum: 1, maximum: maxPageSize, default: 100 },
  },
} as const;

const idParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 256 } },
} as const;

/**
 * The twin API (read side, JSON) the Grafana plugin reads: assets with filters and paging, one
 * asset's physical vs twin state side by side, a property's recent history, predictions vs
 * actuals. Every request is counted by route and status class for the availability SLI.
 */
export function buildTwinApi(engine: TwinEngine, registry: Registry): FastifyInstance {
  // Unknown keys in bodies and queries are refused, not silently dropped: a typo must not pass.
  const app = Fastify({
    logger: false,
    forceCloseConnections: true,
    bodyLimit: 64 * 1024,
    ajv: { customOptions: { removeAdditional: false } },
  });
  const requests = new Counter({
    name: 'twin_api_requests_total',
    help: 'Twin API requests by route and response code (the availability SLI).',
    labelNames: ['route', 'code'],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    requests.inc({
      route: request.routeOptions.url ?? 'unmatched',
      code: String(reply.statusCode),
    });
  });
  app.setErrorHandler(
    (error: Error & { statusCode?: number; validation?: unknown }, _request, reply) => {
      const status = error.validation ? 400 : (error.statusCode ?? 500);
      return reply.code(status).send({ error: status >= 500 ? 'internal error' : error.message });
    },
  );
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: `no route ${request.method} ${request.url}` }),
  );

  app.get('/api/v1/assets', { schema: { querystring: listQuery } }, async (request) => {
    const q = request.query as {
      class?: string;
      site?: string;
      stale?: boolean;
      diverged?: boolean;
      offset: number;
      limit: number;
    };
    return engine.listAssets(
      {
        assetClass: q.class,
        site: q.site,
        stale: q.stale,
        diverged: q.diverged,
        offset: q.offset,
        limit: q.limit,
      },
      Date.now(),
    );
  });

  app.get('/api/v1/assets/:id', { schema: { params: idParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const asset = engine.asset(id, Date.now());
    return asset ?? reply.code(404).send({ error: `no asset "${id}"` });
  });

  app.get(
    '/api/v1/assets/:id/properties/:property/history',
    {
      schema: {
        params: {
          type: 'object',
          properties: {
            ...idParams.properties,
            property: { type: 'string', minLength: 1, maxLength: 256 },
          },
        },
      },
    },
    async (request, reply) => {
      const { id, property } = request.params as { id: string; property: string };
      const history = engine.history(id, property);
      return (
        history ?? reply.code(404).send({ error: `no property "${property}" on asset "${id}"` })
      );
    },
  );

  app.get(
    '/api/v1/models/:model/predictions',
    {
      schema: {
        params: {
          type: 'object',
          properties: { model: { type: 'string', minLength: 1, maxLength: 256 } },
        },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            version: { type: 'string', maxLength: 256 },
            asset: { type: 'string', maxLength: 256 },
            property: { type: 'string', maxLength: 256 },
          },
        },
      },
    },
    async (request) => {
      const { model } = request.params as { model: string };
      const q = request.query as { version?: string; asset?: string; property?: string };
      return engine.predictions({
        model,
        version: q.version,
        assetId: q.asset,
        property: q.property,
      });
    },
  );
  return app;
}
