import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromDocument } from '../config/index.js';
import { startExporter, type RunningExporter } from '../exporter.js';

/**
 * The slow-client attacks, against a real exporter on a port: slow bodies that would hold every
 * ingest slot, slow headers, and one address opening more connections than its share.
 */

const slots = 32;
const config = configFromDocument({
  server: { host: '127.0.0.1', otlpPort: 0, metricsPort: 0, apiPort: 0 },
  ingest: {
    maxConcurrentRequests: slots,
    http: {
      headersTimeout: '1s',
      requestTimeout: '4s',
      minRateGrace: '1s',
      minBytesPerSecond: 1024,
      maxConnectionsPerClient: 150,
      // Here one address plays every attacker; the per-client share is tested on its own below.
      maxRequestsPerClient: slots,
    },
  },
  state: { snapshot: { path: ':memory:' } },
});
// The longest a stuck client may keep a slot: the grace, one check, and the test's margin.
const slotBoundMs = config.ingest.http.minRateGraceMs + 1_000 + 1_000;

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const nowNs = (): string => `${BigInt(Date.now()) * 1_000_000n}`;

const request = JSON.stringify({
  resourceMetrics: [
    {
      resource: {
        attributes: [
          { key: 'twin.asset.id', value: { stringValue: 'pump-1' } },
          { key: 'twin.asset.class', value: { stringValue: 'pump' } },
        ],
      },
      scopeMetrics: [
        {
          metrics: [
            {
              name: 'temperature',
              gauge: {
                dataPoints: [
                  {
                    timeUnixNano: nowNs(),
                    asDouble: 21.5,
                    attributes: [{ key: 'twin.source', value: { stringValue: 'physical' } }],
                  },
                ],
              },
            },
          ],
        },
      ],
    },
  ],
});

/** A raw connection that records what it receives and when it closes. */
interface Probe {
  socket: Socket;
  received: () => string;
  closed: Promise<number>;
}

function open(port: number, localAddress?: string): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', () => undefined);
    const closed = new Promise<number>((done) => socket.once('close', () => done(Date.now())));
    socket.once('connect', () => resolve({ socket, received: () => data, closed }));
    socket.once('error', reject);
  });
}

