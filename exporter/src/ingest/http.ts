import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server, type ServerOptions } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';
import type { Tracer } from '@opentelemetry/api';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { serverLogging } from '../access-log.js';
import type { IngestAuthConfig, IngestHttpConfig, IngestTlsConfig } from '../config/types.js';
import { fallbackLogger, type Logger } from '../log.js';
import type { Encoding, Signal } from '../model.js';
import { exemplarOf, requestSpan, traceRequests } from '../tracing.js';
import { OtlpLimitError, type RequestBounds } from './otlp/bounds.js';
import { OtlpDecodeError, encodeExportResponse, encodeStatus } from './otlp/decode.js';
import { decodeAndNormalize } from './otlp/normalize.js';
import {
  IngestUnavailableError,
  type ContentEncoding,
  type IngestSink,
  type OtlpOutcome,
} from './pipeline.js';
import type { IngestTelemetry, RefusalReason } from '../metrics/ingest.js';

export interface OtlpHttpOptions {
  /** Largest body accepted, compressed or not; larger gets 413. */
  maxBodyBytes: number;
  /** Requests in flight at once; more get 429 with Retry-After. */
  maxConcurrentRequests: number;
  /** Counted on a body's bytes before it is decoded; more gets 413 (see otlp/bounds.ts). */
  maxElementsPerRequest: number;
  maxPointsPerRequest: number;
  retryAfterSeconds: number;
  /** False while starting or stopping: requests get 503 with Retry-After. */
  isReady: () => boolean;
  /** Timeouts, minimum body rate and connection caps. */
  http: IngestHttpConfig;
  /** When enabled, a request without an accepted bearer token gets 401 before its body is read. */
  auth?: IngestAuthConfig;
  /** When enabled, HTTPS (mutual with `clientCaFile`). */
  tls?: IngestTlsConfig;
  /** fastify's logs and the access records (at debug: collectors push many a second). */
  logger?: Logger;
  /** A SERVER span for every request, refused ones too (see tracing.ts). */
  tracer?: Tracer;
}

const contentTypes: Record<string, Encoding> = {
  'application/x-protobuf': 'otlp_proto',
  'application/json': 'otlp_json',
};

/** gRPC status codes OTLP/HTTP puts in the Status body. */
const grpc = {
  invalidArgument: 3,
  deadlineExceeded: 4,
  resourceExhausted: 8,
  unimplemented: 12,
  unavailable: 14,
  unauthenticated: 16,
};

/** Answers given before the body is read (or in its place): the connection closes with them. */
const closing = new Set([401, 408, 429, 503]);

/** A bearer token longer than this is refused unread. */
const maxTokenLength = 4096;

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(message);
  }
}

