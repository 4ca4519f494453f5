import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandLedger } from '../../exporter/src/commands/ledger/ledger.js';
import { startKafka, waitFor } from '../bed/index.js';
import { startExporterProcess } from '../support/exporter-process.js';
import { benchNodeFlags, cpuSeconds } from './cpu.js';
import { figure } from './targets.js';
import { pumpSetSpeed } from '../../exporter/test/commands/pump-catalog.js';
import { topics } from '../../contracts/commands.js';

/**
 * Guarded commands over HTTP through the whole guard chain, the ledger written durably (SQLite,
 * synchronous = FULL) and the Kafka produce acknowledged by the broker (acks=all), in two runs:
 *
 * - **paced**: commands sent on a fixed schedule of `rate` per second (TWINOPS_BENCH_RATE, default
 *   1,000), whatever the answers do: an open loop, so a slow answer delays no later send and the
 *   latency counted from each command's *scheduled* moment to its dispatch includes any queueing
 *   (no coordinated omission). This is the latency target's run.
 * - **saturated**: `concurrency` clients (TWINOPS_BENCH_CLIENTS, default 6) each send the next
 *   command as soon as the last is answered: the most the exporter does on this machine.
 *
 * One command per asset (a second on the same asset would be refused as in flight).
 * TWINOPS_BENCH_COMMANDS sets the commands per run (default 3,000); TWINOPS_BENCH_NODE_FLAGS adds
 * Node flags to the exporter (`--cpu-prof --cpu-prof-dir=DIR` for its profile).
 */

/** Commands in each measured run, after a warm-up of `warmUp` (JIT, producer). */
const measured = Number(process.env.TWINOPS_BENCH_COMMANDS ?? 3_000);
const warmUp = 500;
const assets = warmUp + 2 * measured;
const concurrency = Number(process.env.TWINOPS_BENCH_CLIENTS ?? 6);
const rate = Number(process.env.TWINOPS_BENCH_RATE ?? 1_000);
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

/**
 * Open loop: call i of `count` is due `i / rate` seconds after the start and made then, whatever
 * the earlier ones do; each result with its scheduled moment in epoch milliseconds.
 */
async function paced<T>(
  count: number,
  call: (i: number) => Promise<T>,
): Promise<{ result: T; scheduledAtMs: number }[]> {
  const calls: Promise<{ result: T; scheduledAtMs: number }>[] = [];
  const startedAt = performance.now();
  const epochOffset = Date.now() - startedAt;
  for (let next = 0; next < count;) {
    const due = Math.floor(((performance.now() - startedAt) * rate) / 1000) + 1;
    for (; next < Math.min(due, count); next++) {
      const scheduledAtMs = epochOffset + startedAt + (next * 1000) / rate;
      calls.push(call(next).then((result) => ({ result, scheduledAtMs })));
    }
    await new Promise((resolveTick) => setTimeout(resolveTick, 1));
  }
  return Promise.all(calls);
}

/**
 * The broker's own latency at the paced rate, before the exporter starts: one-message produces
 * with acks=all, scheduled like the commands, nothing else running. No command can be dispatched
 * faster than this.
 */
async function produceFloor(broker: Awaited<ReturnType<typeof startKafka>>): Promise<number[]> {
  const producer = broker.client('twinops-bench-floor').producer({ maxInFlightRequests: 5 });
  await producer.connect();
  try {
    const send = (i: number) =>
      producer
        .send({
          topic: floorTopic,
          acks: -1,
          messages: [{ key: `pump-${i}`, value: 'x'.repeat(400) }],
        })
        .then(() => Date.now());
    // A first paced run warms the broker (its JIT, the partitions' leaders) as the exporter's
    // warm-up does not reach it before the commands' own run.
    await paced(measured, send);
    const sends = await paced(measured, send);
    return sends.map(({ result, scheduledAtMs }) => result - scheduledAtMs).sort((a, b) => a - b);
  } finally {
    await producer.disconnect();
  }
}

const floorTopic = 'bench.produce-floor';