/** Resolves with when each probe closed, or rejects once `withinMs` has passed. */
async function allClosed(probes: Probe[], withinMs: number): Promise<number[]> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not all closed within ${withinMs} ms`)), withinMs);
  });
  try {
    return await Promise.race([Promise.all(probes.map((p) => p.closed)), late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('OTLP/HTTP ingest against slow and greedy clients', () => {
  let exporter: RunningExporter;
  let port: number;
  const probes: Probe[] = [];
  const timers: NodeJS.Timeout[] = [];

  beforeAll(async () => {
    exporter = await startExporter(config);
    port = Number(new URL(exporter.urls.otlp).port);
  });
  afterAll(async () => {
    for (const timer of timers) clearInterval(timer);
    for (const probe of probes) probe.socket.destroy();
    await exporter?.close();
  });

  const post = () =>
    fetch(`${exporter.urls.otlp}/v1/metrics`, {
      method: 'POST',
      body: request,
      headers: { 'Content-Type': 'application/json' },
    });
  const refused = async (reason: string): Promise<number> => {
    const text = await (await fetch(`${exporter.urls.metrics}/metrics`)).text();
    const match = new RegExp(
      `twin_exporter_ingest_refused_total\\{transport="otlp_http",reason="${reason}"\\} (\\d+)`,
    ).exec(text);
    return Number(match?.[1] ?? 0);
  };

  it('closes connections beyond the per-client cap at once, and serves the allowed ones', async () => {
    const cap = config.ingest.http.maxConnectionsPerClient;
    const before = await refused('too_many_connections');
    // First, before any other connection from this address is open.
    const connections = await Promise.all(Array.from({ length: cap + 10 }, () => open(port)));
    probes.push(...connections);
    await sleep(300);
    const closed = await Promise.all(
      connections.map((c) =>
        Promise.race([c.closed.then(() => true), sleep(10).then(() => false)]),
      ),
    );
    expect(closed.filter(Boolean)).toHaveLength(10);
    expect(await refused('too_many_connections')).toBe(before + 10);

    const allowed = connections[closed.indexOf(false)] as Probe;
    allowed.socket.write(
      `POST /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(request)}\r\n\r\n${request}`,
    );
    const deadline = Date.now() + 5_000;
    while (!allowed.received().includes('\r\n\r\n') && Date.now() < deadline) await sleep(20);
    expect(allowed.received()).toMatch(/^HTTP\/1\.1 200 /);
    for (const connection of connections) connection.socket.destroy();
    await Promise.all(connections.map((c) => c.closed));
    await sleep(200); // the server's side of them closes too
  });

  it('frees the slots that slow bodies hold, so real requests get through within the bound', async () => {
    // Every slot taken by a body promised at 1 MB and sent a byte every 3 s.
    const attackers = await Promise.all(Array.from({ length: slots }, () => open(port)));
    probes.push(...attackers);
    for (const { socket } of attackers) {
      socket.write(
        'POST /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
          'Content-Length: 1000000\r\n\r\n{',
      );
    }
    timers.push(setInterval(() => attackers.forEach((a) => a.socket.write(' ')), 3_000));
    const start = Date.now();
    await sleep(200);
    expect((await post()).status).toBe(429);

    // A real client keeps trying, as OTLP clients do on 429.
    let status = 0;
    while (Date.now() - start < 15_000) {
      status = (await post()).status;
      if (status === 200) break;
      await sleep(100);
    }
    const waitedMs = Date.now() - start;
    expect(status).toBe(200);
    expect(waitedMs).toBeLessThan(slotBoundMs);

    // Each attacker got a 408 and lost its connection.
    await allClosed(attackers, slotBoundMs);
    for (const attacker of attackers) expect(attacker.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(await refused('slow_client')).toBeGreaterThanOrEqual(slots);
  });

  it('closes slow header senders within the header timeout', async () => {
    const before = await refused('slow_client');
    const senders = await Promise.all(Array.from({ length: 100 }, () => open(port)));
    probes.push(...senders);
    const start = Date.now();
    for (const { socket } of senders) socket.write('POST /v1/metrics HTTP/1.1\r\n');
    // One more connects and says nothing at all.
    const silent = await open(port);
    probes.push(silent);
    senders.push(silent);
    let line = 0;
    timers.push(
      setInterval(() => {
        line += 1;
        for (const { socket } of senders) socket.write(`X-Slow-${line}: ${line}\r\n`);
      }, 1_000),
    );
    const closedAt = await allClosed(senders, 5_000);
    // headersTimeout (1 s) and Node's check interval (250 ms here), with a margin.
    expect(Math.max(...closedAt) - start).toBeLessThan(config.ingest.http.headersTimeoutMs + 1_500);
    expect(await refused('slow_client')).toBeGreaterThanOrEqual(before + 100);
    // Meanwhile and after, real requests are served.
    expect((await post()).status).toBe(200);
  });
});

describe('one client address holds at most its share of the ingest slots', () => {
  const share = 16;
  const shared = configFromDocument({
    server: { host: '127.0.0.1', otlpPort: 0, metricsPort: 0, apiPort: 0 },
    ingest: { maxConcurrentRequests: slots, http: { maxRequestsPerClient: share } },
    state: { snapshot: { path: ':memory:' } },
  });
  let exporter: RunningExporter;
  const attackers: Probe[] = [];

  beforeAll(async () => {
    exporter = await startExporter(shared);
  });
  afterAll(async () => {
    for (const attacker of attackers) attacker.socket.destroy();
    await exporter?.close();
  });

  /** A request from another loopback address (Linux routes all of 127/8 to lo). */
  const postFrom = (localAddress: string) =>
    new Promise<number>((resolve, reject) => {
      const url = new URL(`${exporter.urls.otlp}/v1/metrics`);
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          localAddress,
          headers: { 'Content-Type': 'application/json' },
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(request);
    });

  it('refuses an address its slots beyond the share at once, and serves another address meanwhile', async () => {
    const port = Number(new URL(exporter.urls.otlp).port);
    // Every slot asked for from one address, each by a body that will never come.
    for (let i = 0; i < slots; i++) {
      const attacker = await open(port, '127.0.0.1');
      attackers.push(attacker);
      attacker.socket.write(
        'POST /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
          'Content-Length: 1000000\r\n\r\n{',
      );
    }
    await sleep(300);
    const refusedAtOnce = attackers.filter((a) => /^HTTP\/1\.1 429 /.test(a.received()));
    expect(refusedAtOnce).toHaveLength(slots - share);
    expect(refusedAtOnce[0]!.received()).toContain(
      `over ${share} requests in flight from this client`,
    );
    // Long before the grace would free a slot, another client is served.
    expect(await postFrom('127.0.0.2')).toBe(200);
    // The attacking address itself gets nothing more while it holds its share.
    expect(await postFrom('127.0.0.1')).toBe(429);
  });
});
