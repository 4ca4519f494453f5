import { once } from 'node:events';
import dc from 'node:diagnostics_channel';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenDigest } from './commands/auth.js';
import { simulatedDevice } from './commands/simulated-device.js';
import type { CommandMessage } from './commands/transport.js';
import { configFromDocument } from './config/index.js';
import { startExporter, type RunningExporter } from './exporter.js';
import { continueTrace } from './tracing.js';
import { trace } from '@opentelemetry/api';
import { pumpSetSpeed } from '../test/commands/pump-catalog.js';

/**
 * The exporter's own traces through its real startup: one trace per command from the API call to
 * the device's ack and the outcome, the traceparent the device gets, exemplars on /metrics that
 * name those traces, and OTLP export only when an endpoint is set.
 */

const token = 'tracing-test-token-0123456789';
const callerTraceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const callerSpanId = '00f067aa0ba902b7';
const ingestTraceId = '0af7651916cd43dd8448eb211c80319c';

const configFor = (tracing: object = {}) =>
  configFromDocument({
    server: { host: '127.0.0.1', otlpPort: 0, metricsPort: 0, apiPort: 0 },
    state: { snapshot: { path: ':memory:' } },
    tracing,
    commands: {
      enabled: true,
      ledgerPath: ':memory:',
      ackTimeout: '2s',
      convergenceTimeout: '2s',
      auth: { tokens: [{ sha256: tokenDigest(token), user: 'olga', roles: ['operator'] }] },
      catalog: {
        pump: {
          setSpeed: {
            ...pumpSetSpeed,
            risk: 'medium',
            envelope: { ...pumpSetSpeed.envelope, maxStep: 300 },
            simulation: { kind: 'set' },
          },
        },
      },
    },
  });

