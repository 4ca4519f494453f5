import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandLedger } from '../../exporter/src/commands/ledger/ledger.js';
import { startKafka, waitFor } from '../bed/index.js';
import { startExporterProcess } from '../support/exporter-process.js';
import { cpuSeconds } from './cpu.js';
import { figure } from './targets.js';
import { pumpSetSpeed } from '../../exporter/test/commands/pump-catalog.js';
import { topics } from '../../contracts/commands.js';

/**
 * Guarded commands per second, and latency from submission to dispatched: over HTTP, through the
 * whole guard chain, the ledger written durably (SQLite, synchronous = FULL) and the Kafka
 * produce acknowledged by the broker. One command per asset (a second on the same asset would be
 * refused as in flight), submitted by `concurrency` clients at once (TWINOPS_BENCH_CLIENTS, default
 * 6: on 2 cores shared with the broker and this load generator, that is well past 1,000 commands/s
 * while the latency is still the system's and not queueing behind more clients).
 */

/** Commands measured, each to its own asset, after a warm-up of `warmUp` more (JIT, producer). */
const measured = 3_000;
const warmUp = 500;
const assets = warmUp + measured;
const concurrency = Number(process.env.TWINOPS_BENCH_CLIENTS ?? 6);
const token = 'bench-operator-token-0123456789';

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/**
 * A keep-alive HTTP/1.1 connection that sends one request at a time and reads the answer by its
 * Content-Length: far lighter than node:http or fetch, so the load generator takes little of the
 * two cores the exporter and the broker share with it.
 */
class Connection {
  private buffer: Buffer = Buffer.alloc(0);
  private waiting: ((answer: { status: number; body: string }) => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
      this.parse();
    });
  }

  static open(url: URL): Promise<Connection> {
    return new Promise((resolveOpen, reject) => {
      const socket = connect(Number(url.port), url.hostname, () =>
        resolveOpen(new Connection(socket)),
      );
      socket.setNoDelay(true);
      socket.once('error', reject);
    });
  }

  post(path: string, payload: string): Promise<{ status: number; body: string }> {
    return new Promise((resolvePost) => {
      this.waiting = resolvePost;
      this.socket.write(
        `POST ${path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n` +
          `Authorization: Bearer ${token}\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`,
      );
    });
  }

  private parse(): void {
    const headerEnd = this.buffer.indexOf('\r\n\r\n');
    if (headerEnd < 0) return;
    const head = this.buffer.subarray(0, headerEnd).toString('latin1');
    const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (this.buffer.length < headerEnd + 4 + length) return;
    const body = this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8');
    this.buffer = this.buffer.subarray(headerEnd + 4 + length);
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.({ status: Number(head.slice(9, 12)), body });
  }

  close(): void {
    this.socket.destroy();
  }
}

