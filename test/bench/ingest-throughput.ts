import { fileURLToPath } from 'node:url';
import { encode } from '../../exporter/test/ingest/otlp/testing.js';
import { freePort, startCollector } from '../bed/index.js';
import { startExporterProcess } from '../support/exporter-process.js';
import type { Encoding } from '../../exporter/src/model.js';
import { cpuSeconds } from './cpu.js';
import { figure } from './targets.js';

/**
 * Ingest throughput over OTLP/HTTP protobuf, per core: the exporter process (every SLI updating:
 * latency histogram, state, divergence inputs, prediction matching) against the OTel Collector
 * built from pipelines/ doing the nearest equivalent (OTLP in, a sync latency histogram out), on
 * the same payloads. CPU time is read from /proc for the server process alone, so the load
 * generator's own cost does not count and the ratio is CPU per point.
 */

const assetsPerRequest = 100;
const fleetSize = 10_000;
const properties = ['temperature', 'pressure', 'speed'];
export const requests = 60;
const durationMs = 10_000;
const concurrency = 4;

/** One request: 100 assets × 3 properties × (physical, twin, prediction) = 900 points. */
export function payload(index: number, nowMs: number, encoding: Encoding = 'otlp_proto'): Body {
  const text = (key: string, value: string) => ({ key, value: { stringValue: value } });
  const ns = (ms: number) => String(BigInt(Math.round(ms)) * 1_000_000n);
  let points = 0;
  const resourceMetrics = Array.from({ length: assetsPerRequest }, (_, a) => {
    const asset = (index * assetsPerRequest + a) % fleetSize;
    const t = nowMs - 200 + (a % 50);
    const dataPoints = (source: string, property: string, value: number, extra: object[] = []) => {
      points += 1;
      return {
        timeUnixNano: ns(t),
        asDouble: value,
        attributes: [text('twin.source', source), text('twin.property', property), ...extra],
      };
    };
    return {
      resource: {
        attributes: [
          text('twin.asset.id', `pump-${asset}`),
          text('twin.asset.class', ['pump', 'valve', 'conveyor'][asset % 3]!),
          text('twin.site', `site-${asset % 5}`),
        ],
      },
      scopeMetrics: [
        {
          metrics: [
            {
              name: 'twin.value',
              gauge: {
                dataPoints: properties.flatMap((property, p) => [
                  dataPoints('physical', property, 50 + p + index / 100),
                  dataPoints('twin', property, 50.2 + p + index / 100),
                  dataPoints('model', property, 50.1 + p, [
                    text('twin.model.name', 'forecaster'),
                    text('twin.model.version', '1.0.0'),
                    // Aimed at the physical point of this request: every prediction is scored,
                    // so the prediction-accuracy SLI updates too.
                    {
                      key: 'twin.prediction.target_time_unix_nano',
                      value: { stringValue: ns(t) },
                    },
                  ]),
                ]),
              },
            },
          ],
        },
      ],
    };
  });
  return { body: encode('metrics', encoding, { resourceMetrics }), points, encoding };
}

interface Body {
  body: Uint8Array;
  points: number;
  encoding: Encoding;
}

const contentTypes: Record<Encoding, string> = {
  otlp_proto: 'application/x-protobuf',
  otlp_json: 'application/json',
};

/** Posts the payloads round-robin with `concurrency` loops for `durationMs`; accepted points. */
async function drive(
  url: string,
  bodies: Body[],
  ms = durationMs,
): Promise<{ points: number; seconds: number; failures: number }> {
  let points = 0;
  let failures = 0;
  let next = 0;
  const start = performance.now();
  const deadline = start + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const item = bodies[next++ % bodies.length]!;
        const response = await fetch(`${url}/v1/metrics`, {
          method: 'POST',
          body: item.body,
          headers: { 'Content-Type': contentTypes[item.encoding] },
        });
        await response.arrayBuffer();
        if (response.ok) points += item.points;
        else failures += 1;
      }
    }),
  );
  return { points, seconds: (performance.now() - start) / 1000, failures };
}

export async function measure(name: string, url: string, pid: number, bodies: Body[]) {
  await drive(url, bodies.slice(0, 4)); // warm up (JIT, connections)
  const cpuBefore = cpuSeconds(pid);
  const run = await drive(url, bodies);
  const cpu = cpuSeconds(pid) - cpuBefore;
  return { name, ...run, cpu, perCore: run.points / cpu, nsPerPoint: (cpu / run.points) * 1e9 };
}

/** An exporter as the benchmarks run it: every SLI on, state in memory. */
const startBenchExporter = () =>
  startExporterProcess({
    // The payloads repeat: with retries remembered, every repeat would be answered unapplied.
    ingest: { retries: { maxRequests: 0 } },
    state: { snapshot: { path: ':memory:' } },
    sli: { prediction: { matchWindow: '50ms' } },
  });

