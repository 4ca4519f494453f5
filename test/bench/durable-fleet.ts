/**
 * The exporter side of the durability benchmark, in processes of their own (large heap):
 * - `fill ASSETS ROUNDS CONFIG` fills a fleet straight into the engine, checkpoints it (a shortcut:
 *   the journal does not hold the fill), prints its figures as one JSON line and exits; ROUNDS=17
 *   fill a history of 32 (each round after the first adds two values per property);
 * - `serve CONFIG` starts the exporter on those files in a fresh process, as a restart would,
 *   and records event-loop pauses while the parent sends load. Commands on stdin: `measure`
 *   starts the measured window, `report` prints the figures as one JSON line, `exit` closes.
 */
import { statSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { loadConfigFile } from '../../exporter/src/config/index.js';
import { DurableTwin, journalPathFor } from '../../exporter/src/durability/durable-twin.js';
import { startExporter } from '../../exporter/src/exporter.js';
import { tuneHeap } from '../../exporter/src/heap.js';
import { fleetPoints, idRange } from './fleet-points.js';

const fileBytes = (path: string): number => {
  let total = 0;
  for (const suffix of ['', '-wal']) {
    try {
      total += statSync(`${path}${suffix}`).size;
    } catch {
      // not there
    }
  }
  return total;
};

async function fill(assets: number, rounds: number, configPath: string): Promise<void> {
  tuneHeap();
  const config = loadConfigFile(configPath);
  const t0 = Date.now() - rounds * 1_000;

  // Fill: every asset's three properties, physical and twin, `rounds` times (history rings fill).
  let started = performance.now();
  const twin = await DurableTwin.open({ config, retries: config.ingest.retries });
  for (let round = 0; round < rounds; round++) {
    const t = t0 + round * 1_000;
    for (let from = 0; from < assets; from += 2_000) {
      const ids = idRange(from, Math.min(assets, from + 2_000));
      const points = fleetPoints(ids, t, (i) => ((i * 7 + round) % 1000) / 10);
      twin.engine.apply(points, t);
    }
  }
  const fillSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  await twin.checkpoint();
  const firstCheckpointSeconds = (performance.now() - started) / 1000;
  await twin.close();
  process.stdout.write(
    `${JSON.stringify({ fillSeconds, firstCheckpointSeconds, checkpointBytes: fileBytes(config.state.snapshot.path) })}\n`,
  );
}

async function serve(configPath: string): Promise<void> {
  tuneHeap(); // as the CLI does
  const config = loadConfigFile(configPath);
  const started = performance.now();
  const exporter = await startExporter(config);
  const restoreSeconds = (performance.now() - started) / 1000;
  const delay = monitorEventLoopDelay({ resolution: 1 });
  // Garbage collections while measured, so a long pause can be told from the exporter's own work.
  const gcKinds: Record<number, string> = {
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
  };
  const gcs: { kind: string; ms: number }[] = [];
  let measuringGc = false;
  new PerformanceObserver((list) => {
    if (!measuringGc) return;
    for (const entry of list.getEntries()) {
      const { detail } = entry as { detail?: { kind?: number } };
      const kind = detail?.kind ?? -1;
      gcs.push({ kind: gcKinds[kind] ?? String(kind), ms: entry.duration });
    }
  }).observe({ entryTypes: ['gc'] });
  // TWINOPS_BENCH_CPU_PROFILE=FILE: V8's CPU profile of the measured window, to see what a pause held.
  const profileFile = process.env.TWINOPS_BENCH_CPU_PROFILE;
  const session = profileFile ? new Session() : undefined;
  const profiler = session && {
    async start() {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 500 });
      await session.post('Profiler.start');
    },
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(profileFile!, JSON.stringify(profile));
    },
  };
  // When the longest pauses began (ms since the process began), to tell what held the loop.
  const longPauses: { atMs: number; ms: number }[] = [];
  let lastTick = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    if (lastTick && now - lastTick > 30) longPauses.push({ atMs: lastTick, ms: now - lastTick });
    lastTick = now;
  }, 2);
  const checkpoints: { seconds: number; assets: number; seenAtMs: number }[] = [];
  // The measured window in ms since the process began, to line up with V8's --trace-gc output.
  const window = { fromMs: 0, toMs: 0 };
  let last = exporter.twin.lastCheckpoint;
  const watch = setInterval(() => {
    const latest = exporter.twin.lastCheckpoint;
    if (latest && latest !== last) {
      checkpoints.push({
        seconds: latest.seconds,
        assets: latest.assetsWritten,
        seenAtMs: performance.now(),
      });
      last = latest;
    }
  }, 200);
  process.stdout.write(
    `${JSON.stringify({ ready: true, otlp: exporter.urls.otlp, metrics: exporter.urls.metrics })}\n`,
  );

  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'measure') {
      await profiler?.start();
      delay.reset();
      delay.enable();
      checkpoints.length = 0;
      gcs.length = 0;
      measuringGc = true;
      window.fromMs = performance.now();
      longPauses.length = 0;
    } else if (line === 'report') {
      delay.disable();
      measuringGc = false;
      window.toMs = performance.now();
      await profiler?.stop();
      const ms = (ns: number) => ns / 1e6;
      const longestGcs = [...gcs].sort((a, b) => b.ms - a.ms).slice(0, 3);
      process.stdout.write(
        `${JSON.stringify({
          restoreSeconds,
          checkpointAndJournalBytes:
            fileBytes(config.state.snapshot.path) +
            fileBytes(journalPathFor(config.state.snapshot.path)),
          pauseMs: {
            p50: ms(delay.percentile(50)),
            p99: ms(delay.percentile(99)),
            p999: ms(delay.percentile(99.9)),
            max: ms(delay.max),
          },
          checkpointSeconds: checkpoints,
          gc: {
            count: gcs.length,
            major: gcs.filter((g) => g.kind === 'major').length,
            longest: longestGcs,
          },
          heapBytes: process.memoryUsage().heapUsed,
          window,
          longPauses: longPauses.sort((a, b) => b.ms - a.ms).slice(0, 5),
        })}\n`,
      );
    } else if (line === 'exit') {
      clearInterval(watch);
      clearInterval(ticker);
      await exporter.close();
      process.exit(0);
    }
  }
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'fill') {
  await fill(Number(args[0]), Number(args[1]), args[2]!);
  process.exit(0);
} else if (mode === 'serve') await serve(args[0]!);
else throw new Error(`usage: durable-fleet.ts fill ASSETS ROUNDS CONFIG | serve CONFIG`);
