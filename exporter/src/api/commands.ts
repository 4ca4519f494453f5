import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Context } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isPrincipal, type AuthRefusal, type Headers } from '../commands/auth.js';
import type { AnswerKind, CommandAnswer } from '../commands/answer.js';
import type { CommandGateway } from '../commands/gateway.js';
import type { AuditExport } from '../commands/ledger/ledger.js';
import type { CommandRequest, Principal } from '../commands/model.js';
import type { AssetRetirement, RetirementRequest } from '../commands/retirement.js';
import type { CommandRoute } from '../commands/unauthenticated.js';
import { requestSpan, within } from '../tracing.js';

const name = { type: 'string', minLength: 1, maxLength: 256 } as const;

/** A request body's contract, as published in exporter/schemas/ (the files are the source). */
function publishedSchema(file: string): Record<string, unknown> {
  const url = new URL(`../../schemas/${file}`, import.meta.url);
  // Ids and titles are for readers; ajv would refuse one id compiled for two routes.
  const {
    $schema: _s,
    $id: _i,
    title: _t,
    ...schema
  } = JSON.parse(readFileSync(url, 'utf8')) as Record<string, unknown>;
  return schema;
}

export const commandRequestSchema = publishedSchema('command-request.schema.json');
export const reviewSchema = publishedSchema('command-review.schema.json');
export const killSwitchSchema = publishedSchema('kill-switch.schema.json');
export const retirementSchema = publishedSchema('asset-retirement.schema.json');
export const auditArchiveSchema = publishedSchema('audit-archive.schema.json');

const idParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

/** The HTTP status of each kind of the gateway's answers. */
const httpStatus: Record<AnswerKind, number> = {
  ok: 200,
  held: 202,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  refused: 422,
  throttled: 429,
  failed: 500,
};

/** A gateway answer as HTTP: its status, and Retry-After in whole seconds (at least 1). */
export function httpAnswer(answer: CommandAnswer): {
  status: number;
  headers: Record<string, string>;
  body: unknown;
} {
  const { retryAfterMs } = answer;
  return {
    status: httpStatus[answer.kind],
    headers:
      retryAfterMs === undefined
        ? {}
        : { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
    body: answer.body,
  };
}

const send = (reply: FastifyReply, answer: CommandAnswer): FastifyReply => {
  const { status, headers, body } = httpAnswer(answer);
  return reply.code(status).headers(headers).send(body);
};

/** The request's span (when the API is traced) as the parent of what the gateway does for it. */
const callerOf = (request: FastifyRequest): Context | undefined => {
  const span = requestSpan(request);
  return span && within(span);
};

/** Principals found before the body was read, for the route's handler. */
const principals = new WeakMap<FastifyRequest, Principal>();

/**
 * An `onRequest` hook for a write: authenticates before the body is read, so a stranger's body
 * is never parsed nor validated (Node discards it unread) and costs a digest and a counter.
 * Without the proxy secret nothing is fetched (Grafana's keys come after it), so this is O(1).
 */
function authenticateFirst(
  authenticate: (headers: Headers) => Promise<Principal | AuthRefusal>,
): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  return async (request, reply) => {
    const who = await authenticate(request.headers);
    if (!isPrincipal(who)) return reply.code(401).send({ error: who.message, code: who.code });
    principals.set(request, who);
    return undefined;
  };
}

/** The pages one event-loop turn apart: other requests and timers run between two pages. */
async function* paced(pages: Iterable<string>): AsyncGenerator<string> {
  for (const page of pages) {
    yield page;
    await nextTurn();
  }
}

/**
 * The export as a stream of JSON lines read a page at a time as the client takes them
 * (backpressure: a slow reader pauses the reading). Headers name the entry it starts after, the
 * `start` for `verifyChain`.
 */
function sendExport(reply: FastifyReply, exported: AuditExport): FastifyReply {
  if (!exported.ok) {
    return reply
      .code(exported.code === 'archived' ? 409 : 400)
      .send({ error: exported.message, code: exported.code });
  }
  return reply
    .header('Content-Type', 'application/x-ndjson')
    .header('X-Twinops-Audit-Start-Seq', String(exported.start.seq))
    .header('X-Twinops-Audit-Start-Hash', exported.start.hash)
    .send(Readable.from(paced(exported.pages), { objectMode: false, highWaterMark: 64 * 1024 }));
}

/**
 * The command API, on the twin API's server: submit (with dry run), read, approve or reject, the
 * kill switch, and the audit log with its verification. Bodies are validated against their JSON
 * Schemas before the gateway sees them (unknown keys are refused, sizes bounded); every route
 * authenticates inside the gateway, reads included, and writes before their body is read.
 */