export async function commandThroughput(): Promise<string[]> {
  const workDir = mkdtempSync(join(tmpdir(), 'twinops-bench-commands-'));
  const ledgerPath = join(workDir, 'commands.db');
  const broker = await startKafka({
    topics: [
      { topic: topics.commands, numPartitions: 3 },
      { topic: topics.acks, numPartitions: 3 },
      { topic: floorTopic, numPartitions: 3 },
    ],
  });
  const floor = await produceFloor(broker);
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
    { env: { TWINOPS_API_TOKENS: `bench:operator:${token}` }, nodeArgs: benchNodeFlags() },
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
    // Enough keep-alive connections opened beforehand that the paced run never waits for one.
    const idle = await Promise.all(Array.from({ length: 64 }, () => Connection.open(url)));
    const opened = [...idle];
    /** Submits the command to asset `asset` over an idle connection (a new one if none is). */
    const submit = async (asset: number): Promise<string> => {
      const connection = idle.pop() ?? opened[opened.push(await Connection.open(url)) - 1]!;
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
      idle.push(connection);
      const answer = JSON.parse(body) as { command?: { id: string } };
      if (status !== 200 || !answer.command)
        throw new Error(`command refused: ${status} ${body.slice(0, 300)}`);
      return answer.command.id;
    };
    /** Closed loop: `concurrency` clients, each sending the next command once answered. */
    const submitSaturated = async (from: number, to: number): Promise<string[]> => {
      const ids: string[] = [];
      let next = from;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < to) ids.push(await submit(next++));
        }),
      );
      return ids;
    };
    /** Open loop over assets [from, to): each command's id with its scheduled moment. */
    const submitPaced = async (from: number, to: number) =>
      (await paced(to - from, (i) => submit(from + i))).map(({ result, scheduledAtMs }) => ({
        id: result,
        scheduledAtMs,
      }));

    const ledger = new CommandLedger(ledgerPath);
    const dispatched = (ids: string[]) =>
      waitFor(
        'every command dispatched',
        () => {
          const all = ids.map((id) => ledger.get(id)!);
          return all.every((r) => r.dispatchedAtMs !== undefined) ? all : undefined;
        },
        120_000,
      );
    try {
      await submitSaturated(0, warmUp);
      // Let the warm-up's dispatches finish before measuring.
      await new Promise((resolveWait) => setTimeout(resolveWait, 1_000));

      const pacedCpuBefore = cpuSeconds(exporter.pid);
      const paced = await submitPaced(warmUp, warmUp + measured);
      const pacedRecords = await dispatched(paced.map((p) => p.id));
      const pacedCpu = cpuSeconds(exporter.pid) - pacedCpuBefore;
      const fromSchedule = paced
        .map((p, i) => pacedRecords[i]!.dispatchedAtMs! - p.scheduledAtMs)
        .sort((a, b) => a - b);
      const fromReceipt = pacedRecords
        .map((r) => r.dispatchedAtMs! - r.submittedAtMs)
        .sort((a, b) => a - b);
      const pacedSpan =
        (Math.max(...pacedRecords.map((r) => r.dispatchedAtMs!)) -
          Math.min(...pacedRecords.map((r) => r.submittedAtMs))) /
        1000;
      await new Promise((resolveWait) => setTimeout(resolveWait, 1_000));

      const cpuBefore = {
        exporter: cpuSeconds(exporter.pid),
        broker: cpuSeconds(broker.pid),
        client: process.cpuUsage(),
      };
      const started = performance.now();
      const ids = await submitSaturated(warmUp + measured, assets);
      const submitSeconds = (performance.now() - started) / 1000;
      const clientCpu = process.cpuUsage(cpuBefore.client);
      const cpu = {
        exporter: cpuSeconds(exporter.pid) - cpuBefore.exporter,
        broker: cpuSeconds(broker.pid) - cpuBefore.broker,
        client: (clientCpu.user + clientCpu.system) / 1e6,
      };
      const records = await dispatched(ids);
      const saturatedRate =
        measured /
        ((Math.max(...records.map((r) => r.dispatchedAtMs!)) -
          Math.min(...records.map((r) => r.submittedAtMs))) /
          1000);
      const saturated = records
        .map((r) => r.dispatchedAtMs! - r.submittedAtMs)
        .sort((a, b) => a - b);
      const ms = (value: number) => value.toFixed(1);
      return [
        figure({
          target: `commands scheduled→dispatched p99 at ${rate}/s (durable ledger, Kafka acks=all)`,
          measured: percentile(fromSchedule, 99),
          unit: 'ms',
          goal: 10,
          better: 'lower',
        }),
        figure({
          target: 'commands dispatched per second, saturated',
          measured: saturatedRate,
          unit: '/s',
          goal: 1_000,
          better: 'higher',
        }),
        `ledger synchronous=FULL, Kafka acks=all (1 broker); ${measured} commands per run after ${warmUp} to warm up`,
        `paced at ${rate}/s (open loop, ${opened.length} connections used): ${Math.round(measured / pacedSpan)}/s dispatched; scheduled→dispatched p50 ${ms(percentile(fromSchedule, 50))} ms, p99 ${ms(percentile(fromSchedule, 99))} ms, max ${ms(fromSchedule.at(-1)!)} ms; received→dispatched p50 ${percentile(fromReceipt, 50)} ms, p99 ${percentile(fromReceipt, 99)} ms; exporter CPU ${((pacedCpu / measured) * 1e6).toFixed(0)} µs per command`,
        `the broker alone at ${rate}/s (one-message produces, acks=all, before the exporter starts): p50 ${ms(percentile(floor, 50))} ms, p99 ${ms(percentile(floor, 99))} ms`,
        `saturated (${concurrency} clients, closed loop): ${Math.round(saturatedRate)}/s dispatched; received→dispatched p50 ${percentile(saturated, 50)} ms, p99 ${percentile(saturated, 99)} ms`,
        `CPU while saturated (${submitSeconds.toFixed(2)} s on 2 cores): exporter ${cpu.exporter.toFixed(2)} s (${((cpu.exporter / measured) * 1e6).toFixed(0)} µs per command), broker ${cpu.broker.toFixed(2)} s, load generator ${cpu.client.toFixed(2)} s`,
      ];
    } finally {
      for (const connection of opened) connection.close();
      ledger.close();
    }
  } finally {
    await exporter.stop();
    await broker.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}
