import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeRequest } from '../../exporter/src/ingest/otlp/decode.js';
import { nanosToMs } from '../../exporter/src/ingest/otlp/conventions.js';
import { startKafka, waitFor, type KafkaBroker } from '../bed/index.js';
import { startPipelineCollector, scrape, total, type Sample } from '../pipelines/collectors.js';
import { startSimulation, type TruthPoint } from '../../simulator/index.js';
import { startExporterProcess } from '../support/exporter-process.js';

/**
 * Added latency of the shipped pipeline: fleet simulator → edge agent → gateway → Kafka →
 * exporter, all real processes on this machine (default load: 60 assets ticking every 250 ms,
 * about 1 000 points/s in 500 OTLP requests/s). The simulator sends each physical reading the
 * moment it is observed (no simulated network delay), so a physical point's sync latency is what
 * the pipeline adds, plus the simulator's own hand-over, which is reported beside it. Per run:
 *  - hand-over → Kafka, per point and exact: the record's timestamp (set by the gateway's producer)
 *    minus the time the simulator handed the point to its OTLP exporter;
 *  - observation → exporter receipt, from the exporter's own sync latency histogram (physical
 *    points), p50 and p99 interpolated within its buckets (20 bounds, 50 ms apart below 0.5 s).
 * Runs once with the configs' defaults and once with 20 ms batch timeouts. Not part of npm test.
 */

const metricsTopic = 'twin.telemetry.metrics';
const bounds = [
  0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5, 2, 3, 5,
];

export interface PipelineLatencyOptions {
  assets?: number;
  tickMs?: number;
  warmupMs?: number;
  measureMs?: number;
}

interface Run {
  label: string;
  batchTimeout?: string;
}

const quantile = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

/** p-quantile from cumulative bucket counts, linear within the bucket (as histogram_quantile). */
function bucketQuantile(cumulative: readonly number[], count: number, q: number): string {
  const rank = q * count;
  for (let i = 0; i < bounds.length; i++) {
    if ((cumulative[i] ?? 0) >= rank) {
      const lower = i === 0 ? 0 : bounds[i - 1]!;
      const below = i === 0 ? 0 : cumulative[i - 1]!;
      const inBucket = (cumulative[i] ?? 0) - below;
      const fraction = inBucket > 0 ? (rank - below) / inBucket : 1;
      return `${Math.round((lower + (bounds[i]! - lower) * fraction) * 1000)} ms`;
    }
  }
  return `> ${bounds[bounds.length - 1]! * 1000} ms`;
}

function physicalBuckets(samples: readonly Sample[]): { cumulative: number[]; count: number } {
  const physical = { source: 'physical' };
  return {
    cumulative: bounds.map((le) =>
      total(samples, 'twin_sync_latency_seconds_bucket', { ...physical, le: String(le) }),
    ),
    count: total(samples, 'twin_sync_latency_seconds_count', physical),
  };
}

const ms = (n: number): string => `${Math.round(n)} ms`;

