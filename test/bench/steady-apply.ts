/**
 * The child of the heap benchmark: fills an engine (history full), then applies 900-point batches
 * to random assets for a while and prints the collections seen meanwhile as one JSON line.
 * Arguments: assets, seconds, `tuned` (the exporter's heap settings) or `default` (V8's).
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { tuneHeap } from '../../exporter/src/heap.js';
import { TwinEngine } from '../../exporter/src/twin/engine.js';
import { testConfig } from '../../exporter/test/twin/fixtures.js';
import { fleetPoints, idRange } from './fleet-points.js';

const [assetsArg, secondsArg, mode] = process.argv.slice(2);
const assets = Number(assetsArg);
if (mode === 'tuned') tuneHeap();

const engine = new TwinEngine(
  testConfig({ state: { maxAssets: assets, historyLength: 32, retentionMs: 86_400_000 } }),
);
const t0 = Date.now() - 17_000;
for (let round = 0; round < 17; round++) {
  for (let from = 0; from < assets; from += 2_000) {
    const t = t0 + round * 1_000;
    engine.apply(fleetPoints(idRange(from, Math.min(assets, from + 2_000)), t, round), t);
  }
}

const pauses: number[] = [];
let majors = 0;
let measuring = true;
new PerformanceObserver((list) => {
  if (!measuring) return;
  for (const entry of list.getEntries()) {
    const { detail } = entry as { detail?: { kind?: number } };
    if (detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) pauses.push(entry.duration);
    if (detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
  }
}).observe({ entryTypes: ['gc'] });
const end = performance.now() + Number(secondsArg) * 1000;
let applied = 0;
while (performance.now() < end) {
  const ids = Array.from({ length: 150 }, () => Math.floor(Math.random() * assets));
  const t = Date.now();
  const value = Math.round(Math.random() * 1000) / 10;
  applied += 900 - engine.apply(fleetPoints(ids, t, value), t);
}
// The observer reports after the loop lets go of the event loop.
await new Promise((resolve) => setTimeout(resolve, 50));
measuring = false;
pauses.sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({
    applied,
    youngCollections: pauses.length,
    p50: pauses[Math.floor(pauses.length / 2)] ?? 0,
    max: pauses.at(-1) ?? 0,
    fullCollections: majors,
  })}\n`,
);