/** A fresh exporter taking `bodies`. */
export async function measureExporter(name: string, bodies: Body[]) {
  const exporter = await startBenchExporter();
  try {
    return await measure(name, exporter.otlpUrl, exporter.pid, bodies);
  } finally {
    await exporter.stop();
  }
}

interface Server {
  name: string;
  url: string;
  pid: number;
  bodies: Body[];
}

/**
 * The servers in turn, `rounds` times, for an equal share of `durationMs` each turn: a machine
 * that slows down or speeds up (a shared host does) weighs on every server alike. CPU and points
 * are summed per server over its turns.
 */
async function measureInTurns(servers: Server[], rounds = 4) {
  for (const server of servers) await drive(server.url, server.bodies.slice(0, 4), 1_000); // warm up
  const totals = servers.map(() => ({ points: 0, seconds: 0, failures: 0, cpu: 0 }));
  for (let round = 0; round < rounds; round++) {
    for (const [i, server] of servers.entries()) {
      const cpuBefore = cpuSeconds(server.pid);
      const run = await drive(server.url, server.bodies, durationMs / rounds);
      const total = totals[i]!;
      total.cpu += cpuSeconds(server.pid) - cpuBefore;
      total.points += run.points;
      total.seconds += run.seconds;
      total.failures += run.failures;
    }
  }
  return servers.map((server, i) => {
    const run = totals[i]!;
    return {
      name: server.name,
      ...run,
      perCore: run.points / run.cpu,
      nsPerPoint: (run.cpu / run.points) * 1e9,
    };
  });
}

export async function ingestThroughput(): Promise<string[]> {
  const now = Date.now();
  const bodies = Array.from({ length: requests }, (_, i) => payload(i, now));
  const jsonBodies = Array.from({ length: requests }, (_, i) => payload(i, now, 'otlp_json'));
  const lines: string[] = [
    `payload: ${bodies[0]!.points} points per request (${(bodies[0]!.body.length / 1024).toFixed(0)} KiB protobuf, ${(jsonBodies[0]!.body.length / 1024).toFixed(0)} KiB JSON), ${fleetSize} assets, ${concurrency} connections, ${durationMs / 1000} s per server in 4 alternating turns`,
  ];

  const exporter = await startBenchExporter();
  const jsonExporter = await startBenchExporter();
  const [health, otlp] = [await freePort(), await freePort()];
  const collector = await startCollector({
    config: { path: fileURLToPath(new URL('collector-latency.yaml', import.meta.url)) },
    env: { HEALTH_PORT: String(health), OTLP_PORT: String(otlp) },
    readyUrl: `http://127.0.0.1:${health}/`,
  });
  let results;
  try {
    results = await measureInTurns([
      { name: 'exporter', url: exporter.otlpUrl, pid: exporter.pid, bodies },
      {
        name: 'exporter, OTLP/JSON',
        url: jsonExporter.otlpUrl,
        pid: jsonExporter.pid,
        bodies: jsonBodies,
      },
      { name: 'collector', url: `http://127.0.0.1:${otlp}`, pid: collector.pid, bodies },
    ]);
  } finally {
    await Promise.all([exporter.stop(), jsonExporter.stop(), collector.stop()]);
  }
  const [exporterResult, jsonResult, collectorResult] = results as [
    (typeof results)[number],
    (typeof results)[number],
    (typeof results)[number],
  ];

  for (const r of [exporterResult, jsonResult, collectorResult]) {
    lines.push(
      `${r.name}: ${Math.round(r.points / r.seconds)} points/s wall, ${r.cpu.toFixed(2)} CPU-s for ${r.points} points = ${Math.round(r.perCore)} points/s per core (${Math.round(r.nsPerPoint)} ns CPU per point)${r.failures ? `, ${r.failures} failed requests` : ''}`,
    );
  }
  lines.push(
    figure({
      target: 'ingest over OTLP/HTTP protobuf, every SLI updating, per CPU-second',
      measured: exporterResult.perCore,
      unit: 'points',
      goal: 1_000_000,
      better: 'higher',
    }),
    figure({
      target: 'ingest CPU per point, exporter ÷ collector (same payloads, same run)',
      measured: exporterResult.nsPerPoint / collectorResult.nsPerPoint,
      unit: '×',
      goal: 0.5,
      better: 'lower',
    }),
    figure({
      target: 'ingest over OTLP/JSON ÷ over protobuf, points per CPU-second',
      measured: jsonResult.perCore / exporterResult.perCore,
      unit: '×',
      goal: 0.5,
      better: 'higher',
    }),
  );
  return lines;
}
