/**
 * `npm run bench`: the benchmarks, never part of `npm test`. Prints the machine, then each figure.
 * `npm run bench -- NAME…` runs some: ingest, state, heap, decode, kafka, kafka-ingest, ledger,
 * commands, durability, pipeline, plugin. The run ends with the table of the performance targets
 * (test/bench/targets.ts) its benchmarks measured.
 */
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { benchLedger } from '../test/bench/ledger.js';
import { benchDecode } from '../test/bench/decode.js';
import { repoRoot } from '../tools/paths.js';
import { buildExporter } from '../test/support/build-exporter.js';
import { commandThroughput } from '../test/bench/command-throughput.js';
import { durability } from '../test/bench/durability.js';
import { heapBench } from '../test/bench/heap.js';
import { ingestThroughput } from '../test/bench/ingest-throughput.js';
import { kafkaIngest } from '../test/bench/kafka-ingest.js';
import { kafkaRoundTrip } from '../test/bench/kafka-roundtrip.js';
import { pipelineLatency } from '../test/bench/pipeline-latency.js';
import { pluginFleet } from '../test/bench/plugin-fleet.js';
import { recordPrinted, targetTable } from '../test/bench/targets.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1'; // read when a producer is made; its notice is no result
buildExporter(); // the process benchmarks run its CLI

/** Memory per asset needs a clean heap and --expose-gc: it runs in a process of its own. */
function stateInChildProcess(): string[] {
  const child = spawnSync(
    process.execPath,
    [
      '--expose-gc',
      '--max-old-space-size=8192',
      '--import',
      'tsx',
      '-e',
      "import('./test/bench/state.ts').then(async (m) => console.log((await m.benchState()).join('\\n')))",
    ],
    { cwd: repoRoot, encoding: 'utf8' },
  );
  if (child.status !== 0) throw new Error(`state benchmark failed:\n${child.stderr}`);
  return recordPrinted(child.stdout.trim().split('\n'));
}

const benchmarks: Record<string, () => Promise<string[]> | string[]> = {
  ingest: ingestThroughput,
  state: stateInChildProcess,
  heap: heapBench,
  decode: benchDecode,
  kafka: () => kafkaRoundTrip(),
  'kafka-ingest': kafkaIngest,
  ledger: () => benchLedger(),
  commands: commandThroughput,
  durability,
  pipeline: () => pipelineLatency(),
  plugin: pluginFleet,
};

const chosen = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(benchmarks);
console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
);
for (const name of chosen) {
  const run = benchmarks[name];
  if (!run) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(benchmarks).join(', ')}`);
    process.exit(2);
  }
  console.log(`== ${name}`);
  for (const line of await run()) console.log(line);
}
const table = targetTable();
if (table.length) console.log(['', '== targets', ...table].join('\n'));