/** The media type of a request, without parameters, lower-cased. */
const mediaType = (request: FastifyRequest): string =>
  (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

/**
 * The OTLP/HTTP receiver: POST /v1/metrics and /v1/logs in protobuf or JSON, optionally gzip
 * (or deflate), answered in the request's own content type as the OTLP specification asks.
 * Overload is refused up front (before the body is read), and a body's elements are counted on
 * its bytes before it is decoded (otlp/bounds.ts), so memory stays bounded by
 * maxConcurrentRequests × maxBodyBytes plus one request's elements. A 200 is sent only once the
 * request is on disk and applied (the sink's promise): an OTLP client never sends again what got
 * a 200.
 *
 * Slow or stuck clients cannot keep a slot: Node closes a connection whose headers or whole
 * request take too long (408), and a body that falls under the minimum rate after its grace gets
 * 408 here; connections are capped per client address and in all, at accept.
 */
export function buildOtlpHttpServer(
  sink: IngestSink,
  telemetry: IngestTelemetry,
  options: OtlpHttpOptions,
): FastifyInstance {
  const limits = options.http;
  const countRefusal = (reason: RefusalReason): void =>
    telemetry.refused.inc({ transport: 'otlp_http', reason });
  // Node checks its header and request timeouts on this interval (30 s unless told), so it
  // bounds how late they fire; the minimum rate is checked on the same beat.
  const checkEveryMs = Math.max(50, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4)));
  const nodeOptions: ServerOptions = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: checkEveryMs,
  };
  const tls = options.tls?.enabled ? tlsOptions(options.tls) : undefined;
  const app = Fastify({
    ...serverLogging(options.logger ?? fallbackLogger(), true),
    forceCloseConnections: true,
    bodyLimit: options.maxBodyBytes,
    serverFactory: (handler) => {
      const server = tls
        ? // A TLS handshake is held to the header timeout too (Node's default is 120 s).
          createHttpsServer(
            { ...nodeOptions, ...tls, handshakeTimeout: limits.headersTimeoutMs },
            handler,
          )
        : createHttpServer(nodeOptions, handler);
      server.maxConnections = limits.maxConnections;
      server.on('drop', () => countRefusal('too_many_connections'));
      capConnectionsPerClient(server, limits.maxConnectionsPerClient, () =>
        countRefusal('too_many_connections'),
      );
      return server as unknown as Server;
    },
    // Node's header and request timeouts land here as ERR_HTTP_REQUEST_TIMEOUT: fastify's own
    // answer (408; 400 for a parse error, e.g. a client gone mid-body, counted as aborted where
    // the body was being read), and the timeouts counted.
    clientErrorHandler: (error: NodeJS.ErrnoException, socket: Socket) => {
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      const timeout = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
      if (timeout) countRefusal('slow_client');
      if (socket.writable) {
        const status = timeout ? '408 Request Timeout' : '400 Bad Request';
        socket.write(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      }
      socket.destroy(error);
    },
  });
  // First of the hooks: a request refused by the others is in a span too.
  if (options.tracer) traceRequests(app, options.tracer);
  let inflight = 0;
  /** Slots held per client address: one address never holds them all. */
  const slotsByClient = new PerClient();
  const accepts = tokenCheck(options.auth);
  /** Requests whose body is being read, with when that began and the socket's bytes then. */
  const reading = new Map<
    FastifyRequest,
    { reply: FastifyReply; sinceMs: number; bytes: number }
  >();
  const rateCheck = setInterval(() => {
    const now = Date.now();
    for (const [request, { reply: response, sinceMs, bytes }] of reading) {
      const elapsedMs = now - sinceMs;
      if (elapsedMs < limits.minRateGraceMs) continue;
      const received = (request.raw.socket?.bytesRead ?? 0) - bytes;
      if (received * 1000 >= limits.minBytesPerSecond * elapsedMs) continue;
      reading.delete(request);
      refuse(
        request,
        response,
        new Refusal(
          408,
          'slow_client',
          `body slower than ${limits.minBytesPerSecond} bytes/s after ${limits.minRateGraceMs} ms`,
        ),
      );
    }
  }, checkEveryMs);
  rateCheck.unref();
  app.addHook('onClose', async () => clearInterval(rateCheck));
  const bounds: RequestBounds = {
    maxElements: options.maxElementsPerRequest,
    maxPoints: options.maxPointsPerRequest,
  };

  // Bodies arrive as raw bytes; decoding is ours, per the content type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  const reply = (
    request: FastifyRequest,
    response: FastifyReply,
    status: number,
    body: Uint8Array,
  ): FastifyReply => {
    const json = contentTypes[mediaType(request)] === 'otlp_json';
    return response
      .code(status)
      .header('Content-Type', json ? 'application/json' : 'application/x-protobuf')
      .send(Buffer.from(body));
  };

  const refuse = (
    request: FastifyRequest,
    response: FastifyReply,
    refusal: Refusal,
  ): FastifyReply => {
    countRefusal(refusal.reason);
    requestSpan(request)?.setAttribute('twin.ingest.refusal', refusal.reason);
    const encoding = contentTypes[mediaType(request)] ?? 'otlp_proto';
    if (refusal.status === 429 || refusal.status === 503) {
      response.header('Retry-After', String(options.retryAfterSeconds));
    }
    if (refusal.status === 401) response.header('WWW-Authenticate', 'Bearer');
    // The unread body is never drained: the client sends again on a new connection.
    if (closing.has(refusal.status)) response.header('Connection', 'close');
    const code =
      {
        401: grpc.unauthenticated,
        408: grpc.deadlineExceeded,
        429: grpc.resourceExhausted,
        503: grpc.unavailable,
      }[refusal.status] ?? grpc.invalidArgument;
    return reply(request, response, refusal.status, encodeStatus(encoding, code, refusal.message));
  };

  app.addHook('onRequest', async (request, response) => {
    if (accepts && !accepts(request.headers.authorization)) {
      return refuse(
        request,
        response,
        new Refusal(
          401,
          'unauthenticated',
          'send "Authorization: Bearer <token>" with an accepted token',
        ),
      );
    }
    if (!options.isReady()) {
      return refuse(
        request,
        response,
        new Refusal(503, 'not_ready', 'the exporter is not ready; retry later'),
      );
    }
    if (inflight >= options.maxConcurrentRequests) {
      return refuse(
        request,
        response,
        new Refusal(
          429,
          'overloaded',
          `over ${options.maxConcurrentRequests} requests in flight; retry later`,
        ),
      );
    }
    const client = request.socket.remoteAddress ?? '';
    if (!slotsByClient.take(client, limits.maxRequestsPerClient)) {
      return refuse(
        request,
        response,
        new Refusal(
          429,
          'overloaded',
          `over ${limits.maxRequestsPerClient} requests in flight from this client; retry later`,
        ),
      );
    }
    inflight += 1;
    telemetry.queueDepth.set({ transport: 'otlp_http' }, inflight);
    const now = Date.now();
    (request as FastifyRequest & { receivedMs: number }).receivedMs = now;
    reading.set(request, {
      reply: response,
      sinceMs: now,
      bytes: request.raw.socket?.bytesRead ?? 0,
    });
    // 'close' fires once the response is sent or the client goes away mid-body: either frees the slot.
    response.raw.once('close', () => {
      reading.delete(request);
      slotsByClient.release(client);
      inflight -= 1;
      telemetry.queueDepth.set({ transport: 'otlp_http' }, inflight);
    });
  });
  // The body is in: the minimum rate no longer applies.
  app.addHook('preValidation', async (request) => {
    reading.delete(request);
  });

  app.setErrorHandler(
    (error: Error & { statusCode?: number; code?: string }, request, response) => {
      // Already answered (e.g. 408 for a slow body): what follows is the connection closing.
      if (response.sent) return response;
      if (error instanceof Refusal) return refuse(request, response, error);
      if (error.message === 'aborted' || error.code === 'ECONNRESET') {
        // The client went away mid-body: nothing to answer, and nothing malformed about it.
        telemetry.refused.inc({ transport: 'otlp_http', reason: 'aborted' });
        return response;
      }
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        return refuse(
          request,
          response,
          new Refusal(413, 'too_large', `body over ${options.maxBodyBytes} bytes`),
        );
      }
      const status =
        error.statusCode && error.statusCode >= 400 && error.statusCode < 500
          ? error.statusCode
          : 500;
      return refuse(request, response, new Refusal(status, 'malformed', error.message));
    },
  );

  const route = (signal: Signal) => async (request: FastifyRequest, response: FastifyReply) => {
    const encoding = contentTypes[mediaType(request)];
    if (!encoding) {
      throw new Refusal(
        415,
        'unsupported_media_type',
        `Content-Type must be application/x-protobuf or application/json, not "${mediaType(request) || 'none'}"`,
      );
    }
    const raw = (request.body as Buffer | undefined) ?? Buffer.alloc(0);
    telemetry.bytes.inc({ transport: 'otlp_http', signal }, raw.length);
    const contentEncoding = contentEncodingOf(request.headers['content-encoding']);
    const { receivedMs } = request as FastifyRequest & { receivedMs: number };
    const body = decompress(raw, contentEncoding, options.maxBodyBytes);
    let outcome: OtlpOutcome;
    try {
      outcome = await sink.otlp(
        {
          signal,
          encoding,
          raw,
          contentEncoding,
          body,
          receivedMs,
        },
        () => decodeAndNormalize(signal, encoding, body, bounds),
      );
    } catch (error) {
      if (error instanceof OtlpLimitError) throw new Refusal(413, 'too_large', error.message);
      if (error instanceof OtlpDecodeError) throw new Refusal(400, 'malformed', error.message);
      if (error instanceof IngestUnavailableError) {
        throw new Refusal(503, 'unavailable', `${error.message}; retry later`);
      }
      throw error;
    }
    const { batch, rejected, rejectedByState } = outcome;
    const span = requestSpan(request);
    span?.setAttributes({
      'twin.ingest.signal': signal,
      'twin.ingest.points': batch ? batch.points.length - rejectedByState : 0,
      'twin.ingest.rejected_points': rejected,
      'twin.ingest.retry': !batch,
    });
    let message: string;
    if (batch) {
      telemetry.count('otlp_http', signal, batch, rejectedByState);
      telemetry.traced(batch.points, receivedMs, exemplarOf(span));
      message = [
        batch.errorMessage,
        rejectedByState ? `${rejectedByState} over the state's limits (over_limit)` : '',
      ]
        .filter(Boolean)
        .join('; ');
    } else {
      telemetry.retries.inc({ transport: 'otlp_http', signal });
      message = `a retry of a request already applied; ${rejected} of its points were rejected then`;
    }
    return reply(request, response, 200, encodeExportResponse(signal, encoding, rejected, message));
  };
  app.post('/v1/metrics', route('metrics'));
  app.post('/v1/logs', route('logs'));
  return app;
}