export function registerCommandRoutes(app: FastifyInstance, gateway: CommandGateway): void {
  const first = (route: CommandRoute) =>
    authenticateFirst((headers) => gateway.authenticate(headers, route));
  app.post(
    '/api/v1/commands',
    { onRequest: first('submit'), schema: { body: commandRequestSchema } },
    async (request, reply) =>
      send(
        reply,
        await gateway.submit(
          request.headers,
          request.body as CommandRequest,
          principals.get(request),
          callerOf(request),
        ),
      ),
  );
  app.get(
    '/api/v1/commands',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            asset: name,
            status: name,
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
          },
        },
      },
    },
    async (request, reply) => {
      const q = request.query as { asset?: string; status?: string; limit: number };
      return send(
        reply,
        await gateway.read(request.headers, (ledger) =>
          ledger.list({ assetId: q.asset, status: q.status as never, limit: q.limit }),
        ),
      );
    },
  );
  app.get(
    '/api/v1/commands/:id',
    { schema: { params: idParams } },
    async (request: FastifyRequest, reply) => {
      const { id } = request.params as { id: string };
      const answer = await gateway.read(request.headers, (ledger) => ledger.get(id));
      if (answer.kind === 'ok' && answer.body === undefined)
        return send(reply, { kind: 'not_found', body: { error: `no command "${id}"` } });
      return send(reply, answer);
    },
  );
  for (const verdict of ['approve', 'reject'] as const) {
    app.post(
      `/api/v1/commands/:id/${verdict}`,
      { onRequest: first(verdict), schema: { params: idParams, body: reviewSchema } },
      async (request, reply) => {
        const { id } = request.params as { id: string };
        return send(
          reply,
          await gateway.review(
            request.headers,
            id,
            verdict,
            (request.body as { reason: string }).reason,
            principals.get(request),
            callerOf(request),
          ),
        );
      },
    );
  }
  app.put(
    '/api/v1/kill-switch',
    { onRequest: first('kill_switch'), schema: { body: killSwitchSchema } },
    async (request, reply) => {
      const body = request.body as { assetClass?: string; engaged: boolean; reason: string };
      return send(
        reply,
        await gateway.setKillSwitch(
          request.headers,
          body.assetClass ? { assetClass: body.assetClass } : 'global',
          body.engaged,
          body.reason,
          principals.get(request),
        ),
      );
    },
  );
  // What may be commanded, per asset class: the forms of a UI are generated from `params`.
  app.get('/api/v1/catalog', async (request, reply) =>
    send(reply, await gateway.read(request.headers, () => gateway.catalog())),
  );
  app.get('/api/v1/kill-switch', async (request, reply) =>
    send(reply, await gateway.read(request.headers, (ledger) => ledger.killSwitches())),
  );
  app.get(
    '/api/v1/audit',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            command: name,
            after: { type: 'integer', minimum: 0 },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        },
      },
    },
    async (request, reply) => {
      const q = request.query as { command?: string; after?: number; limit: number };
      return send(
        reply,
        await gateway.read(request.headers, (ledger) =>
          ledger.readAudit({ commandId: q.command, afterSeq: q.after, limit: q.limit }),
        ),
      );
    },
  );
  app.get('/api/v1/audit/verify', async (request, reply) =>
    send(reply, await gateway.read(request.headers, () => gateway.verifyAudit())),
  );
  app.get(
    '/api/v1/audit/export',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { after: { type: 'integer', minimum: 0 } },
        },
      },
    },
    async (request, reply) => {
      const { after } = request.query as { after?: number };
      const answer = await gateway.read(request.headers, (ledger) => ledger.exportAudit(after));
      if (answer.kind !== 'ok') return send(reply, answer);
      return sendExport(reply, answer.body as AuditExport);
    },
  );
  // Admins only: export first, then archive through the last exported seq.
  app.post(
    '/api/v1/audit/archive',
    { onRequest: first('audit_archive'), schema: { body: auditArchiveSchema } },
    async (request, reply) => {
      const body = request.body as { throughSeq: number; reason: string };
      return send(
        reply,
        await gateway.archiveAudit(
          request.headers,
          body.throughSeq,
          body.reason,
          principals.get(request),
        ),
      );
    },
  );
}

/**
 * Retiring assets (dark ones stay stale until then): named assets, or the dark assets of a class
 * and/or site, 1000 a call. Authenticated, authorized and audited like a command.
 */
export function registerRetirementRoute(app: FastifyInstance, retirement: AssetRetirement): void {
  app.post(
    '/api/v1/assets/retire',
    {
      onRequest: authenticateFirst((headers) => retirement.authenticate(headers)),
      schema: { body: retirementSchema },
    },
    async (request, reply) =>
      send(
        reply,
        await retirement.retire(
          request.headers,
          request.body as RetirementRequest,
          principals.get(request),
        ),
      ),
  );
}
