/**
 * `npm run soak`: the exporter as a real process for TWINOPS_SOAK_MINUTES (default 30) under a
 * steady load well below its capacity: OTLP/HTTP at TWINOPS_SOAK_POINTS_PER_SECOND (default
 * 25,000), a producer into Kafka, and TWINOPS_SOAK_COMMANDS_PER_SECOND guarded commands (default
 * 20) answered by the reference device agent over Kafka, with one restart of the broker in the
 * middle. Every 10 s it samples the exporter's RSS and event-loop delay p99 (its own /metrics)
 * and the client-side ingest latency p99 (send to 200, retries included). It then compares the
 * first window after a minute of warm-up with the last (5 minutes each, 1 minute for runs under
 * 11 minutes), checks that nothing acknowledged was lost, writes test/.artifacts/soak-*.json and
 * exits 1 if anything grew beyond its tolerance or went missing.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { startDeviceAgent, type DeviceAgent } from '../../device-agent/index.js';
import { startKafka, waitFor, type KafkaBroker } from '../bed/index.js';
import { repoRoot } from '../../tools/paths.js';
import { buildExporter } from '../support/build-exporter.js';
import { assetsRequest, kafkaLoad, type RunningLoad } from '../support/acknowledged-load.js';
import { startExporterProcess, type ExporterProcess } from '../support/exporter-process.js';
import { pumpCatalog } from '../../exporter/test/commands/pump-catalog.js';
import { topics } from '../../contracts/commands.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

const numberFromEnv = (name: string, fallback: number): number => {
  const value = process.env[name] === undefined ? fallback : Number(process.env[name]);
  if (!(value > 0)) throw new Error(`${name} must be a positive number`);
  return value;
};
const minutes = numberFromEnv('TWINOPS_SOAK_MINUTES', 30);
// Half of what the exporter takes on one core would already be ~180,000 points/s; the load, the
// broker and the agent share the same two cores, so the default stays far below.
const pointsPerSecond = numberFromEnv('TWINOPS_SOAK_POINTS_PER_SECOND', 25_000);
const commandsPerSecond = numberFromEnv('TWINOPS_SOAK_COMMANDS_PER_SECOND', 20);

/** A folder for the exporter's CPU profile (written when it stops), to find where time goes. */
const cpuProfileDir = process.env.TWINOPS_SOAK_CPU_PROFILE_DIR;
const cpuProfileArgs = cpuProfileDir
  ? ['--cpu-prof', '--cpu-prof-interval=2000', `--cpu-prof-dir=${cpuProfileDir}`]
  : [];

buildExporter(); // the soak runs the exporter's CLI, as users do
const durationMs = minutes * 60_000;
const warmUpMs = 60_000;
/** The windows compared: five minutes each, one when the run is too short for that. */
const windowMs = minutes >= 11 ? 5 * 60_000 : 60_000;
const sampleEveryMs = 10_000;
/** Growth allowed from the first window to the last, with a floor for millisecond noise. */
const tolerance = { rss: 1.2, p99: 1.5, eventLoopSlackMs: 5, ingestSlackMs: 25 };

/** Each OTLP request: this many assets × (physical, twin) points. */
const assetsPerRequest = 250;
const pointsPerRequest = assetsPerRequest * 2;
const httpSenders = 8;
const kafkaTopic = 'twin.telemetry.soak';
const kafkaAssets = 50;
const kafkaPauseMs = 50;
// The agent reports every asset at once through the OpenTelemetry exporter, which drops exports
// beyond 30 in flight: more pumps would leave some unknown to the twin.
const pumps = Array.from({ length: 25 }, (_, i) => `pump-${i}`);
const token = 'soak-operator-token-0123456789';

interface Sample {
  atS: number;
  /** CPU used in the last 10 s, in cores: the exporter, and this process (the load). */
  exporterCpu: number;
  loadCpu: number;
  rssMiB: number;
  eventLoopP99Ms: number;
  ingestP99Ms: number;
  ingestRequests: number;
  httpPointsAcked: number;
  kafkaMessagesAcked: number;
  commandsSubmitted: number;
}

