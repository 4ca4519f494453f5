import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRequest } from '../../exporter/src/ingest/otlp/decode.js';
import { readBody, serveHttp, startKafka, waitFor, type KafkaBroker } from '../bed/index.js';
import { runSimulation } from '../../simulator/index.js';
import { startExporterProcess, type ExporterProcess } from '../support/exporter-process.js';

/**
 * The same telemetry through Kafka gives the same SLIs as through OTLP/HTTP, and an exporter
 * killed mid-stream (SIGKILL) and restarted neither loses nor double-counts anything.
 */

const topic = 'twin.telemetry.metrics';
/** SLI families that do not depend on when a point arrived (latency and freshness do). */
const families = [
  'twin_points_total',
  'twin_prediction_scored_total',
  'twin_prediction_squared_error_total',
  'twin_prediction_absolute_error_total',
  'twin_prediction_within_tolerance_total',
  'twin_model_predictions_total',
  'twin_convergence_seconds_count',
  'twin_convergence_seconds_sum',
  'twin_assets',
];
const sliConfig = {
  prediction: { matchWindow: '50ms', expireAfter: '10m' },
  vettedModels: [{ name: 'pump-forecaster', version: '1.4.0' }],
};

/** The chosen families from an exporter's /metrics, as `name{labels}` → value. */
async function scrape(exporter: ExporterProcess): Promise<Map<string, number>> {
  const text = await (await fetch(`${exporter.metricsUrl}/metrics`)).text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match && families.includes(match[1]!))
      samples.set(`${match[1]}${match[2] ?? ''}`, Number(match[3]));
  }
  return samples;
}

const pointsOf = (samples: Map<string, number>): number =>
  [...samples]
    .filter(([key]) => key.startsWith('twin_points_total'))
    .reduce((sum, [, n]) => sum + n, 0);

function expectSameSlis(actual: Map<string, number>, expected: Map<string, number>): void {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [key, value] of expected) expect(actual.get(key), key).toBeCloseTo(value, 6);
}