/** pump-1 reports its speed, observed 2 s ago, over OTLP/HTTP JSON. */
function reportSpeed(exporter: RunningExporter, rpm: number, headers: Record<string, string> = {}) {
  const attribute = (key: string, value: string) => ({ key, value: { stringValue: value } });
  const body = {
    resourceMetrics: [
      {
        resource: {
          attributes: [attribute('twin.asset.id', 'pump-1'), attribute('twin.asset.class', 'pump')],
        },
        scopeMetrics: [
          {
            metrics: [
              {
                name: 'speed',
                gauge: {
                  dataPoints: [
                    {
                      timeUnixNano: String(BigInt(Date.now() - 2_000) * 1_000_000n),
                      asDouble: rpm,
                      attributes: [attribute('twin.source', 'physical')],
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  };
  return fetch(`${exporter.urls.otlp}/v1/metrics`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

async function waitFor<T>(read: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await read();
    if (value !== undefined) return value;
    await new Promise((resolveSoon) => setTimeout(resolveSoon, 25));
  }
  throw new Error(`waited in vain for ${what}`);
}

const traceOf = (span: ReadableSpan) => span.spanContext().traceId;

describe('traces and exemplars (export off)', () => {
  const spans = new InMemorySpanExporter();
  const received: CommandMessage[] = [];
  /** Every outgoing TCP connection this process opens during the suite. */
  const sockets: Socket[] = [];
  const onSocket = ({ socket }: { socket: Socket }) => void sockets.push(socket);
  /** An SDK-default OTLP endpoint, in case anything exported without being told to. */
  let trap: Server;
  let trapped = 0;
  let exporter: RunningExporter;
  let commandId: string;

  beforeAll(async () => {
    dc.subscribe('net.client.socket', onSocket as (message: unknown) => void);
    trap = createServer((_request, response) => {
      trapped += 1;
      response.end();
    }).listen(0, '127.0.0.1');
    await once(trap, 'listening');
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(trap.address() as AddressInfo).port}`;
    exporter = await startExporter(configFor(), {
      spanExporter: spans,
      inProcessDevice: (message, ack) => {
        received.push(message);
        simulatedDevice(exporter.twin)(message, ack);
      },
    });
    const ingest = await reportSpeed(exporter, 1000, {
      traceparent: `00-${ingestTraceId}-b7ad6b7169203331-01`,
    });
    expect(ingest.status).toBe(200);
    const submitted = await fetch(`${exporter.urls.api}/api/v1/commands`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${token}`,
        traceparent: `00-${callerTraceId}-${callerSpanId}-01`,
      },
      body: JSON.stringify({
        idempotencyKey: 'tracing-test-1',
        assetId: 'pump-1',
        name: 'setSpeed',
        params: { rpm: 1200 },
        reason: 'trace one command',
      }),
    });
    expect(submitted.status).toBe(200);
    commandId = ((await submitted.json()) as { command: { id: string } }).command.id;
    await waitFor(async () => {
      const response = await fetch(`${exporter.urls.api}/api/v1/commands/${commandId}`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      return ((await response.json()) as { outcome?: string }).outcome;
    }, 'the outcome');
  });

  afterAll(async () => {
    await exporter?.close();
    dc.unsubscribe('net.client.socket', onSocket as (message: unknown) => void);
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    trap?.close();
  });

  it('makes one trace of a command, the caller’s, from the API call to the outcome', async () => {
    const ofCommand = await waitFor(async () => {
      const found = spans.getFinishedSpans().filter((s) => traceOf(s) === callerTraceId);
      return found.some((s) => s.name === 'command.outcome') ? found : undefined;
    }, 'the outcome span');
    const byName = (name: string) => ofCommand.filter((s) => s.name === name);
    const [api] = byName('POST /api/v1/commands');
    const [decided] = byName('command.guard_chain');
    const [dispatched] = byName('command.dispatch');
    expect(api?.kind).toBe(SpanKind.SERVER);
    expect(api?.parentSpanContext?.spanId).toBe(callerSpanId);
    expect(api?.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/api/v1/commands',
      'http.response.status_code': 200,
    });
    expect(decided?.parentSpanContext?.spanId).toBe(api?.spanContext().spanId);
    expect(decided?.attributes).toMatchObject({
      'twin.command.id': commandId,
      'twin.command.decision': 'accepted',
    });
    expect(dispatched?.kind).toBe(SpanKind.PRODUCER);
    expect(dispatched?.parentSpanContext?.spanId).toBe(decided?.spanContext().spanId);
    // The simulated device acks twice (accepted, done); the outcome closes the trace.
    expect(byName('command.ack').map((s) => s.attributes['twin.command.ack.status'])).toEqual([
      'accepted',
      'done',
    ]);
    expect(byName('command.outcome')[0]?.attributes).toMatchObject({
      'twin.command.id': commandId,
      'twin.command.outcome': 'applied',
    });
    // The device got the dispatch span's own context: its spans join the same trace.
    const sent = received.find((m) => m.commandId === commandId)?.traceparent;
    expect(sent).toBe(`00-${callerTraceId}-${dispatched?.spanContext().spanId}-01`);
    const resource = api?.resource.attributes;
    expect(resource?.['service.name']).toBe('twinops-exporter');
    expect(resource?.['service.version']).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('makes a SERVER span of each ingest request, continuing its traceparent', () => {
    const [ingest] = spans.getFinishedSpans().filter((s) => traceOf(s) === ingestTraceId);
    expect(ingest?.name).toBe('POST /v1/metrics');
    expect(ingest?.kind).toBe(SpanKind.SERVER);
    expect(ingest?.attributes).toMatchObject({
      'http.response.status_code': 200,
      'twin.ingest.signal': 'metrics',
      'twin.ingest.points': 1,
      'twin.ingest.rejected_points': 0,
      'twin.ingest.retry': false,
    });
  });

  it('serves exemplars naming those traces in OpenMetrics, and none in the Prometheus format', async () => {
    const open = await (
      await fetch(`${exporter.urls.metrics}/metrics`, {
        headers: { Accept: 'application/openmetrics-text; version=1.0.0' },
      })
    ).text();
    const exemplar = (traceId: string) => `# {trace_id="${traceId}",span_id="`;
    const line = (prefix: string) =>
      open.split('\n').find((l) => l.startsWith(prefix) && l.includes('# {')) ?? '';
    expect(line('twin_command_ack_seconds_bucket')).toContain(exemplar(callerTraceId));
    expect(line('twin_command_convergence_seconds_bucket')).toContain(exemplar(callerTraceId));
    expect(line('twin_command_outcomes_total{')).toContain(exemplar(callerTraceId));
    expect(line('twin_command_outcomes_total{')).toMatch(/outcome="applied"\} 1 # /);
    // The ingest request's point was 2 s old: its exemplar sits in the 2.5 s bucket.
    expect(line('twin_sync_latency_seconds_bucket')).toMatch(
      new RegExp(
        `^twin_sync_latency_seconds_bucket\\{asset_class="pump",source="physical",le="2.5"\\} \\d+ # \\{trace_id="${ingestTraceId}",span_id="[0-9a-f]{16}"\\} 2\\.\\d+ \\d+`,
      ),
    );
    const plain = await (await fetch(`${exporter.urls.metrics}/metrics`)).text();
    expect(plain).not.toContain('trace_id');
    // Prometheus stores the same names whichever format it negotiates (the rules and dashboards
    // query them); the twin's series are the same to the label.
    const seriesOf = (text: string) =>
      text
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('#'))
        .map((l) => l.split(' # ')[0]!.replace(/ \S+$/, ''))
        .sort();
    const namesOf = (text: string) => [...new Set(seriesOf(text).map((s) => s.split('{')[0]))];
    expect(namesOf(open)).toEqual(namesOf(plain));
    const twin = (series: string[]) => series.filter((s) => !s.startsWith('twin_exporter_'));
    expect(twin(seriesOf(open))).toEqual(twin(seriesOf(plain)));
    for (const match of plain.matchAll(/^# TYPE (\S+) counter$/gm)) {
      expect(match[1]).toMatch(/_total$/);
    }
  });

  it('opens no connection to export spans when no endpoint is set', async () => {
    const own = new Set(Object.values(exporter.urls).map((url) => Number(new URL(url).port)));
    expect(sockets.length).toBeGreaterThan(0);
    for (const socket of sockets) expect(own.has(socket.remotePort ?? -1)).toBe(true);
    expect(trapped).toBe(0);
  });
});

describe('traces export (otlpEndpoint set)', () => {
  it('sends spans as OTLP protobuf to the endpoint, flushed on close', async () => {
    const requests: { url: string; type: string; body: Buffer }[] = [];
    const collector = createServer((request: IncomingMessage, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        requests.push({
          url: request.url ?? '',
          type: request.headers['content-type'] ?? '',
          body: Buffer.concat(chunks),
        });
        response.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end();
      });
    }).listen(0, '127.0.0.1');
    await once(collector, 'listening');
    const { port } = collector.address() as AddressInfo;
    const exporter = await startExporter(
      configFor({ otlpEndpoint: `http://127.0.0.1:${port}/v1/traces` }),
    );
    try {
      const response = await reportSpeed(exporter, 900, {
        traceparent: `00-${ingestTraceId}-b7ad6b7169203331-01`,
      });
      expect(response.status).toBe(200);
    } finally {
      await exporter.close();
      collector.close();
    }
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.every((r) => r.url === '/v1/traces')).toBe(true);
    expect(requests[0]?.type).toBe('application/x-protobuf');
    const body = Buffer.concat(requests.map((r) => r.body));
    // The trace id travels as its 16 raw bytes; the service name as text.
    expect(body.includes(Buffer.from(ingestTraceId, 'hex'))).toBe(true);
    expect(body.includes(Buffer.from('twinops-exporter'))).toBe(true);
  });
});

describe('continueTrace', () => {
  const spanContextOf = (traceparent: string | string[] | undefined) =>
    trace.getSpanContext(continueTrace(traceparent));

  it("continues a valid caller's trace", () => {
    expect(spanContextOf(`00-${callerTraceId}-${callerSpanId}-01`)).toMatchObject({
      traceId: callerTraceId,
      spanId: callerSpanId,
      traceFlags: 1,
      isRemote: true,
    });
  });

  it.each([
    ['absent', undefined],
    ['malformed', '00-xyz-00f067aa0ba902b7-01'],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${callerSpanId}-01`],
    ['an all-zero span id', `00-${callerTraceId}-${'0'.repeat(16)}-01`],
    ['an unknown version', `ff-${callerTraceId}-${callerSpanId}-01`],
    ['repeated', [`00-${callerTraceId}-${callerSpanId}-01`]],
    [
      'joined by Node from two headers',
      `00-${callerTraceId}-${callerSpanId}-01, 00-${callerTraceId}-${callerSpanId}-01`,
    ],
  ])('starts a new trace when it is %s', (_, traceparent) => {
    expect(spanContextOf(traceparent)).toBeUndefined();
  });
});
