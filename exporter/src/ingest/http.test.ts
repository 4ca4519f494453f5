import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromDocument } from '../config/index.js';
import { startExporter, type RunningExporter } from '../exporter.js';
import { buildOtlpHttpServer } from './http.js';
import type { IngestSink } from './pipeline.js';
import { IngestTelemetry } from '../metrics/ingest.js';

const config = configFromDocument({
  server: { host: '127.0.0.1', otlpPort: 0, metricsPort: 0, apiPort: 0 },
  ingest: { maxBodyBytes: 64 * 1024, maxConcurrentRequests: 4 },
  state: { snapshot: { path: ':memory:' } },
});

const nowNs = (): string => `${BigInt(Date.now()) * 1_000_000n}`;

/** An OTLP/JSON metrics request: one pump with one gauge point per given time. */
function metricsJson(
  times: string[],
  resource: Record<string, string> = { 'twin.asset.id': 'pump-1', 'twin.asset.class': 'pump' },
) {
  return {
    resourceMetrics: [
      {
        resource: {
          attributes: Object.entries(resource).map(([key, v]) => ({
            key,
            value: { stringValue: v },
          })),
        },
        scopeMetrics: [
          {
            metrics: [
              {
                name: 'temperature',
                gauge: {
                  dataPoints: times.map((t) => ({
                    timeUnixNano: t,
                    asDouble: 21.5,
                    attributes: [{ key: 'twin.source', value: { stringValue: 'physical' } }],
                  })),
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

function nested(depth: number): unknown {
  let value: unknown = { stringValue: 'leaf' };
  for (let i = 0; i < depth; i++) value = { arrayValue: { values: [value] } };
  return value;
}

describe('OTLP/HTTP ingest: every kind of input gets the documented answer', () => {
  let exporter: RunningExporter;
  let url: string;
  beforeAll(async () => {
    exporter = await startExporter(config);
    url = exporter.urls.otlp;
  });
  afterAll(async () => exporter?.close());

  const post = (path: string, body: string | Uint8Array, headers: Record<string, string>) =>
    fetch(`${url}${path}`, { method: 'POST', body, headers });
  const postJson = (body: unknown, path = '/v1/metrics') =>
    post(path, JSON.stringify(body), { 'Content-Type': 'application/json' });

  it('accepts a good JSON request and answers in JSON with no partial success', async () => {
    const response = await postJson(metricsJson([nowNs()]));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({});
  });

  it('answers a byte-identical retry as the first, and applies it once', async () => {
    const body = metricsJson([nowNs(), nowNs()]);
    expect((await postJson(body)).status).toBe(200);
    const points = exporter.engine.aggregates.classes.get('pump')?.points[0];
    const again = await postJson(body);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({});
    expect(exporter.engine.aggregates.classes.get('pump')?.points[0]).toBe(points);
    const metrics = await (await fetch(`${exporter.urls.metrics}/metrics`)).text();
    expect(metrics).toMatch(
      /^twin_exporter_ingest_retried_requests_total\{transport="otlp_http",signal="metrics"\} 1$/m,
    );
  });

  it('accepts gzip and answers protobuf to protobuf', async () => {
    const response = await post('/v1/metrics', gzipSync(Buffer.alloc(0)), {
      'Content-Type': 'application/x-protobuf',
      'Content-Encoding': 'gzip',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-protobuf');
  });

  const table: { name: string; send: () => Promise<Response>; status: number; message: RegExp }[] =
    [
      {
        name: 'truncated protobuf',
        send: () =>
          post('/v1/metrics', Buffer.from([0x0a, 0x20, 0x0a]), {
            'Content-Type': 'application/x-protobuf',
          }),
        status: 400,
        message: /protobuf/i,
      },
      {
        name: 'JSON that is not JSON',
        send: () =>
          post('/v1/metrics', '{"resourceMetrics": [', { 'Content-Type': 'application/json' }),
        status: 400,
        message: /JSON/,
      },
      {
        name: 'wrong types',
        send: () => postJson({ resourceMetrics: 5 }),
        status: 400,
        message: /resourceMetrics/,
      },
      {
        name: 'deep nesting',
        send: () =>
          postJson(
            {
              resourceLogs: [
                {
                  resource: {},
                  scopeLogs: [{ logRecords: [{ timeUnixNano: nowNs(), body: nested(1000) }] }],
                },
              ],
            },
            '/v1/logs',
          ),
        status: 400,
        message: /nesting|deep/i,
      },
      {
        name: 'a body over the size limit',
        send: () =>
          post('/v1/metrics', Buffer.alloc(65 * 1024, 1), {
            'Content-Type': 'application/x-protobuf',
          }),
        status: 413,
        message: /65536 bytes/,
      },
      {
        name: 'a gzip bomb (small compressed, huge inflated)',
        send: () =>
          post('/v1/metrics', gzipSync(Buffer.alloc(10 * 1024 * 1024)), {
            'Content-Type': 'application/x-protobuf',
            'Content-Encoding': 'gzip',
          }),
        status: 413,
        message: /once decompressed/,
      },
      {
        name: 'an unsupported content type',
        send: () => post('/v1/metrics', 'hello', { 'Content-Type': 'text/plain' }),
        status: 415,
        message: /Content-Type must be/,
      },
      {
        name: 'an unsupported content encoding',
        send: () =>
          post('/v1/metrics', 'x', {
            'Content-Type': 'application/json',
            'Content-Encoding': 'br',
          }),
        status: 415,
        message: /Content-Encoding \\?"br\\?" is not supported/,
      },
    ];
  for (const row of table) {
    it(`refuses ${row.name} with ${row.status} and a Status naming the problem`, async () => {
      const response = await row.send();
      expect(response.status).toBe(row.status);
      const text = Buffer.from(await response.arrayBuffer()).toString('latin1');
      expect(text).toMatch(row.message);
    });
  }

  it('keeps the good points of a request and reports the bad ones in partial_success', async () => {
    const body = metricsJson([nowNs(), 'not-a-time', '0']);
    body.resourceMetrics.push(
      metricsJson([nowNs()], { 'twin.asset.class': 'pump' }).resourceMetrics[0]!,
    );
    const response = await postJson(body);
    expect(response.status).toBe(200);
    const answer = (await response.json()) as {
      partialSuccess: { rejectedDataPoints: string | number; errorMessage: string };
    };
    expect(Number(answer.partialSuccess.rejectedDataPoints)).toBe(3);
    expect(answer.partialSuccess.errorMessage).toMatch(/bad_timestamp/);
    expect(answer.partialSuccess.errorMessage).toMatch(/missing_asset_id/);
  });

  it('answers 429 with Retry-After when too many requests are in flight, then recovers', async () => {
    // Requests whose bodies never finish hold their slots, as slow clients would.
    const slow = Array.from({ length: 4 }, () => {
      const request = httpRequest(`${url}/v1/metrics`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Length': '1000' },
      });
      request.on('error', () => undefined);
      request.write('{');
      return request;
    });
    await new Promise((resolveSoon) => setTimeout(resolveSoon, 300));
    const refused = await postJson(metricsJson([nowNs()]));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    for (const request of slow) request.destroy();
    await new Promise((resolveSoon) => setTimeout(resolveSoon, 300));
    expect((await postJson(metricsJson([nowNs()]))).status).toBe(200);
  });

  it('still serves after all of that, and counted each refusal by reason', async () => {
    expect((await postJson(metricsJson([nowNs()]))).status).toBe(200);
    const metrics = await (await fetch(`${exporter.urls.metrics}/metrics`)).text();
    expect(metrics).toMatch(
      /twin_exporter_ingest_refused_total\{transport="otlp_http",reason="malformed"\} 4/,
    );
    expect(metrics).toMatch(
      /twin_exporter_ingest_refused_total\{transport="otlp_http",reason="too_large"\} 2/,
    );
    expect(metrics).toMatch(
      /twin_exporter_ingest_rejected_points_total\{transport="otlp_http",reason="bad_timestamp"\} 2/,
    );
  });
});

describe('OTLP/HTTP ingest while not ready', () => {
  it('answers 503 with Retry-After and applies nothing', async () => {
    let applied = 0;
    const sink: IngestSink = {
      otlp: async (_request, decode) => {
        const batch = decode();
        applied += batch.points.length;
        return { batch, rejectedByState: 0, rejected: batch.rejectedCount, retry: false };
      },
      kafka: async () => [],
      appliedOffset: () => undefined,
      appliedOffsets: () => ({}),
    };
    const server = buildOtlpHttpServer(sink, new IngestTelemetry(new Registry()), {
      ...config.ingest,
      retryAfterSeconds: 7,
      isReady: () => false,
    });
    await server.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { port } = server.server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/v1/metrics`, {
        method: 'POST',
        body: JSON.stringify(metricsJson([nowNs()])),
        headers: { 'Content-Type': 'application/json' },
      });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('7');
      expect(await response.text()).toMatch(/not ready/);
      expect(applied).toBe(0);
    } finally {
      await server.close();
    }
  });
});
