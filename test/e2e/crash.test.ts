import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  startKafka,
  startPrometheus,
  waitFor,
  type KafkaBroker,
  type PrometheusServer,
} from '../bed/index.js';
import { repoRoot } from '../../tools/paths.js';
import { createRng } from '../../simulator/index.js';
import {
  assetsRequest,
  httpLoad,
  kafkaLoad,
  type RunningLoad,
} from '../support/acknowledged-load.js';
import { startExporterProcess, type ExporterProcess } from '../support/exporter-process.js';

/**
 * Truth through crashes. A real Prometheus scrapes the exporter every second while load arrives
 * over OTLP/HTTP (and Kafka), and the exporter is killed with SIGKILL at random moments, also
 * before it is ready (while it starts and restores), then started again on the same files. At
 * the end Prometheus must have seen no counter of the twin go backwards (`resets()` is 0 for
 * every SLI counter series), its own `increase()` of the points counter must equal exactly what
 * the load was acknowledged (every point answered 200, every point produced to Kafka), and the
 * twin must hold, for every asset, the last value acknowledged for it.
 */

const kills = 22;
const topic = 'twin.telemetry.crash';
/** Counter series of the twin's SLIs (the exporter's own process counters restart at zero). */
const sliCounters =
  '{__name__=~"twin_[a-z_]+(_total|_bucket|_count|_sum)",__name__!~"twin_exporter_.+"}';

interface RunReport {
  mode: string;
  seed: number;
  kills: { afterMs: number; beforeReady: boolean }[];
  acknowledged: { http: number; kafka: number };
  retried: number;
  increase: number;
  resets: { series: string; resets: number }[];
}

async function post(exporter: ExporterProcess, body: Uint8Array): Promise<number> {
  const response = await fetch(`${exporter.otlpUrl}/v1/metrics`, {
    method: 'POST',
    body: gzipSync(body),
    headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'gzip' },
  });
  await response.arrayBuffer();
  return response.status;
}

