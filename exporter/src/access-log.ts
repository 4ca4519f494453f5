/**
 * What the exporter's HTTP servers write about each request: one access record (method, route,
 * URL, status, duration, client address) and nothing that can authenticate anyone. Headers are
 * never written (the serializers below leave them out, and the root logger censors the secret
 * ones wherever a record carries them), and of a query only the parameters the exporter's routes
 * define keep their values: any other one could hold a token pasted into a URL.
 */
import {
  LogController,
  type FastifyBaseLogger,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from 'pino';

/** Headers that carry credentials or a person's identity: censored in any record that has them. */
export const secretHeaders = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-grafana-id',
  'x-grafana-context',
  'x-grafana-user',
  'x-twinops-proxy-secret',
] as const;

/**
 * The query parameters of the exporter's routes (twin API, commands, audit): ids, names, numbers,
 * flags. Their values are logged; every other parameter, name and value, is `[redacted]`.
 */
const routeParameters = new Set([
  'id',
  'class',
  'site',
  'stale',
  'diverged',
  'offset',
  'limit',
  'property',
  'model',
  'version',
  'asset',
  'status',
  'command',
  'after',
]);

export const redacted = '[redacted]';

/** Longest URL written; the rest is cut (a URL may be up to Node's 16 KiB of headers). */
const maxUrlLength = 1024;

/** The URL as it may be logged: the path, and of the query only the routes' own parameters. */
export function redactUrl(url: string): string {
  const mark = url.indexOf('?');
  let safe = url;
  if (mark >= 0) {
    const query = url
      .slice(mark + 1)
      .split('&')
      .map((part) => {
        const name = part.split('=', 1)[0] ?? '';
        return part === '' || routeParameters.has(name) ? part : redacted;
      });
    safe = `${url.slice(0, mark)}?${query.join('&')}`;
  }
  return safe.length > maxUrlLength ? `${safe.slice(0, maxUrlLength)}…` : safe;
}

/** A request as logs show it (pino's `req` serializer): never its headers or body. */
export function requestForLog(request: {
  method?: string;
  url?: string;
  ip?: string;
  socket?: { remoteAddress?: string } | null;
}): { method?: string; url?: string; remoteAddress?: string } {
  return {
    method: request.method,
    url: request.url === undefined ? undefined : redactUrl(request.url),
    remoteAddress: request.ip ?? request.socket?.remoteAddress,
  };
}

export type AccessLevel = 'error' | 'warn' | 'info' | 'debug';

/**
 * People's requests (the twin API, commands) are written at info, a 5xx at warn. Machines'
 * requests (OTLP pushes, scrapes, probes) come many a second and their refusals are counted in
 * metrics already (a 503 to a readiness probe is expected all through a restore, a 429 under
 * load): debug. A 500 is a fault, an error wherever it happens.
 */
export function accessLevel(status: number, machines: boolean): AccessLevel {
  if (status === 500) return 'error';
  if (machines) return 'debug';
  return status >= 500 ? 'warn' : 'info';
}

export interface AccessRecord {
  method: string;
  /** The route's pattern (`/api/v1/assets/:id`), or `unmatched`. */
  route: string;
  url: string;
  status: number;
  durationMs: number;
  remoteAddress: string | undefined;
}

export function accessRecord(request: FastifyRequest, reply: FastifyReply): AccessRecord {
  return {
    method: request.method,
    route: request.routeOptions.url ?? 'unmatched',
    url: redactUrl(request.url),
    status: reply.statusCode,
    durationMs: Math.round(reply.elapsedTime * 10) / 10,
    remoteAddress: request.ip,
  };
}

/**
 * fastify's request logging, replaced: one record when a response is done instead of two, and
 * none of fastify's own lines that would print the raw URL (its "route not found").
 */
class AccessLog extends LogController {
  constructor(private readonly machines: boolean) {
    super();
  }

  override incomingRequest(): void {}

  override routeNotFound(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const level = accessLevel(reply.statusCode, this.machines);
    const log = reply.log as Logger;
    if (!log.isLevelEnabled(level)) return;
    log[level]({ ...accessRecord(request, reply), ...(error ? { err: error } : {}) }, 'request');
  }

  override defaultErrorLog(error: Error, _request: FastifyRequest, reply: FastifyReply): void {
    // The access record follows with the status; a server fault also gets its error.
    if (reply.statusCode >= 500) reply.log.error({ err: error }, error.message);
  }
}

/**
 * The logging options of one of the exporter's fastify servers: `logger` (a child naming the
 * server) for everything fastify logs, and the access records. `machines`: its requests come from
 * machines at a steady rate (OTLP, scrapes, probes).
 */
export function serverLogging(
  logger: Logger,
  machines: boolean,
): { loggerInstance: FastifyBaseLogger; logController: LogController } {
  return { loggerInstance: logger, logController: new AccessLog(machines) };
}