function contentEncodingOf(header: string | undefined): ContentEncoding {
  const encoding = (header ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return 'identity';
  if (encoding === 'gzip' || encoding === 'deflate') return encoding;
  throw new Refusal(
    415,
    'unsupported_media_type',
    `Content-Encoding "${encoding}" is not supported (gzip, deflate)`,
  );
}

/** Undoes Content-Encoding within the size limit: a zip bomb gets 413, not the heap. */
function decompress(raw: Buffer, encoding: ContentEncoding, maxBytes: number): Buffer {
  if (encoding === 'identity') return raw;
  const inflate = encoding === 'gzip' ? gunzipSync : inflateSync;
  try {
    return inflate(raw, { maxOutputLength: maxBytes });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new Refusal(413, 'too_large', `body over ${maxBytes} bytes once decompressed`);
    }
    throw new Refusal(400, 'malformed', `invalid ${encoding} body: ${(error as Error).message}`);
  }
}

/**
 * Connections per client address, counted at accept and closed at once beyond the cap: O(1) per
 * connection, so one address cannot take every connection the server will hold.
 */
function capConnectionsPerClient(
  server: { on(event: 'connection', listener: (socket: Socket) => void): unknown },
  cap: number,
  refused: () => void,
): void {
  const open = new PerClient();
  server.on('connection', (socket) => {
    const address = socket.remoteAddress;
    if (address === undefined) return;
    if (!open.take(address, cap)) {
      refused();
      socket.destroy();
      return;
    }
    socket.once('close', () => open.release(address));
  });
}