export async function commandThroughput(): Promise<string[]> {
  const workDir = mkdtempSync(join(tmpdir(), 'twinops-bench-commands-'));
  const ledgerPath = join(workDir, 'commands.db');
  const broker = await startKafka({
    topics: [
      { topic: topics.commands, numPartitions: 3 },
      { topic: topics.acks, numPartitions: 3 },
    ],
  });
  const exporter = await startExporterProcess(
    {
      state: { snapshot: { path: ':memory:' } },
      ingest: { kafka: { brokers: [broker.bootstrap] } },
      commands: {
        enabled: true,
        ledgerPath,
        devices: 'kafka',
        maxStateAge: '1h',
        catalog: {
          pump: {
            setSpeed: { ...pumpSetSpeed, envelope: { ...pumpSetSpeed.envelope, maxStep: 500 } },
          },
        },
      },
    },
    { env: { TWINOPS_API_TOKENS: `bench:operator:${token}` } },
  );
  try {
    // Every asset known and fresh to the twin, so the guards judge real state.
    const ns = String(BigInt(Date.now()) * 1_000_000n);
    const text = (key: string, value: string) => ({ key, value: { stringValue: value } });
    for (let from = 0; from < assets; from += 500) {
      const resourceMetrics = Array.from({ length: Math.min(500, assets - from) }, (_, i) => ({
        resource: {
          attributes: [text('twin.asset.id', `pump-${from + i}`), text('twin.asset.class', 'pump')],
        },
        scopeMetrics: [
          {
            metrics: [
              {
                name: 'speed',
                gauge: {
                  dataPoints: [
                    {
                      timeUnixNano: ns,
                      asDouble: 1000,
                      attributes: [text('twin.source', 'physical')],
                    },
                  ],
                },
              },
            ],
          },
        ],
      }));
      const response = await fetch(`${exporter.otlpUrl}/v1/metrics`, {
        method: 'POST',
        body: JSON.stringify({ resourceMetrics }),
        headers: { 'Content-Type': 'application/json' },
      });
      if (!response.ok) throw new Error(`telemetry refused: ${response.status}`);
    }

    const url = new URL(exporter.apiUrl);
    const connections = await Promise.all(
      Array.from({ length: concurrency }, () => Connection.open(url)),
    );
    /** Submits one command to each asset in [from, to) over the connections; ids and round trips. */
    const submitAll = async (from: number, to: number) => {
      const ids: string[] = [];
      const roundTrips: number[] = [];
      let next = from;
      await Promise.all(
        connections.map(async (connection) => {
          while (next < to) {
            const asset = next++;
            const sent = performance.now();
            const { status, body } = await connection.post(
              '/api/v1/commands',
              JSON.stringify({
                idempotencyKey: randomUUID(),
                assetId: `pump-${asset}`,
                name: 'setSpeed',
                params: { rpm: 1200 },
                reason: 'benchmark',
              }),
            );
            roundTrips.push(performance.now() - sent);
            const answer = JSON.parse(body) as { command?: { id: string } };
            if (status !== 200 || !answer.command)
              throw new Error(`command refused: ${status} ${body.slice(0, 300)}`);
            ids.push(answer.command.id);
          }
        }),
      );
      return { ids, roundTrips };
    };
    await submitAll(0, warmUp);
    // Let the warm-up's dispatches finish before measuring.
    await new Promise((resolveWait) => setTimeout(resolveWait, 1_000));

    const cpuBefore = {
      exporter: cpuSeconds(exporter.pid),
      broker: cpuSeconds(broker.pid),
      client: process.cpuUsage(),
    };
    const started = performance.now();
    const { ids, roundTrips } = await submitAll(warmUp, assets);
    for (const connection of connections) connection.close();
    const submitSeconds = (performance.now() - started) / 1000;
    const clientCpu = process.cpuUsage(cpuBefore.client);
    const cpu = {
      exporter: cpuSeconds(exporter.pid) - cpuBefore.exporter,
      broker: cpuSeconds(broker.pid) - cpuBefore.broker,
      client: (clientCpu.user + clientCpu.system) / 1e6,
    };

    const ledger = new CommandLedger(ledgerPath);
    try {
      const records = await waitFor(
        'every command dispatched',
        () => {
          const all = ids.map((id) => ledger.get(id)!);
          return all.every((r) => r.dispatchedAtMs !== undefined) ? all : undefined;
        },
        120_000,
      );
      const lastDispatch = Math.max(...records.map((r) => r.dispatchedAtMs!));
      const firstSubmit = Math.min(...records.map((r) => r.submittedAtMs));
      const latencies = records
        .map((r) => r.dispatchedAtMs! - r.submittedAtMs)
        .sort((a, b) => a - b);
      const trips = roundTrips.sort((a, b) => a - b);
      const rate = measured / ((lastDispatch - firstSubmit) / 1000);
      return [
        figure({
          target: `commands submit→dispatched p99 (durable ledger, Kafka acks=all), at ${Math.round(rate)}/s`,
          measured: percentile(latencies, 99),
          unit: 'ms',
          goal: 10,
          better: 'lower',
        }),
        figure({
          target: 'commands dispatched per second in that run',
          measured: rate,
          unit: '/s',
          goal: 1_000,
          better: 'higher',
        }),
        `${measured} commands (after ${warmUp} to warm up), ${concurrency} concurrent clients over HTTP, ledger synchronous=FULL, Kafka acks=all (1 broker)`,
        `throughput: ${Math.round(measured / ((lastDispatch - firstSubmit) / 1000))} commands/s submitted→dispatched (${Math.round(measured / submitSeconds)} submissions/s answered)`,
        `submit→dispatched: p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies.at(-1)} ms`,
        `HTTP round trip of a submission: p50 ${percentile(trips, 50).toFixed(1)} ms, p99 ${percentile(trips, 99).toFixed(1)} ms`,
        `CPU while submitting (${submitSeconds.toFixed(2)} s on 2 cores): exporter ${cpu.exporter.toFixed(2)} s (${((cpu.exporter / measured) * 1e6).toFixed(0)} µs per command), broker ${cpu.broker.toFixed(2)} s, load generator ${cpu.client.toFixed(2)} s`,
      ];
    } finally {
      ledger.close();
    }
  } finally {
    await exporter.stop();
    await broker.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}