const p99 = (values: number[]): number => {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]!;
};
const median = (values: number[]): number => {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** `name{labels} value` lines of the exporter's /metrics, summed over the series matching. */
async function scrape(
  exporter: ExporterProcess,
): Promise<(name: string, labels?: RegExp) => number> {
  const text = await (await fetch(`${exporter.metricsUrl}/metrics`)).text();
  const lines = text.split('\n').filter((line) => line && !line.startsWith('#'));
  return (name, labels) =>
    lines
      .filter((line) => {
        const brace = line.indexOf('{');
        const space = line.indexOf(' ');
        const metric = line.slice(0, brace >= 0 && brace < space ? brace : space);
        return metric === name && (!labels || labels.test(line));
      })
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/**
 * OTLP/HTTP at a fixed rate (open loop: a slow exporter does not slow the load down), each sender
 * with its own assets and one request at a time; a request is sent again byte for byte until it
 * gets a 200, as OTLP clients do. Counts the points acknowledged and each request's latency.
 */
function httpRateLoad(url: string, perSecond: number) {
  const intervalMs = (1000 * httpSenders * pointsPerRequest) / perSecond;
  const counts = { points: 0, requests: 0, retried: 0, late: 0 };
  let latencies: number[] = [];
  let stopping = false;
  const sender = async (s: number) => {
    const assets = Array.from({ length: assetsPerRequest }, (_, i) => `tank-${s}-${i}`);
    let last = 0;
    let next = performance.now() + (intervalMs * s) / httpSenders;
    for (let value = 1; !stopping; value++) {
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
      else if (wait < -intervalMs) counts.late++;
      next = Math.max(next + intervalMs, performance.now());
      last = Math.max(Date.now(), last + 1); // every request new bytes, newer per asset
      const { body, points } = assetsRequest('tank', assets, value, last);
      const started = performance.now();
      for (;;) {
        const status = await fetch(`${url}/v1/metrics`, {
          method: 'POST',
          body,
          headers: { 'Content-Type': 'application/x-protobuf' },
          signal: AbortSignal.timeout(10_000),
        }).then(
          async (response) => (await response.arrayBuffer(), response.status),
          () => 0,
        );
        if (status === 200) break;
        counts.retried++;
        await sleep(50);
      }
      latencies.push(performance.now() - started);
      counts.requests++;
      counts.points += points;
    }
  };
  const running = Array.from({ length: httpSenders }, (_, s) => sender(s));
  return {
    counts,
    /** Latencies since the last call. */
    takeLatencies: () => {
      const taken = latencies;
      latencies = [];
      return taken;
    },
    stop: async () => {
      stopping = true;
      await Promise.all(running);
    },
  };
}

/** Guarded commands at a fixed rate, round robin over the pumps, with the operator's token. */
function commandLoad(apiUrl: string, perSecond: number) {
  const counts = {
    submitted: 0,
    accepted: 0,
    refused: 0,
    failed: 0,
    byStatus: {} as Record<string, number>,
  };
  let stopping = false;
  const inFlight = new Set<Promise<void>>();
  const submit = async (i: number) => {
    const response = await fetch(`${apiUrl}/api/v1/commands`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify({
        idempotencyKey: randomUUID(),
        assetId: pumps[i % pumps.length],
        name: 'setSpeed',
        params: { rpm: 500 + ((i * 37) % 1000) },
        reason: 'soak',
      }),
      signal: AbortSignal.timeout(30_000),
    }).catch(() => undefined);
    counts.submitted++;
    if (!response) {
      counts.failed++;
      return;
    }
    await response.arrayBuffer();
    counts.byStatus[response.status] = (counts.byStatus[response.status] ?? 0) + 1;
    if (response.status === 200) counts.accepted++;
    else if (response.status >= 400 && response.status < 500) counts.refused++;
    else counts.failed++;
  };
  const running = (async () => {
    const intervalMs = 1000 / perSecond;
    let next = performance.now();
    for (let i = 0; !stopping; i++) {
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
      next = Math.max(next + intervalMs, performance.now() - 1000);
      const sent = submit(i).finally(() => inFlight.delete(sent));
      inFlight.add(sent);
    }
  })();
  return {
    counts,
    stop: async () => {
      stopping = true;
      await running;
      await Promise.all(inFlight);
    },
  };
}

/** Messages in a topic (end offsets) and those a group committed, summed over partitions. */
async function topicOffsets(
  kafka: Kafka,
  groupId: string,
): Promise<{ end: number; committed: number }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const end = (await admin.fetchTopicOffsets(kafkaTopic)).reduce((n, p) => n + Number(p.high), 0);
    const [group] = await admin.fetchOffsets({ groupId, topics: [kafkaTopic] });
    const committed = group!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    return { end, committed };
  } finally {
    await admin.disconnect();
  }
}

