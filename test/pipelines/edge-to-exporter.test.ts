import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRequest } from '../../exporter/src/ingest/otlp/decode.js';
import {
  startKafka,
  startPrometheus,
  waitFor,
  type KafkaBroker,
  type PrometheusServer,
} from '../bed/index.js';
import { countBy, runSimulation, startSimulation, type TruthPoint } from '../../simulator/index.js';
import { startExporterProcess, type ExporterProcess } from '../support/exporter-process.js';
import {
  nowNano,
  scrape,
  startPipelineCollector,
  text,
  total,
  type PipelineCollector,
  type Sample,
} from './collectors.js';

/**
 * The shipped configs end to end with real processes: the fleet simulator (OTel JS SDK) → edge
 * agent → gateway → Kafka → exporter → Prometheus. Every point sent is counted once; the sync
 * latency histogram only ever shows more delay than the simulator's own; one asset's records sit
 * on one partition; and a gateway outage loses nothing while the freshness and latency SLIs show
 * it as it happened.
 */

const metricsTopic = 'twin.telemetry.metrics';
const logsTopic = 'twin.telemetry.logs';
const staleAfterMs = 3_000;
const outageMs = 10_000;
const thresholds = [0.25, 0.5, 1, 2, 5, 8, 30];
const assets = 9;

const exporterConfig = (brokers: string) => ({
  ingest: {
    kafka: {
      enabled: true,
      brokers: [brokers],
      groupId: 'twinops-exporter',
      topics: [
        { name: metricsTopic, signal: 'metrics', encoding: 'otlp_proto' },
        { name: logsTopic, signal: 'logs', encoding: 'otlp_proto' },
      ],
    },
  },
  state: { snapshot: { path: ':memory:' } },
  sli: {
    syncLatencyThresholdsSeconds: thresholds,
    evaluationInterval: '250ms',
    freshness: { staleAfter: `${staleAfterMs}ms` },
  },
});

/** The exporter's SLI counters, for before/after differences. */
interface Slis {
  points: Map<string, number>;
  /** Cumulative count at each threshold, then `+Inf`. */
  buckets: Map<string, number>;
  latencySum: number;
  stale: number;
}

function slis(samples: readonly Sample[]): Slis {
  const points = new Map<string, number>();
  for (const s of samples.filter((s) => s.name === 'twin_points_total'))
    points.set(`${s.labels.asset_class}/${s.labels.source}`, s.value);
  const buckets = new Map<string, number>();
  for (const le of [...thresholds.map(String), '+Inf'])
    buckets.set(le, total(samples, 'twin_sync_latency_seconds_bucket', { le }));
  return {
    points,
    buckets,
    latencySum: total(samples, 'twin_sync_latency_seconds_sum'),
    stale: total(samples, 'twin_stale_assets'),
  };
}

const diff = (after: Map<string, number>, before: Map<string, number>) =>
  Object.fromEntries(
    [...after]
      .map(([key, value]) => [key, value - (before.get(key) ?? 0)] as const)
      .filter(([, value]) => value !== 0),
  );

/**
 * For each threshold, how many points can at most be at or below it, given a lower bound on each
 * point's latency: a point can never reach the exporter before it was sent, nor before the
 * gateway that carries it was back.
 */
function atMostBelow(points: readonly TruthPoint[], lowerBoundSeconds: (p: TruthPoint) => number) {
  return new Map(
    thresholds.map((le) => [String(le), points.filter((p) => lowerBoundSeconds(p) <= le).length]),
  );
}

const sentLatency = (p: TruthPoint): number => Math.max(0, (p.sentAtMs - p.sourceTimeMs) / 1000);