/** What each client address holds (connections, slots), forgotten once it holds nothing. */
class PerClient {
  private readonly held = new Map<string, number>();

  /** Takes one for `address` unless it already holds `cap`. */
  take(address: string, cap: number): boolean {
    const count = this.held.get(address) ?? 0;
    if (count >= cap) return false;
    this.held.set(address, count + 1);
    return true;
  }

  release(address: string): void {
    const left = (this.held.get(address) ?? 1) - 1;
    if (left <= 0) this.held.delete(address);
    else this.held.set(address, left);
  }
}

/**
 * The bearer token check, as the collector's `bearertokenauth` sends it: the token's SHA-256
 * digest compared in constant time with every accepted digest (no early exit, so timing tells
 * nothing about which matched). Undefined when ingest auth is off.
 */
function tokenCheck(
  auth: IngestAuthConfig | undefined,
): ((header: string | undefined) => boolean) | undefined {
  if (!auth?.enabled) return undefined;
  const accepted = auth.tokens
    .filter((t) => /^[0-9a-f]{64}$/i.test(t.sha256))
    .map((t) => Buffer.from(t.sha256, 'hex'));
  return (header) => {
    if (header === undefined || header.length > maxTokenLength + 7) return false;
    const match = /^Bearer +(\S+) *$/i.exec(header);
    if (!match) return false;
    const digest = createHash('sha256')
      .update(match[1] as string, 'utf8')
      .digest();
    let found = false;
    for (const stored of accepted) found = timingSafeEqual(stored, digest) || found;
    return found;
  };
}

/** The HTTPS server's key material; with a client CA, only clients it signed get through. */
function tlsOptions(tls: IngestTlsConfig) {
  const read = (key: keyof IngestTlsConfig, path: string | undefined): Buffer => {
    try {
      return readFileSync(path ?? '');
    } catch (error) {
      throw new Error(`ingest.tls.${key}: cannot read "${path}": ${(error as Error).message}`, {
        cause: error,
      });
    }
  };
  return {
    cert: read('certFile', tls.certFile),
    key: read('keyFile', tls.keyFile),
    ...(tls.clientCaFile
      ? { ca: read('clientCaFile', tls.clientCaFile), requestCert: true, rejectUnauthorized: true }
      : {}),
  };
}