describe('Kafka ingest (real broker, kafkajs consumer group)', () => {
  let broker: KafkaBroker;
  let viaHttp: ExporterProcess;
  let expected: Map<string, number>;
  let messages: { key: string; value: Buffer }[];
  const workDir = mkdtempSync(join(tmpdir(), 'twinops-kafka-e2e-'));

  beforeAll(async () => {
    // Record what the simulated fleet sends: real OTLP protobuf request bodies.
    const bodies: Buffer[] = [];
    const capture = await serveHttp((req, res) => {
      void readBody(req).then(() => res.end());
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => bodies.push(Buffer.concat(chunks)));
    });
    const result = await runSimulation({
      endpoint: capture.url,
      assets: 9,
      tickMs: 100,
      ticks: 30,
      seed: 11,
      sendDelayMs: { min: 0, max: 20 },
      desiredChangeProbability: 0.2,
    });
    await capture.close();
    expect(result.exports.failed).toBe(0);
    messages = bodies.map((value) => ({
      key: String(
        decodeRequest(
          'metrics',
          'otlp_proto',
          value,
        ).resourceMetrics[0]?.resource?.attributes?.find((a) => a.key === 'twin.asset.id')?.value
          ?.stringValue,
      ),
      value,
    }));

    // The same bodies through OTLP/HTTP give the reference SLIs.
    viaHttp = await startExporterProcess({
      state: { snapshot: { path: ':memory:' } },
      sli: sliConfig,
    });
    for (const message of messages) {
      const response = await fetch(`${viaHttp.otlpUrl}/v1/metrics`, {
        method: 'POST',
        body: message.value,
        headers: { 'Content-Type': 'application/x-protobuf' },
      });
      expect(response.status).toBe(200);
    }
    expected = await scrape(viaHttp);
    expect(pointsOf(expected)).toBe(result.points.length);

    broker = await startKafka({ topics: [{ topic, numPartitions: 3 }] });
  }, 180_000);
  afterAll(async () => {
    await viaHttp?.stop();
    await broker?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  /** Protobuf messages per Kafka message; the simulator's bodies are far below it. */
  const maxElementsPerRequest = 20_000;
  const kafkaConfig = (group: string) => ({
    ingest: {
      maxElementsPerRequest,
      kafka: {
        enabled: true,
        brokers: [broker.bootstrap],
        groupId: group,
        topics: [{ name: topic, signal: 'metrics', encoding: 'otlp_proto' }],
      },
    },
    state: { snapshot: { path: join(workDir, `${group}.db`), interval: '200ms' } },
    sli: sliConfig,
  });

  it('gives the same SLIs through Kafka as through OTLP/HTTP, and skips a malformed message and one over the element cap', async () => {
    // Every message takes two bytes at least: none of the fleet's can be over the cap.
    expect(Math.max(...messages.map((m) => m.value.length))).toBeLessThan(
      2 * maxElementsPerRequest,
    );
    // Empty resource_metrics, two bytes each: well-formed, and more than one message may hold.
    const overCap = Buffer.alloc(4 * maxElementsPerRequest, Buffer.from([0x0a, 0]));
    const producer = broker.client().producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { key: 'junk', value: Buffer.from('not protobuf at all') },
        { key: 'over-cap', value: overCap },
        ...messages,
      ],
    });
    await producer.disconnect();
    let logText: string;
    const viaKafka = await startExporterProcess(kafkaConfig('equivalence'));
    try {
      const actual = await waitFor(
        'the Kafka exporter to consume everything',
        async () => {
          const samples = await scrape(viaKafka);
          return pointsOf(samples) === pointsOf(expected) ? samples : undefined;
        },
        60_000,
      );
      expectSameSlis(actual, expected);
      const text = await (await fetch(`${viaKafka.metricsUrl}/metrics`)).text();
      expect(text).toMatch(
        /twin_exporter_ingest_refused_total\{transport="kafka",reason="malformed"\} 1/,
      );
      expect(text).toMatch(
        /twin_exporter_ingest_refused_total\{transport="kafka",reason="too_large"\} 1/,
      );
    } finally {
      logText = viaKafka.log();
      await viaKafka.stop();
    }
    // A graceful stop (SIGTERM) saved its state and committed every offset before disconnecting.
    const admin = broker.client().admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId: 'equivalence', topics: [topic] });
      // A partition that never got a message reports -1: nothing to commit there.
      const total = committed!.partitions.reduce(
        (sum, p) => sum + Math.max(0, Number(p.offset)),
        0,
      );
      // The two skipped messages too.
      expect(total, JSON.stringify(committed) + logText).toBe(messages.length + 2);
    } finally {
      await admin.disconnect();
    }
  });

  it('loses and double-counts nothing when killed mid-stream and restarted', async () => {
    const crashTopic = 'twin.telemetry.crash';
    await broker.createTopics([{ topic: crashTopic, numPartitions: 3 }]);
    const config = kafkaConfig('crash');
    config.ingest.kafka.topics = [{ name: crashTopic, signal: 'metrics', encoding: 'otlp_proto' }];
    const configPath = join(workDir, 'crash.yaml');
    const producer = broker.client().producer();
    await producer.connect();
    const produceSlowly = async (from: number, to: number): Promise<void> => {
      for (let i = from; i < to; i += 10) {
        await producer.send({
          topic: crashTopic,
          messages: messages.slice(i, Math.min(i + 10, to)),
        });
        await sleep(30);
      }
    };
    try {
      const half = Math.floor(messages.length / 2);
      let first = await startExporterProcess(config, { configPath });
      await produceSlowly(0, half);
      // Let it apply part of the stream and snapshot at least once, then kill it without warning.
      await waitFor('some points applied', async () =>
        pointsOf(await scrape(first)) > 0 ? true : undefined,
      );
      await sleep(250);
      const before = pointsOf(await scrape(first));
      process.kill(first.pid, 'SIGKILL');
      await first.stop();
      expect(before).toBeGreaterThan(0);
      expect(before).toBeLessThan(pointsOf(expected)); // killed mid-stream: half was not even produced yet
      await produceSlowly(half, messages.length);
      first = await startExporterProcess(config, { configPath });
      try {
        const actual = await waitFor(
          'the restarted exporter to catch up',
          async () => {
            const samples = await scrape(first);
            return pointsOf(samples) >= pointsOf(expected) ? samples : undefined;
          },
          60_000,
        );
        await sleep(500); // anything double-counted would show up by now
        expectSameSlis(await scrape(first), expected);
        expect(pointsOf(actual)).toBe(pointsOf(expected));
      } finally {
        await first.stop();
      }
    } finally {
      await producer.disconnect();
    }
  });
});