// ---- the run ----

const work = mkdtempSync(join(tmpdir(), 'twinops-soak-'));
let broker: KafkaBroker | undefined;
let exporter: ExporterProcess | undefined;
let agent: DeviceAgent | undefined;
let producer: Producer | undefined;
const stops: (() => Promise<unknown>)[] = [];
let interrupted = false;

async function cleanUp(): Promise<void> {
  // A load waits for its request in flight to be acknowledged: not forever when the run failed.
  const bounded = (stop: () => Promise<unknown>) =>
    Promise.race([stop().catch(() => undefined), sleep(15_000)]);
  for (const stop of stops.splice(0).reverse()) await bounded(stop);
  await agent?.stop().catch(() => undefined);
  await producer?.disconnect().catch(() => undefined);
  await exporter?.stop().catch(() => undefined);
  await broker?.stop().catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.log(`\n${signal}: stopping everything the soak started…`);
    void cleanUp().finally(() => process.exit(130));
  });
}

const log = (line: string) =>
  console.log(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}`);

async function main(): Promise<number> {
  log(
    `${minutes} min on ${cpus().length} cores: ${pointsPerSecond.toLocaleString('en')} points/s over OTLP/HTTP ` +
      `(the ingest benchmark measures ~360,000 points per CPU-second: this is about ` +
      `${((pointsPerSecond / 360_000) * 100).toFixed(0)}% of one core), ~${((kafkaAssets * 2 * 1000) / kafkaPauseMs).toLocaleString('en')} ` +
      `points/s at most into Kafka, ${commandsPerSecond} commands/s; broker restart at ${(durationMs / 120_000).toFixed(1)} min; ` +
      `windows of ${windowMs / 60_000} min after ${warmUpMs / 60_000} min of warm-up`,
  );
  broker = await startKafka({
    topics: [
      { topic: kafkaTopic, numPartitions: 3 },
      { topic: topics.commands, numPartitions: 3 },
      { topic: topics.acks, numPartitions: 3 },
    ],
  });
  const groupId = 'twinops-soak';
  exporter = await startExporterProcess(
    {
      state: { snapshot: { path: join(work, 'state.db') } },
      ingest: {
        kafka: {
          enabled: true,
          brokers: [broker.bootstrap],
          groupId,
          topics: [{ name: kafkaTopic, signal: 'metrics', encoding: 'otlp_proto' }],
        },
      },
      commands: {
        enabled: true,
        ledgerPath: join(work, 'commands.db'),
        devices: 'kafka',
        // Longer than the broker restart takes, so commands caught in it still converge.
        ackTimeout: '60s',
        convergenceTimeout: '30s',
        maxStateAge: '1m',
        catalog: pumpCatalog,
      },
    },
    { env: { TWINOPS_API_TOKENS: `soak:operator:${token}` }, nodeArgs: cpuProfileArgs },
  );
  log(`exporter pid ${exporter.pid}, broker ${broker.bootstrap}`);
  agent = await startDeviceAgent({
    brokers: [broker.bootstrap],
    otlpEndpoint: exporter.otlpUrl,
    reportEveryMs: 2000,
    initialValues: pumps.map((assetId) => ({
      assetId,
      assetClass: 'pump',
      values: { speed: 1000 },
    })),
  });
  const api = exporter.apiUrl;
  await waitFor('the pumps in the twin', async () => {
    const page = (await (await fetch(`${api}/api/v1/assets?class=pump&limit=1`)).json()) as {
      total: number;
    };
    return page.total === pumps.length ? true : undefined;
  });

  // The producer outlives a broker restart: it retries for minutes, idempotently (no duplicates).
  const kafka = new Kafka({
    clientId: 'twinops-soak',
    brokers: [broker.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 100, maxRetryTime: 5_000 },
  });
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();

  const http = httpRateLoad(exporter.otlpUrl, pointsPerSecond);
  stops.push(http.stop);
  const kafkaLoadRun: RunningLoad = kafkaLoad({
    producer,
    topic: kafkaTopic,
    assetClass: 'compressor',
    assets: kafkaAssets,
    pauseMs: kafkaPauseMs,
  });
  stops.push(kafkaLoadRun.stop);
  const commands = commandLoad(api, commandsPerSecond);
  stops.push(commands.stop);

  const started = performance.now();
  const samples: Sample[] = [];
  const restart = { atS: 0, tookS: 0, done: false };
  let latencyPool: { atS: number; ms: number }[] = [];
  let nextSample = started + sampleEveryMs;
  let lastCpu = {
    atS: 0,
    exporter: (await scrape(exporter))('twin_exporter_process_cpu_seconds_total'),
    load: process.cpuUsage(),
  };
  while (!interrupted && performance.now() - started < durationMs) {
    if (!restart.done && performance.now() - started >= durationMs / 2) {
      restart.done = true;
      restart.atS = (performance.now() - started) / 1000;
      log('restarting the Kafka broker (same data dir and ports)…');
      const before = performance.now();
      await broker.restart();
      restart.tookS = (performance.now() - before) / 1000;
      log(`broker back after ${restart.tookS.toFixed(1)} s`);
    }
    await sleep(Math.max(0, nextSample - performance.now()));
    nextSample += sampleEveryMs;
    const atS = (performance.now() - started) / 1000;
    const latencies = http.takeLatencies();
    latencyPool.push(...latencies.map((ms) => ({ atS, ms })));
    const metric = await scrape(exporter);
    const cpu = {
      exporter: metric('twin_exporter_process_cpu_seconds_total'),
      load: process.cpuUsage(),
    };
    const seconds = atS - lastCpu.atS;
    const sample: Sample = {
      atS: Math.round(atS),
      exporterCpu: (cpu.exporter - lastCpu.exporter) / seconds,
      loadCpu:
        (cpu.load.user + cpu.load.system - lastCpu.load.user - lastCpu.load.system) / 1e6 / seconds,
      rssMiB: metric('twin_exporter_process_resident_memory_bytes') / 2 ** 20,
      eventLoopP99Ms: metric('twin_exporter_nodejs_eventloop_lag_p99_seconds') * 1000,
      ingestP99Ms: p99(latencies),
      ingestRequests: latencies.length,
      httpPointsAcked: http.counts.points,
      kafkaMessagesAcked: kafkaLoadRun.counts.requests,
      commandsSubmitted: commands.counts.submitted,
    };
    lastCpu = { atS, ...cpu };
    samples.push(sample);
    log(
      `t=${sample.atS}s cpu ${sample.exporterCpu.toFixed(2)} exporter + ${sample.loadCpu.toFixed(2)} load, rss ${sample.rssMiB.toFixed(0)} MiB, event loop p99 ${sample.eventLoopP99Ms.toFixed(1)} ms, ` +
        `ingest p99 ${sample.ingestP99Ms.toFixed(0)} ms over ${sample.ingestRequests} requests, ` +
        `${sample.httpPointsAcked.toLocaleString('en')} points acked, ${sample.kafkaMessagesAcked} Kafka messages, ` +
        `${sample.commandsSubmitted} commands`,
    );
  }
  if (interrupted) return 130; // the signal handler stops everything
  const elapsedS = (performance.now() - started) / 1000;

  log('stopping the load; waiting for every acknowledged point, message and command…');
  await http.stop();
  await kafkaLoadRun.stop();
  await commands.stop();
  stops.length = 0;

  const problems: string[] = [];
  const tankPoints = async () =>
    (await scrape(exporter!))('twin_points_total', /asset_class="tank"/);
  const kafkaPoints = async () =>
    (await scrape(exporter!))('twin_exporter_ingest_points_total', /transport="kafka"/);
  const settled = async <T>(
    what: string,
    probe: () => Promise<T>,
    done: (value: T) => boolean,
    ms: number,
  ) => {
    const deadline = Date.now() + ms;
    let value = await probe();
    while (!done(value) && Date.now() < deadline) {
      await sleep(500);
      value = await probe();
    }
    if (!done(value)) log(`${what}: not settled after ${ms / 1000} s`);
    return value;
  };
  const httpCounted = await settled(
    'OTLP points',
    tankPoints,
    (n) => n >= http.counts.points,
    30_000,
  );
  const kafkaCounted = await settled(
    'Kafka points',
    kafkaPoints,
    (n) => n >= kafkaLoadRun.counts.points,
    120_000,
  );
  const offsets = await settled(
    'Kafka offsets',
    () => topicOffsets(kafka, groupId),
    (o) => o.committed >= o.end,
    60_000,
  );
  const nonTerminal = ['accepted', 'dispatched', 'acked', 'pending_approval'];
  const open = async () => {
    let count = 0;
    for (const status of nonTerminal) {
      const response = await fetch(`${api}/api/v1/commands?status=${status}&limit=500`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      count += ((await response.json()) as unknown[]).length;
    }
    return count;
  };
  const openCommands = await settled('commands', open, (n) => n === 0, 150_000);
  const final = await scrape(exporter);
  const outcomes = final('twin_command_outcomes_total');
  const outcomeKinds = ['applied', 'rejected_by_device', 'timed_out', 'diverged_after_ack'];
  const byOutcome = Object.fromEntries(
    outcomeKinds.map((kind) => [
      kind,
      final('twin_command_outcomes_total', new RegExp(`outcome="${kind}"`)),
    ]),
  );

  if (httpCounted !== http.counts.points) {
    problems.push(`OTLP: ${http.counts.points} points acknowledged, ${httpCounted} counted`);
  }
  if (kafkaCounted !== kafkaLoadRun.counts.points) {
    problems.push(
      `Kafka: ${kafkaLoadRun.counts.points} points acknowledged, ${kafkaCounted} counted`,
    );
  }
  if (offsets.end !== kafkaLoadRun.counts.requests || offsets.committed !== offsets.end) {
    problems.push(
      `Kafka: ${kafkaLoadRun.counts.requests} messages produced, ${offsets.end} in the topic, ${offsets.committed} consumed`,
    );
  }
  if (openCommands !== 0 || outcomes !== commands.counts.accepted) {
    problems.push(
      `commands: ${commands.counts.accepted} accepted, ${outcomes} with an outcome, ${openCommands} not terminal`,
    );
  }
  if (commands.counts.failed)
    problems.push(`commands: ${commands.counts.failed} got no answer or a 5xx`);

  // First window after the warm-up, and the last.
  const firstFrom = warmUpMs / 1000;
  const lastFrom = elapsedS - windowMs / 1000;
  const inWindow = (from: number) => (atS: number) => atS > from && atS <= from + windowMs / 1000;
  const windowOf = (from: number) => {
    const within = samples.filter((s) => inWindow(from)(s.atS));
    return {
      fromS: Math.round(from),
      toS: Math.round(from + windowMs / 1000),
      samples: within.length,
      rssMiB: median(within.map((s) => s.rssMiB)),
      exporterCpu: median(within.map((s) => s.exporterCpu)),
      eventLoopP99Ms: median(within.map((s) => s.eventLoopP99Ms)),
      ingestP99Ms: p99(latencyPool.filter((l) => inWindow(from)(l.atS)).map((l) => l.ms)),
    };
  };
  const first = windowOf(firstFrom);
  const last = windowOf(lastFrom);
  latencyPool = [];
  const grew = (what: string, a: number, b: number, factor: number, slack = 0) => {
    if (b > a * factor && b - a > slack) {
      problems.push(
        `${what} grew from ${a.toFixed(1)} to ${b.toFixed(1)} (allowed ×${factor}${slack ? ` or +${slack}` : ''})`,
      );
      return 'GREW';
    }
    return 'ok';
  };
  const rows = [
    [
      'RSS (MiB, median)',
      first.rssMiB,
      last.rssMiB,
      grew('RSS', first.rssMiB, last.rssMiB, tolerance.rss),
      `≤ ×${tolerance.rss}`,
    ],
    [
      'event-loop p99 (ms, median of 10 s)',
      first.eventLoopP99Ms,
      last.eventLoopP99Ms,
      grew(
        'event-loop p99',
        first.eventLoopP99Ms,
        last.eventLoopP99Ms,
        tolerance.p99,
        tolerance.eventLoopSlackMs,
      ),
      `≤ ×${tolerance.p99} or +${tolerance.eventLoopSlackMs} ms`,
    ],
    [
      'ingest p99 (ms, client side)',
      first.ingestP99Ms,
      last.ingestP99Ms,
      grew(
        'ingest p99',
        first.ingestP99Ms,
        last.ingestP99Ms,
        tolerance.p99,
        tolerance.ingestSlackMs,
      ),
      `≤ ×${tolerance.p99} or +${tolerance.ingestSlackMs} ms`,
    ],
  ] as const;
  const table = [
    `window: first ${first.fromS}–${first.toS} s (${first.samples} samples), last ${last.fromS}–${last.toS} s (${last.samples} samples)`,
    `| measure | first | last | verdict | tolerance |`,
    `|---|---|---|---|---|`,
    ...rows.map(
      ([name, a, b, verdict, allowed]) =>
        `| ${name} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${verdict} | ${allowed} |`,
    ),
    `| exporter CPU (cores, median; not judged) | ${first.exporterCpu.toFixed(2)} | ${last.exporterCpu.toFixed(2)} | - | - |`,
    `| OTLP points acknowledged / counted | ${http.counts.points} | ${httpCounted} | ${http.counts.points === httpCounted ? 'ok' : 'LOST'} | equal |`,
    `| Kafka points acknowledged / counted | ${kafkaLoadRun.counts.points} | ${kafkaCounted} | ${kafkaLoadRun.counts.points === kafkaCounted ? 'ok' : 'LOST'} | equal |`,
    `| Kafka messages produced / consumed | ${kafkaLoadRun.counts.requests} | ${offsets.committed} | ${kafkaLoadRun.counts.requests === offsets.committed && offsets.end === offsets.committed ? 'ok' : 'LOST'} | equal (topic holds ${offsets.end}) |`,
    `| commands accepted / terminal | ${commands.counts.accepted} | ${outcomes} | ${openCommands === 0 && outcomes === commands.counts.accepted ? 'ok' : 'OPEN'} | equal, none open (${openCommands} open) |`,
  ];
  const rate = Math.round(http.counts.points / elapsedS);
  console.log(
    [
      '',
      `soak: ${(elapsedS / 60).toFixed(1)} min, ${rate.toLocaleString('en')} points/s over OTLP/HTTP acknowledged ` +
        `(${http.counts.retried} retried sends, ${http.counts.late} sends over an interval late), ` +
        `${kafkaLoadRun.counts.requests} Kafka messages, commands ${JSON.stringify(commands.counts)} ` +
        `(outcomes ${JSON.stringify(byOutcome)}; a 409 is a pump whose last command is still in flight), ` +
        `broker restarted at ${restart.atS.toFixed(0)} s (back in ${restart.tookS.toFixed(1)} s)`,
      ...table,
      problems.length ? `FAILED:\n- ${problems.join('\n- ')}` : 'PASSED',
    ].join('\n'),
  );

  const artifacts = join(repoRoot, 'test', '.artifacts');
  mkdirSync(artifacts, { recursive: true });
  const file = join(artifacts, `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        minutes,
        elapsedS,
        pointsPerSecond,
        commandsPerSecond,
        tolerance,
        restart,
        first,
        last,
        http: http.counts,
        httpCounted,
        kafka: {
          messages: kafkaLoadRun.counts.requests,
          points: kafkaLoadRun.counts.points,
          kafkaCounted,
          offsets,
        },
        commands: { ...commands.counts, outcomes, byOutcome, openCommands },
        samples,
        problems,
        passed: problems.length === 0,
      },
      null,
      2,
    ),
  );
  console.log(`report: ${file}`);
  return problems.length ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (error) {
  // Once interrupted, what fails is what the signal handler is stopping.
  if (!interrupted) {
    console.error(error);
    if (exporter) console.error(`exporter log (tail):\n${exporter.log().slice(-3000)}`);
  }
}
// Interrupted: the signal handler stops everything, then exits.
if (interrupted) await new Promise(() => undefined);
await cleanUp();
process.exit(code);
