/**
 * The exporter side of the durability benchmark, in a process of its own (large heap): fills a
 * fleet straight into the engine and checkpoints it (a shortcut: the journal does not hold the
 * fill), starts the exporter on those files, and records event-loop pauses while the parent sends
 * load. Commands on stdin: `report` prints the figures as one JSON line, `exit` closes.
 *
 * Arguments: assets, rounds (17 fill a history of 32: each round after the first adds two values
 * per property), the exporter's YAML config.
 */
import { statSync } from 'node:fs';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { loadConfigFile } from '../../exporter/src/config/index.js';
import { DurableTwin, journalPathFor } from '../../exporter/src/durability/durable-twin.js';
import { startExporter } from '../../exporter/src/exporter.js';
import type { TwinPoint } from '../../exporter/src/model.js';

const [assetsArg, roundsArg, configPath] = process.argv.slice(2);
const assets = Number(assetsArg);
const rounds = Number(roundsArg);
const properties = ['temperature', 'pressure', 'speed'];
const classes = ['pump', 'valve', 'compressor', 'fan', 'chiller', 'boiler', 'meter', 'motor'];

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

async function main(): Promise<void> {
  const config = loadConfigFile(configPath!);
  const t0 = Date.now() - rounds * 1_000;

  // Fill: every asset's three properties, physical and twin, `rounds` times (history rings fill).
  let started = performance.now();
  const twin = await DurableTwin.open({ config, retries: config.ingest.retries });
  for (let round = 0; round < rounds; round++) {
    const t = t0 + round * 1_000;
    for (let from = 0; from < assets; from += 2_000) {
      const points: TwinPoint[] = [];
      for (let i = from; i < Math.min(assets, from + 2_000); i++) {
        for (const property of properties) {
          for (const source of ['physical', 'twin'] as const) {
            points.push({
              assetId: `asset-${i}`,
              assetClass: classes[i % classes.length]!,
              site: `site-${i % 20}`,
              source,
              property,
              value: ((i * 7 + round) % 1000) / 10,
              sourceTimeMs: t,
              model: undefined,
              targetTimeMs: undefined,
              desiredVersion: undefined,
              reportedVersion: undefined,
            });
          }
        }
      }
      twin.engine.apply(points, t);
    }
  }
  const fillSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  await twin.checkpoint();
  const firstCheckpointSeconds = (performance.now() - started) / 1000;
  await twin.close();
  const checkpointBytes = fileBytes(config.state.snapshot.path);

  started = performance.now();
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
  const checkpoints: { seconds: number; assets: number }[] = [];
  let last = exporter.twin.lastCheckpoint;
  const watch = setInterval(() => {
    const latest = exporter.twin.lastCheckpoint;
    if (latest && latest !== last) {
      checkpoints.push({ seconds: latest.seconds, assets: latest.assetsWritten });
      last = latest;
    }
  }, 200);
  process.stdout.write(
    `${JSON.stringify({ ready: true, otlp: exporter.urls.otlp, metrics: exporter.urls.metrics })}\n`,
  );

  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'measure') {
      delay.reset();
      delay.enable();
      checkpoints.length = 0;
      gcs.length = 0;
      measuringGc = true;
    } else if (line === 'report') {
      delay.disable();
      measuringGc = false;
      const ms = (ns: number) => ns / 1e6;
      const longestGcs = [...gcs].sort((a, b) => b.ms - a.ms).slice(0, 3);
      process.stdout.write(
        `${JSON.stringify({
          assets,
          rounds,
          fillSeconds,
          firstCheckpointSeconds,
          restoreSeconds,
          checkpointBytes,
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
        })}\n`,
      );
    } else if (line === 'exit') {
      clearInterval(watch);
      await exporter.close();
      process.exit(0);
    }
  }
}

await main();
