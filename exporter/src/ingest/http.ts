import { gunzipSync, inflateSync } from 'node:zlib';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Encoding, Signal } from '../model.js';
import { OtlpDecodeError, encodeExportResponse, encodeStatus } from './otlp/decode.js';
import { decodeAndNormalize } from './otlp/normalize.js';
import {
  IngestUnavailableError,
  type ContentEncoding,
  type IngestSink,
  type OtlpOutcome,
} from './pipeline.js';
import type { IngestTelemetry, RefusalReason } from './telemetry.js';

export interface OtlpHttpOptions {
  /** Largest body accepted, compressed or not; larger gets 413. */
  maxBodyBytes: number;
  /** Requests in flight at once; more get 429 with Retry-After. */
  maxConcurrentRequests: number;
  retryAfterSeconds: number;
  /** False while starting or stopping: requests get 503 with Retry-After. */
  isReady: () => boolean;
}

const contentTypes: Record<string, Encoding> = {
  'application/x-protobuf': 'otlp_proto',
  'application/json': 'otlp_json',
};

/** gRPC status codes OTLP/HTTP puts in the Status body. */
const grpc = { invalidArgument: 3, resourceExhausted: 8, unavailable: 14, unimplemented: 12 };

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
 * Overload is refused up front (before the body is read), so memory stays bounded by
 * maxConcurrentRequests × maxBodyBytes. A 200 is sent only once the request is on disk and
 * applied (the sink's promise): an OTLP client never sends again what got a 200.
 */
export function buildOtlpHttpServer(
  sink: IngestSink,
  telemetry: IngestTelemetry,
  options: OtlpHttpOptions,
): FastifyInstance {
  const app = Fastify({
    logger: false,
    forceCloseConnections: true,
    bodyLimit: options.maxBodyBytes,
  });
  let inflight = 0;

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
    telemetry.refused.inc({ transport: 'otlp_http', reason: refusal.reason });
    const encoding = contentTypes[mediaType(request)] ?? 'otlp_proto';
    if (refusal.status === 429 || refusal.status === 503) {
      response.header('Retry-After', String(options.retryAfterSeconds));
    }
    const code =
      refusal.status === 429
        ? grpc.resourceExhausted
        : refusal.status === 503
          ? grpc.unavailable
          : grpc.invalidArgument;
    return reply(request, response, refusal.status, encodeStatus(encoding, code, refusal.message));
  };

  app.addHook('onRequest', async (request, response) => {
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
    inflight += 1;
    telemetry.queueDepth.set({ transport: 'otlp_http' }, inflight);
    (request as FastifyRequest & { receivedMs: number }).receivedMs = Date.now();
    // 'close' fires once the response is sent or the client goes away mid-body: either frees the slot.
    response.raw.once('close', () => {
      inflight -= 1;
      telemetry.queueDepth.set({ transport: 'otlp_http' }, inflight);
    });
  });

  app.setErrorHandler(
    (error: Error & { statusCode?: number; code?: string }, request, response) => {
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
          receivedMs: (request as FastifyRequest & { receivedMs: number }).receivedMs,
        },
        () => decodeAndNormalize(signal, encoding, body),
      );
    } catch (error) {
      if (error instanceof OtlpDecodeError) throw new Refusal(400, 'malformed', error.message);
      if (error instanceof IngestUnavailableError) {
        throw new Refusal(503, 'unavailable', `${error.message}; retry later`);
      }
      throw error;
    }
    const { batch, rejected, rejectedByState } = outcome;
    let message: string;
    if (batch) {
      telemetry.count('otlp_http', signal, batch, rejectedByState);
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
