import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandLedger } from '../../exporter/src/commands/ledger/ledger.js';
import { startKafka, waitFor } from '../bed/index.js';
import { startExporterProcess } from '../support/exporter-process.js';

/**
 * Guarded commands per second, and latency from submission to dispatched: over HTTP, through the
 * whole guard chain, the ledger written durably (SQLite, synchronous = FULL) and the Kafka
 * produce acknowledged by the broker. One command per asset (a second on the same asset would be
 * refused as in flight), submitted by `concurrency` clients at once.
 */
const assets = 3_000;
const concurrency = Number(process.env.TWINOPS_BENCH_CLIENTS ?? 8);
const token = 'bench-operator-token-0123456789';

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

// node:http with keep-alive: a lighter client than fetch, so the load generator takes less of the
// two cores the exporter and the broker share with it.
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
function post(
  url: string,
  payload: string,
): Promise<{ status: number; body: { command?: { id: string } } }> {
  return new Promise((resolvePost, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'Content-Type': 'application/json',
          Authorization: `Bearer ${token}`,
          'Content-Length': Buffer.byteLength(payload),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () =>
          resolvePost({
            status: res.statusCode ?? 0,
            body: JSON.parse(text) as { command?: { id: string } },
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export async function commandThroughput(): Promise<string[]> {
  const workDir = mkdtempSync(join(tmpdir(), 'twinops-bench-commands-'));
  const ledgerPath = join(workDir, 'commands.db');
  const broker = await startKafka({
    topics: [
      { topic: 'twin.commands', numPartitions: 3 },
      { topic: 'twin.commands.ack', numPartitions: 3 },
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
            setSpeed: {
              risk: 'low',
              params: {
                type: 'object',
                additionalProperties: false,
                required: ['rpm'],
                properties: { rpm: { type: 'number' } },
              },
              sets: { property: 'speed', param: 'rpm' },
              envelope: { min: 0, max: 1500, maxStep: 500 },
            },
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

    const ids: string[] = [];
    const roundTrips: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < assets) {
          const asset = next++;
          const sent = performance.now();
          const { status, body } = await post(
            `${exporter.apiUrl}/api/v1/commands`,
            JSON.stringify({
              idempotencyKey: randomUUID(),
              assetId: `pump-${asset}`,
              name: 'setSpeed',
              params: { rpm: 1200 },
              reason: 'benchmark',
            }),
          );
          roundTrips.push(performance.now() - sent);
          if (status !== 200 || !body.command)
            throw new Error(`command refused: ${status} ${JSON.stringify(body).slice(0, 300)}`);
          ids.push(body.command.id);
        }
      }),
    );
    const submitSeconds = (performance.now() - started) / 1000;

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
      return [
        `${assets} commands, ${concurrency} concurrent clients over HTTP, ledger synchronous=FULL, Kafka acks=all (1 broker)`,
        `throughput: ${Math.round(assets / ((lastDispatch - firstSubmit) / 1000))} commands/s submitted→dispatched (${Math.round(assets / submitSeconds)} submissions/s answered)`,
        `submit→dispatched: p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies.at(-1)} ms`,
        `HTTP round trip of a submission: p50 ${percentile(trips, 50).toFixed(1)} ms, p99 ${percentile(trips, 99).toFixed(1)} ms`,
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
