/**
 * The exporter's own traces. Spans are always made, whatever the export: the exemplars on
 * /metrics name their trace ids. They leave the process only when an OTLP endpoint is configured.
 *
 * Spans are handed on explicitly (a request's span, a command's stored traceparent) rather than
 * found in the active context: a command's life crosses batched transactions, timers and
 * restarts, where no context would survive.
 */
import { readFileSync } from 'node:fs';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
} from '@opentelemetry/semantic-conventions';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TracingConfig } from './config/types.js';

// Read at run time (not imported) so the compiled dist/ finds it as src/ does, one level up.
const { version } = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string };

/** Close waits at most this for the last spans to reach a collector that may be away. */
const shutdownTimeoutMs = 5_000;

const w3c = new W3CTraceContextPropagator();

export interface TracingOptions {
  /** Every span is also handed to this exporter as it ends (tests: an InMemorySpanExporter). */
  spanExporter?: SpanExporter;
}

/** One exporter's tracer provider: its spans, their sampling and where they go. */
export class Tracing {
  readonly tracer: Tracer;
  private readonly provider: NodeTracerProvider;

  constructor(
    config: TracingConfig = { otlpEndpoint: '', sampleRatio: 1 },
    options: TracingOptions = {},
  ) {
    const spanProcessors: SpanProcessor[] = [];
    // Off: no exporter at all, so nothing is ever sent or even connected to.
    if (config.otlpEndpoint) {
      spanProcessors.push(
        new BatchSpanProcessor(new OTLPTraceExporter({ url: config.otlpEndpoint })),
      );
    }
    if (options.spanExporter) spanProcessors.push(new SimpleSpanProcessor(options.spanExporter));
    this.provider = new NodeTracerProvider({
      resource: defaultResource().merge(
        resourceFromAttributes({
          [ATTR_SERVICE_NAME]: 'twinops-exporter',
          [ATTR_SERVICE_VERSION]: version,
        }),
      ),
      // A sender's sampled flag decides for its trace; the ratio decides for the traces we begin.
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) }),
      spanProcessors,
    });
    // AsyncLocalStorage context and the W3C propagator for the process. A second exporter in the
    // same process (tests) leaves the first one's registration in place; its own spans still come
    // from its own provider, as every tracer here is taken from it, never from the global API.
    this.provider.register({ propagator: w3c });
    this.tracer = this.provider.getTracer('twinops-exporter', version);
  }

  /** Ends the provider: spans still buffered are sent, for at most a few seconds. */
  async shutdown(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolveLate) => {
      timer = setTimeout(resolveLate, shutdownTimeoutMs);
      timer.unref();
    });
    await Promise.race([this.provider.shutdown().catch(() => undefined), late]);
    clearTimeout(timer);
  }
}

/**
 * The context a W3C traceparent continues: a header as a caller sent it, or one the command ledger
 * stored. A missing, malformed or repeated one (Node joins repeats into one string) starts a new
 * trace.
 */
export function continueTrace(traceparent: string | string[] | undefined): Context {
  if (typeof traceparent !== 'string') return ROOT_CONTEXT;
  return w3c.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter);
}

/** The context whose parent is `span`. */
export function within(span: Span): Context {
  return trace.setSpan(ROOT_CONTEXT, span);
}

/** A span's W3C traceparent: what a device, or an ack arriving after a restart, continues. */
export function traceparentOf(span: Span): string {
  const carrier: Record<string, string> = {};
  w3c.inject(within(span), carrier, defaultTextMapSetter);
  return carrier.traceparent ?? '';
}

/** The labels of an OpenMetrics exemplar: the trace and span a metric observation was made in. */
export type ExemplarLabels = { trace_id: string; span_id: string };

/** The exemplar labels of a span, only when its trace is kept: an exemplar must lead somewhere. */
export function exemplarOf(span: Span | undefined): ExemplarLabels | undefined {
  const context = span?.spanContext();
  if (!context || (context.traceFlags & TraceFlags.SAMPLED) === 0) return undefined;
  return { trace_id: context.traceId, span_id: context.spanId };
}

const requestSpans = new WeakMap<FastifyRequest, Span>();

/**
 * A SERVER span for every request `app` serves, continuing the caller's `traceparent`, named by
 * method and route and ended with the status once the response is sent (or the client is gone).
 * Add it before any other hook, so what those hooks refuse is in a span too.
 */
export function traceRequests(app: FastifyInstance, tracer: Tracer): void {
  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.url;
    const span = tracer.startSpan(
      route ? `${request.method} ${route}` : request.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: request.method,
          ...(route ? { [ATTR_HTTP_ROUTE]: route } : {}),
        },
      },
      continueTrace(request.headers.traceparent),
    );
    requestSpans.set(request, span);
    reply.raw.once('close', () => {
      if (reply.raw.headersSent) {
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, reply.raw.statusCode);
        if (reply.raw.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      } else {
        span.setAttribute('error.type', 'client_closed');
      }
      span.end();
    });
  });
}

/** The span `traceRequests` made for a request (none when the server is not traced). */
export function requestSpan(request: FastifyRequest): Span | undefined {
  return requestSpans.get(request);
}