export async function pipelineLatency(options: PipelineLatencyOptions = {}): Promise<string[]> {
  const assets = options.assets ?? 60;
  const tickMs = options.tickMs ?? 250;
  const warmupMs = options.warmupMs ?? 5_000;
  const measureMs = options.measureMs ?? 30_000;
  const runs: Run[] = [
    { label: 'defaults (batch timeout 200 ms at the edge and at the gateway)' },
    { label: 'TWINOPS_BATCH_TIMEOUT=20ms at both', batchTimeout: '20ms' },
  ];
  const lines: string[] = [];
  let physicalSent = 0;
  const queueDir = mkdtempSync(join(tmpdir(), 'twinops-bench-queue-'));
  const broker = await startKafka({
    topics: [
      { topic: metricsTopic, numPartitions: 3 },
      { topic: 'twin.telemetry.logs', numPartitions: 3 },
    ],
  });
  const exporter = await startExporterProcess({
    ingest: {
      kafka: {
        enabled: true,
        brokers: [broker.bootstrap],
        topics: [{ name: metricsTopic, signal: 'metrics', encoding: 'otlp_proto' }],
      },
    },
    state: { snapshot: { path: ':memory:' } },
    sli: { syncLatencyThresholdsSeconds: bounds },
  });
  try {
    for (const run of runs) {
      const env = run.batchTimeout ? { TWINOPS_BATCH_TIMEOUT: run.batchTimeout } : {};
      const gateway = await startPipelineCollector('gateway', {
        ...env,
        TWINOPS_KAFKA_BROKERS: broker.bootstrap,
      });
      const edge = await startPipelineCollector('edge-agent', {
        ...env,
        TWINOPS_GATEWAY_ENDPOINT: gateway.otlpUrl,
        TWINOPS_QUEUE_DIR: queueDir,
      });
      try {
        const sim = startSimulation({
          endpoint: edge.otlpUrl,
          assets,
          tickMs,
          seed: 9,
          sendDelayMs: { min: 0, max: 0 },
          desiredChangeProbability: 0,
          // Every asset sends at the same instant each tick: let none be refused by the SDK.
          concurrencyLimit: assets * 20,
        });
        let result;
        let before;
        let windowStart = 0;
        try {
          await sleep(warmupMs);
          before = physicalBuckets(await scrape(`${exporter.metricsUrl}/metrics`));
          windowStart = Date.now();
          await sleep(measureMs);
        } finally {
          result = await sim.stop();
        }
        const windowEnd = Date.now();
        if (result.exports.failed > 0)
          throw new Error(`the simulator's exports failed: ${result.exports.errors.join('; ')}`);
        // The exporter started empty: once it counts every physical point sent so far, all of
        // them are in Kafka too.
        physicalSent += result.points.filter((p) => p.source === 'physical').length;
        const measured = result.points.filter(
          (p) => p.source === 'physical' && p.sentAtMs >= windowStart && p.sentAtMs < windowEnd,
        );
        // Everything delivered, in Kafka and in the exporter, before reading the figures.
        const after = await waitFor(
          'the exporter to receive every physical point',
          async () => {
            const now = physicalBuckets(await scrape(`${exporter.metricsUrl}/metrics`));
            return now.count >= physicalSent ? now : undefined;
          },
          120_000,
        );
        // Read back after the run, so decoding never competes with the load: a record's
        // timestamp is its produce time, set by the gateway, whenever it is read.
        const producedAt = await readProduceTimes(broker, `bench-${runs.indexOf(run)}`);
        const missing = measured.filter((p) => !producedAt.has(keyOf(p))).length;
        if (missing > 0) throw new Error(`${missing} measured points are not in ${metricsTopic}`);
        const toKafka = measured
          .map((p) => producedAt.get(keyOf(p))! - p.sentAtMs)
          .sort((a, b) => a - b);
        const handOver = measured.map((p) => p.sentAtMs - p.sourceTimeMs).sort((a, b) => a - b);
        // The exporter's histogram also holds the points just before and after the window.
        const cumulative = after.cumulative.map((c, i) => c - before.cumulative[i]!);
        const count = after.count - before.count;
        const seconds = measureMs / 1000;
        lines.push(
          `${run.label}: ${assets} assets, tick ${tickMs} ms → ${Math.round(result.points.length / ((windowEnd - windowStart + warmupMs) / 1000))} points/s in ${Math.round(result.exports.sent / ((windowEnd - windowStart + warmupMs) / 1000))} OTLP requests/s (all sources), ${result.exports.failed} failed; measured ${measured.length} physical points over ${seconds} s`,
          `  hand-over to the edge → record produced to Kafka by the gateway (exact, per point): p50 ${ms(quantile(toKafka, 0.5))}, p99 ${ms(quantile(toKafka, 0.99))}, max ${ms(toKafka[toKafka.length - 1] ?? NaN)}`,
          `  observation → edge → gateway → Kafka → exporter receipt (exporter's histogram, ${count} points, includes the hand-over below): p50 ${bucketQuantile(cumulative, count, 0.5)}, p99 ${bucketQuantile(cumulative, count, 0.99)}`,
          `  the simulator's own hand-over (observation → handed to the OTLP exporter): p50 ${ms(quantile(handOver, 0.5))}, p99 ${ms(quantile(handOver, 0.99))}`,
        );
      } finally {
        await edge.stop();
        await gateway.stop();
      }
    }
  } finally {
    await exporter.stop();
    await broker.stop();
    rmSync(queueDir, { recursive: true, force: true });
  }
  return lines;
}

/** Every point in the metrics topic → the produce time of its record (ms). */
async function readProduceTimes(
  broker: KafkaBroker,
  groupId: string,
): Promise<Map<string, number>> {
  const admin = broker.client().admin();
  await admin.connect();
  const end = (await admin.fetchTopicOffsets(metricsTopic)).reduce((n, p) => n + Number(p.high), 0);
  await admin.disconnect();
  const producedAt = new Map<string, number>();
  let read = 0;
  const consumer = broker.client('twinops-bench').consumer({ groupId });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: metricsTopic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        read++;
        const at = Number(message.timestamp);
        for (const rm of decodeRequest('metrics', 'otlp_proto', message.value!).resourceMetrics) {
          const asset = rm.resource?.attributes?.find((a) => a.key === 'twin.asset.id')?.value
            ?.stringValue;
          for (const point of rm.scopeMetrics
            .flatMap((s) => s.metrics)
            .flatMap((m) => m.gauge?.dataPoints ?? [])) {
            const attr = (key: string) =>
              point.attributes?.find((a) => a.key === key)?.value?.stringValue;
            producedAt.set(
              `${asset}|${attr('twin.property')}|${attr('twin.source')}|${nanosToMs(point.timeUnixNano)}`,
              at,
            );
          }
        }
      },
    });
    await waitFor(
      'the metrics topic read to its end',
      () => (read >= end ? true : undefined),
      120_000,
    );
  } finally {
    await consumer.disconnect();
  }
  return producedAt;
}

const keyOf = (p: TruthPoint): string => `${p.assetId}|${p.property}|${p.source}|${p.sourceTimeMs}`;