/** Points the exporter counts now, read straight from /metrics. */
async function pointsServed(exporter: ExporterProcess): Promise<number> {
  const text = await (await fetch(`${exporter.metricsUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('twin_points_total{'))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

async function crashRun(mode: 'embedded' | 'kafka', broker?: KafkaBroker): Promise<RunReport> {
  const seed = Number(process.env.TWINOPS_CRASH_SEED ?? Date.now() % 1_000_000);
  const rng = createRng(seed);
  const work = mkdtempSync(join(tmpdir(), `twinops-crash-${mode}-`));
  const ports = { otlp: await freePort(), metrics: await freePort(), api: await freePort() };
  const configPath = join(work, 'exporter.yaml');
  const config = {
    state: { snapshot: { path: join(work, 'state.db'), interval: '700ms' }, historyLength: 8 },
    sli: { evaluationInterval: '300ms', freshness: { staleAfter: '2s' } },
    ...(broker
      ? {
          ingest: {
            kafka: {
              enabled: true,
              brokers: [broker.bootstrap],
              groupId: `crash-${seed}`,
              sessionTimeout: '6s',
              topics: [{ name: topic, signal: 'metrics', encoding: 'otlp_proto' }],
            },
          },
        }
      : {}),
  };
  const prometheus: PrometheusServer = await startPrometheus({
    scrapeConfigs: [
      { job_name: 'twinops', static_configs: [{ targets: [`127.0.0.1:${ports.metrics}`] }] },
    ],
  });
  const start = (untilReady = true) =>
    startExporterProcess(config, { configPath, ports, untilReady });
  let exporter = await start();
  const logs: string[] = [];
  const loads: RunningLoad[] = [];
  const classes = broker ? ['pump', 'valve', 'compressor'] : ['pump', 'valve'];
  try {
    // One point per series the run moves, so Prometheus holds each before the load begins: its
    // first sample is then the start of the run, and increase() needs no extrapolation.
    let seeded = 0;
    for (const assetClass of classes) {
      const { body, points } = assetsRequest(assetClass, [`${assetClass}-seed`], 0, Date.now());
      expect(await post(exporter, body)).toBe(200);
      seeded += points;
    }
    await waitFor('Prometheus to scrape every seeded series', async () => {
      const [count] = await prometheus.query('count(twin_points_total)');
      return Number(count?.value[1]) === classes.length * 2 ? true : undefined;
    });

    loads.push(
      httpLoad({
        url: exporter.otlpUrl,
        assetClass: 'pump',
        senders: 2,
        assetsPerSender: 6,
        pauseMs: 15,
      }),
      httpLoad({
        url: exporter.otlpUrl,
        assetClass: 'valve',
        senders: 1,
        assetsPerSender: 4,
        pauseMs: 25,
      }),
    );
    const producer = broker?.client().producer();
    if (producer) {
      await producer.connect();
      loads.push(kafkaLoad({ producer, topic, assetClass: 'compressor', assets: 8, pauseMs: 20 }));
    }

    const report: RunReport['kills'] = [];
    for (let k = 0; k < kills; k++) {
      // Every fourth kill lands before the exporter is ready: while it starts and restores.
      const beforeReady = k % 4 === 3;
      if (k > 0) exporter = await start(!beforeReady);
      const afterMs = beforeReady ? rng.int(0, 400) : rng.int(200, 2_500);
      await sleep(afterMs);
      process.kill(exporter.pid, 'SIGKILL');
      logs.push(exporter.log());
      await exporter.stop();
      report.push({ afterMs, beforeReady });
    }
    exporter = await start();
    for (const load of loads) await load.stop();
    await producer?.disconnect();

    const [http, valves, kafka] = loads.map((load) => load.counts);
    const acknowledged = {
      http: http!.points + valves!.points,
      kafka: kafka?.points ?? 0,
    };
    const expected = seeded + acknowledged.http + acknowledged.kafka;
    await waitFor(
      'the exporter to apply every acknowledged point',
      async () => ((await pointsServed(exporter)) >= expected ? true : undefined),
      60_000,
    );
    expect(await pointsServed(exporter)).toBe(expected);
    await sleep(3_500); // three more scrapes of the final values

    // The run, as Prometheus saw it: from the first sample (the seed) to the last scrape.
    const raw = await prometheus.samples('twin_points_total[1h]');
    const first = Math.min(...raw.map((s) => s.values[0]![0]));
    const last = Math.max(...raw.map((s) => s.values[s.values.length - 1]![0]));
    const rangeMs = Math.round((last - first) * 1000);
    // resets() drops the metric name: ask per name, or the series of two names would collide.
    const names = (await prometheus.query(`group by (__name__) (${sliCounters})`, last)).map(
      (s) => s.metric.__name__ as string,
    );
    const resets = (
      await Promise.all(
        names.map(async (name) =>
          (await prometheus.query(`resets(${name}[${rangeMs}ms])`, last)).map((s) => ({
            ...s,
            metric: { ...s.metric, __name__: name },
          })),
        ),
      )
    ).flat();
    const [increase] = await prometheus.query(
      `sum(increase(twin_points_total[${rangeMs}ms]))`,
      last,
    );
    const [replays] = await prometheus.query(
      `max(max_over_time(twin_exporter_journal_replayed_records[${rangeMs}ms]))`,
      last,
    );

    const result: RunReport = {
      mode,
      seed,
      kills: report,
      acknowledged,
      retried: loads.reduce((sum, load) => sum + load.counts.retried, 0),
      increase: Number(increase?.value[1]),
      resets: resets.map((s) => ({
        series: `${s.metric.__name__}${JSON.stringify({ ...s.metric, __name__: undefined })}`,
        resets: Number(s.value[1]),
      })),
    };
    const artifacts = join(repoRoot, 'test', '.artifacts');
    mkdirSync(artifacts, { recursive: true });
    writeFileSync(join(artifacts, `crash-${mode}.json`), JSON.stringify(result, null, 2));

    expect(report.length).toBeGreaterThanOrEqual(20);
    // Every SLI counter was scraped (gauges are not counted), and none ever went backwards.
    expect(resets.length).toBeGreaterThan(30);
    expect(result.resets.filter((s) => s.resets !== 0)).toEqual([]);
    // Prometheus's own increase() is exactly what the clients were acknowledged.
    expect(result.increase).toBe(acknowledged.http + acknowledged.kafka);
    // Kills left journal records past the last checkpoint, and restarts replayed them.
    expect(Number(replays?.value[1])).toBeGreaterThan(0);

    // Every acknowledged value is held: none lost with a crash.
    for (const counts of [http!, valves!, ...(kafka ? [kafka] : [])]) {
      for (const [asset, value] of counts.lastValue) {
        const view = (await (await fetch(`${exporter.apiUrl}/api/v1/assets/${asset}`)).json()) as {
          properties: { property: string; physical: { value: number } | null }[];
        };
        expect(view.properties[0]?.physical?.value, asset).toBe(value);
      }
    }
    return result;
  } catch (error) {
    logs.push(exporter.log());
    throw new Error(
      `${(error as Error).message}\nseed ${seed} (TWINOPS_CRASH_SEED reruns it); last exporter logs:\n${logs
        .slice(-3)
        .join('\n---\n')
        .slice(-4_000)}`,
      { cause: error },
    );
  } finally {
    await Promise.allSettled(loads.map((load) => Promise.race([load.stop(), sleep(15_000)])));
    await exporter.stop();
    await prometheus.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

describe('an exporter killed at random moments and restarted on the same files', () => {
  let broker: KafkaBroker;
  beforeAll(async () => {
    broker = await startKafka({ topics: [{ topic, numPartitions: 3 }] });
  }, 180_000);
  afterAll(async () => {
    await broker?.stop();
  });

  it('embedded: no counter goes backwards, and increase() equals every point answered 200', async () => {
    await crashRun('embedded');
  }, 300_000);

  it('Kafka: no counter goes backwards, and increase() equals every point produced or answered 200', async () => {
    await crashRun('kafka', broker);
  }, 300_000);
});
