import { Ajv, type ErrorObject } from 'ajv';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Registry } from 'prom-client';
import { serverLogging } from '../access-log.js';
import { fallbackLogger, type Logger } from '../log.js';
import { twinApiRequests } from '../metrics/exporter.js';
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

const quarantineQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    class: { type: 'string', maxLength: 256 },
    offset: { type: 'integer', minimum: 0, maximum: 10_000_000, default: 0 },
    limit: { type: 'integer', minimum: 1, maximum: maxPageSize, default: 100 },
  },
} as const;

const idParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 256 } },
} as const;

/** An asset id, property or model name: a free string, never empty, at most 256 characters. */
const name = { type: 'string', minLength: 1, maxLength: 256 } as const;

/**
 * The query-parameter forms of the routes that carry a name in their path. Any id survives a
 * proxy that escapes the path once more (Grafana's plugin proxy forwards the escaped path as the
 * upstream's path, so `a%2Fb` arrives as `a%252Fb`) because the query is forwarded unchanged.
 */
const assetQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: name },
} as const;
const historyQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'property'],
  properties: { id: name, property: name },
} as const;
const predictionsFilter = {
  version: { type: 'string', maxLength: 256 },
  asset: { type: 'string', maxLength: 256 },
  property: { type: 'string', maxLength: 256 },
} as const;

/**
 * The twin API (read side, JSON) the Grafana plugin reads: assets with filters and paging, one
 * asset's physical vs twin state side by side, a property's recent history, predictions vs
 * actuals, and the quarantine of undeclared classes and properties. Each route naming an asset, property or model has a path form and a query form
 * (`/asset?id=`, `/asset/history?id=&property=`, `/predictions?model=`) for any id through any
 * proxy. Every request is counted by route and status class for the availability SLI.
 */
export function buildTwinApi(
  engine: TwinEngine,
  registry: Registry,
  logger: Logger = fallbackLogger(),
): FastifyInstance {
  // People's requests (the plugin's, commands): an access record each at info.
  const app = Fastify({
    ...serverLogging(logger, false),
    forceCloseConnections: true,
    bodyLimit: 64 * 1024,
  });
  // Unknown keys in bodies and queries are refused, not silently dropped: a typo must not pass.
  // A query string is text, so its numbers and booleans are converted (as fastify does by
  // default); a JSON body says what it means, so `"dryRun": null` or `"assetId": 12` is refused
  // rather than read as false or "12".
  const validators = {
    body: new Ajv({ removeAdditional: false, useDefaults: true, coerceTypes: false }),
    other: new Ajv({ removeAdditional: false, useDefaults: true, coerceTypes: 'array' }),
  };
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? validators.body : validators.other).compile(schema),
  );
  const requests = twinApiRequests(registry);
  app.addHook('onResponse', async (request, reply) => {
    requests.inc({
      route: request.routeOptions.url ?? 'unmatched',
      code: String(reply.statusCode),
    });
  });
  app.setErrorHandler(
    (error: Error & { statusCode?: number; validation?: ErrorObject[] }, _request, reply) => {
      const status = error.validation ? 400 : (error.statusCode ?? 500);
      const message = error.validation
        ? validationMessage(error.message, error.validation)
        : error.message;
      return reply.code(status).send({ error: status >= 500 ? 'internal error' : message });
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

  const showAsset = (id: string, reply: FastifyReply) =>
    engine.asset(id, Date.now()) ?? reply.code(404).send({ error: `no asset "${id}"` });
  const showHistory = (id: string, property: string, reply: FastifyReply) =>
    engine.history(id, property) ??
    reply.code(404).send({ error: `no property "${property}" on asset "${id}"` });
  const showPredictions = (
    model: string,
    q: { version?: string; asset?: string; property?: string },
  ) => engine.predictions({ model, version: q.version, assetId: q.asset, property: q.property });

  app.get('/api/v1/assets/:id', { schema: { params: idParams } }, async (request, reply) =>
    showAsset((request.params as { id: string }).id, reply),
  );
  app.get('/api/v1/asset', { schema: { querystring: assetQuery } }, async (request, reply) =>
    showAsset((request.query as { id: string }).id, reply),
  );

  app.get(
    '/api/v1/assets/:id/properties/:property/history',
    {
      schema: {
        params: { type: 'object', properties: { ...idParams.properties, property: name } },
      },
    },
    async (request, reply) => {
      const { id, property } = request.params as { id: string; property: string };
      return showHistory(id, property, reply);
    },
  );
  app.get(
    '/api/v1/asset/history',
    { schema: { querystring: historyQuery } },
    async (request, reply) => {
      const { id, property } = request.query as { id: string; property: string };
      return showHistory(id, property, reply);
    },
  );

  app.get(
    '/api/v1/models/:model/predictions',
    {
      schema: {
        params: { type: 'object', properties: { model: name } },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: predictionsFilter,
        },
      },
    },
    async (request) =>
      showPredictions(
        (request.params as { model: string }).model,
        request.query as { version?: string; asset?: string; property?: string },
      ),
  );
  app.get(
    '/api/v1/predictions',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['model'],
          properties: { model: name, ...predictionsFilter },
        },
      },
    },
    async (request) => {
      const { model, ...filter } = request.query as {
        model: string;
        version?: string;
        asset?: string;
        property?: string;
      };
      return showPredictions(model, filter);
    },
  );
  app.get('/api/v1/quarantine', { schema: { querystring: quarantineQuery } }, async (request) => {
    const q = request.query as { class?: string; offset: number; limit: number };
    return engine.quarantine({ assetClass: q.class, offset: q.offset, limit: q.limit });
  });
  return app;
}

/**
 * Fastify's validation message, with the key when the fault is one (ajv's own message for an
 * unknown key, "must NOT have additional properties", does not say which).
 */
export function validationMessage(message: string, errors: readonly ErrorObject[]): string {
  const first = errors[0];
  const key =
    first?.keyword === 'additionalProperties'
      ? (first.params as { additionalProperty?: string }).additionalProperty
      : undefined;
  return key === undefined ? message : `${message}: ${JSON.stringify(key)}`;
}
