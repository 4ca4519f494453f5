/**
 * Ingest through Kafka (`npm run bench -- kafka-ingest`): the ingest benchmark's payloads (900
 * points each, every SLI updating) produced to a real broker as the collector's Kafka exporter
 * writes them (one OTLP protobuf request per message), consumed and applied by the exporter. CPU
 * time is the exporter process's alone, read from /proc while it works through the messages;
 * compared per point with OTLP/HTTP, measured in the same run.
 */
import { startKafka, waitFor } from '../bed/index.js';
import { startExporterProcess } from '../support/exporter-process.js';
import { benchNodeFlags, cpuSeconds } from './cpu.js';
import { measureExporter, payload, requests } from './ingest-throughput.js';
import { figure } from './targets.js';

const topic = 'twin.telemetry.metrics';
/** Messages measured (each 900 points), after one round of the payloads to warm up. */
const measuredMessages = 3_000;

/** The exporter's count of points taken from Kafka, from its /metrics. */
async function kafkaPoints(metricsUrl: string): Promise<number> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  let total = 0;
  for (const match of text.matchAll(
    /^twin_exporter_ingest_points_total\{[^}]*transport="kafka"[^}]*\} (\d+)/gm,
  )) {
    total += Number(match[1]);
  }
  return total;
}

export async function kafkaIngest(): Promise<string[]> {
  const now = Date.now();
  const bodies = Array.from({ length: requests }, (_, i) => payload(i, now));
  const pointsPerMessage = bodies[0]!.points;
  const broker = await startKafka({ topics: [{ topic, numPartitions: 2 }] });
  try {
    const exporter = await startExporterProcess(
      {
        ingest: {
          retries: { maxRequests: 0 },
          kafka: {
            enabled: true,
            brokers: [broker.bootstrap],
            topics: [{ name: topic, signal: 'metrics', encoding: 'otlp_proto' }],
          },
        },
        state: { snapshot: { path: ':memory:' } },
        sli: { prediction: { matchWindow: '50ms' } },
      },
      { nodeArgs: benchNodeFlags() },
    );
    const producer = broker.client('twinops-bench').producer();
    await producer.connect();
    try {
      const produce = async (count: number) => {
        for (let sent = 0; sent < count; sent += 5) {
          await producer.send({
            topic,
            messages: Array.from({ length: Math.min(5, count - sent) }, (_, i) => ({
              key: String((sent + i) % requests),
              value: Buffer.from(bodies[(sent + i) % requests]!.body),
            })),
          });
        }
      };
      const consumed = (points: number) =>
        waitFor(
          `${points} points consumed`,
          async () => ((await kafkaPoints(exporter.metricsUrl)) >= points ? true : undefined),
          600_000,
        );
      await produce(requests); // warm up: JIT, the consumer group's join
      await consumed(requests * pointsPerMessage);
      const cpuBefore = cpuSeconds(exporter.pid);
      const start = performance.now();
      await produce(measuredMessages);
      await consumed((requests + measuredMessages) * pointsPerMessage);
      const seconds = (performance.now() - start) / 1000;
      const cpu = cpuSeconds(exporter.pid) - cpuBefore;
      const points = measuredMessages * pointsPerMessage;
      const nsPerPoint = (cpu / points) * 1e9;
      const http = await measureExporter('exporter over OTLP/HTTP', bodies);
      return [
        `${measuredMessages} messages of ${pointsPerMessage} points (protobuf) through 1 broker, 2 partitions: ${Math.round(points / seconds)} points/s wall, ${cpu.toFixed(2)} CPU-s = ${Math.round(points / cpu)} points/s per core (${Math.round(nsPerPoint)} ns CPU per point); OTLP/HTTP in the same run ${Math.round(http.nsPerPoint)} ns`,
        figure({
          target: 'ingest through Kafka (consume + apply), CPU per point ÷ OTLP/HTTP protobuf',
          measured: nsPerPoint / http.nsPerPoint,
          unit: '×',
          goal: 1,
          better: 'lower',
        }),
      ];
    } finally {
      await producer.disconnect();
      await exporter.stop();
    }
  } finally {
    await broker.stop();
  }
}