describe('edge agent → gateway → Kafka → exporter, real processes', () => {
  let broker: KafkaBroker;
  let exporter: ExporterProcess;
  let gateway: PipelineCollector;
  let edge: PipelineCollector;
  let prometheus: PrometheusServer;
  const queueDir = mkdtempSync(join(tmpdir(), 'twinops-edge-queue-'));
  /** Points the first test sent (metrics and logs), to check the topics against. */
  let steadyPoints = 0;
  let steadyLogs = 0;

  const exporterSlis = async (): Promise<Slis> =>
    slis(await scrape(`${exporter.metricsUrl}/metrics`));
  const startGateway = (ports?: PipelineCollector['ports']) =>
    startPipelineCollector('gateway', { TWINOPS_KAFKA_BROKERS: broker.bootstrap }, ports);
  const startEdge = (ports?: PipelineCollector['ports']) =>
    startPipelineCollector(
      'edge-agent',
      {
        TWINOPS_GATEWAY_ENDPOINT: gateway.otlpUrl,
        TWINOPS_QUEUE_DIR: queueDir,
        // Tests wait for recovery: a short backoff makes them wait less (it is not asserted).
        TWINOPS_RETRY_MAX_INTERVAL: '1s',
      },
      ports,
    );
  /** An instant PromQL query at `atMs` (default now): the single result's value, or undefined. */
  const promValue = async (query: string, atMs?: number): Promise<number | undefined> => {
    const at = atMs === undefined ? '' : `&time=${atMs / 1000}`;
    const response = await fetch(
      `${prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}${at}`,
    );
    const body = (await response.json()) as {
      data: { result: { value: [number, string] }[] };
    };
    const value = body.data.result[0]?.value[1];
    return value === undefined ? undefined : Number(value);
  };

  beforeAll(async () => {
    broker = await startKafka({
      topics: [
        { topic: metricsTopic, numPartitions: 3 },
        { topic: logsTopic, numPartitions: 3 },
      ],
    });
    exporter = await startExporterProcess(exporterConfig(broker.bootstrap));
    gateway = await startGateway();
    edge = await startEdge();
    prometheus = await startPrometheus({
      scrapeInterval: '500ms',
      scrapeConfigs: [
        { job_name: 'exporter', static_configs: [{ targets: [exporter.metricsTarget] }] },
        { job_name: 'edge', static_configs: [{ targets: [edge.telemetryTarget] }] },
        { job_name: 'gateway', static_configs: [{ targets: [gateway.telemetryTarget] }] },
      ],
    });
  }, 240_000);
  afterAll(async () => {
    await prometheus?.stop();
    await edge?.stop();
    await gateway?.stop();
    await exporter?.stop();
    await broker?.stop();
    rmSync(queueDir, { recursive: true, force: true });
  });

  it('counts every point sent, by class and source, in Prometheus; latency only adds to the sender’s', async () => {
    const before = await exporterSlis();
    const result = await runSimulation({
      endpoint: edge.otlpUrl,
      assets,
      tickMs: 250,
      ticks: 24,
      seed: 5,
      sendDelayMs: { min: 0, max: 50 },
    });
    expect(result.exports.failed).toBe(0);
    // Strings travel as log records (the agent's reported state): the logs pipeline, same path.
    const logRecords = ['auto', 'manual', 'auto'].map((mode) => ({
      timeUnixNano: nowNano(),
      body: { stringValue: mode },
      attributes: [text('twin.source', 'physical'), text('twin.property', 'mode')],
    }));
    const logs = await fetch(`${edge.otlpUrl}/v1/logs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        resourceLogs: [
          {
            resource: {
              attributes: [
                text('twin.asset.id', 'valve-1'),
                text('twin.asset.class', 'valve'),
                text('twin.site', 'site-a'),
              ],
            },
            scopeLogs: [{ logRecords }],
          },
        ],
      }),
    });
    expect(logs.status).toBe(200);
    steadyPoints = result.points.length;
    steadyLogs = logRecords.length;
    const sent = result.points.length + logRecords.length;

    await waitFor(
      'Prometheus to have scraped every point from the exporter',
      async () => ((await promValue('sum(twin_points_total)')) === sent ? true : undefined),
      60_000,
    );
    const byClassSource = new Map<string, number>();
    const response = await fetch(
      `${prometheus.url}/api/v1/query?query=${encodeURIComponent('sum by (asset_class, source) (twin_points_total)')}`,
    );
    const body = (await response.json()) as {
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    for (const r of body.data.result)
      byClassSource.set(`${r.metric.asset_class}/${r.metric.source}`, Number(r.value[1]));
    const expected = countBy(result.points, (p) => `${p.assetClass}/${p.source}`);
    expected['valve/physical'] = (expected['valve/physical'] ?? 0) + logRecords.length;
    expect(Object.fromEntries(byClassSource)).toEqual(expected);

    // Sync latency: every point's latency is at least what the simulator itself took to send it,
    // so at each threshold the exporter can count no more points than the truth allows; and the
    // pipeline's delay shows as a total latency above the sender's.
    const after = await exporterSlis();
    expect(diff(after.points, before.points)).toEqual(expected);
    const observed = diff(after.buckets, before.buckets);
    expect(observed['+Inf']).toBe(sent);
    const bound = atMostBelow(result.points, sentLatency);
    for (const le of thresholds.map(String)) {
      expect(observed[le] ?? 0, `le=${le}`).toBeLessThanOrEqual(
        (bound.get(le) ?? 0) + logRecords.length,
      );
    }
    const senderSeconds = result.points.reduce((sum, p) => sum + sentLatency(p), 0);
    expect(after.latencySum - before.latencySum).toBeGreaterThan(senderSeconds);
    console.log(
      `pipeline: ${sent} points; mean sync latency ${((after.latencySum - before.latencySum) / sent).toFixed(3)} s, of which the simulator's own ${(senderSeconds / result.points.length).toFixed(3)} s`,
    );
  });

  it('keys by asset: one Kafka record per asset, each asset on one partition under one key', async () => {
    const admin = broker.client().admin();
    await admin.connect();
    const ends = new Map<string, number>();
    try {
      for (const topic of [metricsTopic, logsTopic]) {
        for (const p of await admin.fetchTopicOffsets(topic))
          ends.set(`${topic}:${p.partition}`, Number(p.high));
      }
    } finally {
      await admin.disconnect();
    }
    const expectedMessages = [...ends.values()].reduce((a, b) => a + b, 0);
    const records: { topic: string; partition: number; key: string; value: Buffer }[] = [];
    const consumer = broker.client().consumer({ groupId: 'keying-check' });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [metricsTopic, logsTopic], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          records.push({
            topic,
            partition,
            key: message.key?.toString('hex') ?? '',
            value: message.value!,
          });
        },
      });
      await waitFor('every record in the topics', () =>
        records.length >= expectedMessages ? true : undefined,
      );
    } finally {
      await consumer.disconnect();
    }

    const byAsset = new Map<string, { partitions: Set<string>; keys: Set<string> }>();
    let points = 0;
    let logRecords = 0;
    for (const record of records) {
      const signal = record.topic === metricsTopic ? 'metrics' : 'logs';
      const request = decodeRequest(signal, 'otlp_proto', record.value);
      const resources =
        'resourceMetrics' in request ? request.resourceMetrics : request.resourceLogs;
      // One resource (one asset) per record: the gateway split its mixed batches again.
      expect(resources).toHaveLength(1);
      const resource = resources[0]!;
      const assetId = resource.resource?.attributes?.find((a) => a.key === 'twin.asset.id')?.value
        ?.stringValue;
      expect(assetId).toBeTruthy();
      const entry = byAsset.get(assetId!) ?? { partitions: new Set(), keys: new Set() };
      entry.partitions.add(`${record.topic}:${record.partition}`);
      entry.keys.add(record.key);
      byAsset.set(assetId!, entry);
      if ('scopeMetrics' in resource)
        points += resource.scopeMetrics
          .flatMap((s) => s.metrics)
          .reduce((n, m) => n + (m.gauge?.dataPoints.length ?? 0), 0);
      else logRecords += resource.scopeLogs.reduce((n, s) => n + s.logRecords.length, 0);
    }
    // Exactly what was sent, each once: no loss and no duplicate on the way into Kafka.
    expect(points).toBe(steadyPoints);
    expect(logRecords).toBe(steadyLogs);
    expect(byAsset.size).toBe(assets);
    for (const [asset, { partitions, keys }] of byAsset) {
      // One partition per topic (valve-1's log records are in the logs topic too).
      const topics = new Set([...partitions].map((p) => p.split(':')[0]));
      expect(partitions.size, `${asset}: ${[...partitions].join(', ')}`).toBe(topics.size);
      // One key, the same in both topics: a hash of the asset's resource attributes.
      expect(keys.size, asset).toBe(1);
    }
    const keys = [...byAsset.values()].map((e) => [...e.keys][0]!);
    expect(new Set(keys).size).toBe(assets); // none shared between assets
    expect(keys.every((k) => k.length === 32)).toBe(true); // 16 bytes, never empty
    const partitionsUsed = new Set(records.map((r) => `${r.topic}:${r.partition}`));
    expect(partitionsUsed.size).toBeGreaterThan(1); // and the assets do spread
  });

  it('survives a disconnected site: a 10 s gateway outage (and an agent restart in it) loses nothing, and the SLIs show it', async () => {
    const before = await exporterSlis();
    const sim = startSimulation({
      endpoint: edge.otlpUrl,
      assets,
      tickMs: 250,
      seed: 6,
      sendDelayMs: { min: 0, max: 50 },
    });
    let result;
    let stoppedAt = 0;
    let restartedAt = 0;
    let queuedPoints: number;
    let freshAt: number;
    try {
      // Steady first: every asset fresh, in the exporter and in Prometheus.
      freshAt = await waitFor('every asset fresh in Prometheus', async () =>
        (await exporterSlis()).stale === 0 &&
        (await promValue('sum(twin_stale_assets)')) === 0 &&
        (await promValue('count(twin_stale_assets)')) === 3
          ? Date.now()
          : undefined,
      );

      await gateway.stop();
      stoppedAt = Date.now();
      // The agent keeps accepting; its queue on disk grows.
      queuedPoints = await waitFor('points queued at the edge', async () => {
        const queued = total(await scrape(edge.telemetryUrl), 'otelcol_exporter_queue_size', {
          data_type: 'metrics',
        });
        return queued > 0 ? queued : undefined;
      });
      // Restart the agent mid-outage: the queue is in files, so it comes back with the agent.
      await edge.stop();
      edge = await startEdge(edge.ports);
      const reloaded = total(await scrape(edge.telemetryUrl), 'otelcol_exporter_queue_size', {
        data_type: 'metrics',
      });
      expect(reloaded).toBeGreaterThanOrEqual(queuedPoints);
      // No physical point can reach the exporter now: every asset goes stale.
      await waitFor(
        'every asset stale in the exporter',
        async () => ((await exporterSlis()).stale === assets ? true : undefined),
        outageMs,
      );
      // The outage lasts its stated time, then the gateway comes back where the agent expects it.
      await sleep(Math.max(0, stoppedAt + outageMs - Date.now()));
      restartedAt = Date.now();
      gateway = await startGateway(gateway.ports);
      await waitFor(
        'every asset fresh again',
        async () => ((await exporterSlis()).stale === 0 ? true : undefined),
        60_000,
      );
    } finally {
      result = await sim.stop();
    }
    expect(result.exports.failed).toBe(0);
    const sent = result.points.length;
    const after = await waitFor(
      'the exporter to count every point sent',
      async () => {
        const s = await exporterSlis();
        return (s.buckets.get('+Inf') ?? 0) - (before.buckets.get('+Inf') ?? 0) >= sent
          ? s
          : undefined;
      },
      60_000,
    );

    // Nothing lost, nothing counted twice.
    expect(diff(after.points, before.points)).toEqual(
      countBy(result.points, (p) => `${p.assetClass}/${p.source}`),
    );
    // Sync latency shows the outage: a point sent while the gateway was down cannot have arrived
    // before it was back, so its latency is at least (restart − its source time).
    const lowerBound = (p: TruthPoint): number =>
      p.sentAtMs >= stoppedAt && p.sentAtMs < restartedAt
        ? Math.max(sentLatency(p), (restartedAt - p.sourceTimeMs) / 1000)
        : sentLatency(p);
    const bound = atMostBelow(result.points, lowerBound);
    const observed = diff(after.buckets, before.buckets);
    for (const le of thresholds.map(String))
      expect(observed[le] ?? 0, `le=${le}`).toBeLessThanOrEqual(bound.get(le) ?? 0);
    const heldOverFive = result.points.filter((p) => lowerBound(p) > 5).length;
    expect(heldOverFive).toBeGreaterThan(0);
    expect(sent - (observed['5'] ?? 0)).toBeGreaterThanOrEqual(heldOverFive);

    // Freshness as Prometheus recorded it: all fresh before, all stale late in the outage (no
    // physical point can have arrived for longer than staleAfter), fresh again at the end; no
    // freshness check passed in the outage's last 3 s.
    await waitFor('Prometheus to see every asset fresh again', async () =>
      (await promValue('sum(twin_stale_assets)')) === 0 ? true : undefined,
    );
    expect(await promValue('sum(twin_stale_assets)', freshAt)).toBe(0);
    const lateInOutage = restartedAt - 500;
    expect(lateInOutage - 3_000 - staleAfterMs).toBeGreaterThan(stoppedAt + 500); // the scenario's own arithmetic
    expect(await promValue('sum(twin_stale_assets)', lateInOutage)).toBe(assets);
    expect(
      await promValue('sum(increase(twin_freshness_checks_good_total[3s]))', lateInOutage),
    ).toBe(0);
    expect(
      await promValue('sum(increase(twin_freshness_checks_total[3s]))', lateInOutage),
    ).toBeGreaterThan(0);
    // And the agent's queue drained.
    await waitFor('the edge queue to drain', async () =>
      total(await scrape(edge.telemetryUrl), 'otelcol_exporter_queue_size') === 0
        ? true
        : undefined,
    );
    // Still exactly once each, now that every queue has drained.
    expect(diff((await exporterSlis()).points, before.points)).toEqual(
      countBy(result.points, (p) => `${p.assetClass}/${p.source}`),
    );
    console.log(
      `outage: ${((restartedAt - stoppedAt) / 1000).toFixed(1)} s, ${sent} points sent, ${queuedPoints}+ queued at the edge, ${heldOverFive} held over 5 s; sync latency, cumulative bucket counts ${JSON.stringify(observed)}`,
    );
  });
});
