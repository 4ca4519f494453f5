/**
 * Benchmark of the twin state: heap bytes per asset, `apply` throughput, `evaluate` time, the
 * time to render /metrics, and the checkpoint encoding (size, encode and restore times) at 10k,
 * 100k and 1M assets (3 properties each, physical and twin).
 * Run with `--expose-gc` for exact heap figures. The /metrics time must stay flat: a scrape
 * never walks the assets.
 */
import { Registry } from 'prom-client';
import type { TwinPoint } from '../../exporter/src/model.js';
import { registerTwinMetrics } from '../../exporter/src/metrics/sli.js';
import { ByteWriter } from '../../exporter/src/bytes.js';
import { encodeAsset, restoreEncodedAsset } from '../../exporter/src/twin/codec.js';
import { TwinEngine } from '../../exporter/src/twin/engine.js';
import { testConfig } from '../../exporter/test/twin/fixtures.js';
import { finishRestore, restoreAggregates } from '../../exporter/src/twin/snapshot.js';
import { printedFigure } from './targets.js';

const classes = ['pump', 'valve', 'compressor', 'fan', 'chiller', 'boiler', 'meter', 'motor'];
const properties = ['flow', 'pressure', 'temperature'];
const sites = Array.from({ length: 20 }, (_, i) => `site-${i}`);
/** Points per apply call, like one OTLP request. */
const batchSize = 1_200;

const gc = (globalThis as { gc?: () => void }).gc;

/** Heap and typed arrays (the history lives in typed arrays, outside the heap). */
function heapUsed(): number {
  gc?.();
  gc?.();
  const { heapUsed: heap, arrayBuffers } = process.memoryUsage();
  return heap + arrayBuffers;
}

/** One round of points for assets [from, to): each property's physical and twin value. */
function batch(from: number, to: number, round: number, t: number): TwinPoint[] {
  const points: TwinPoint[] = [];
  for (let i = from; i < to; i++) {
    const assetId = `asset-${i}`;
    const assetClass = classes[i % classes.length] as string;
    const site = sites[i % sites.length];
    for (let p = 0; p < properties.length; p++) {
      const property = properties[p] as string;
      const value = ((i * 7 + p * 13 + round) % 1000) / 10;
      for (const source of ['physical', 'twin'] as const) {
        points.push({
          assetId,
          assetClass,
          site,
          source,
          property,
          value: source === 'physical' ? value : value + 0.1,
          sourceTimeMs: source === 'physical' ? t - 250 : t - 100,
          model: undefined,
          targetTimeMs: undefined,
          desiredVersion: undefined,
          reportedVersion: undefined,
        });
      }
    }
  }
  return points;
}

/** Applies one round to every asset; returns the seconds spent inside `apply`. */
function applyRound(engine: TwinEngine, assets: number, round: number, t: number): number {
  const perBatch = batchSize / (properties.length * 2);
  let seconds = 0;
  for (let from = 0; from < assets; from += perBatch) {
    const points = batch(from, Math.min(assets, from + perBatch), round, t);
    const start = performance.now();
    engine.apply(points, t);
    seconds += (performance.now() - start) / 1000;
  }
  return seconds;
}

async function renderMs(registry: Registry): Promise<{ ms: number; lines: number }> {
  let text = await registry.metrics(); // warm up
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    text = await registry.metrics();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { ms: times[2] as number, lines: text.split('\n').length };
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** What one size measured, for the targets. */
interface SizeFigures {
  bytesPerAsset: number;
  evaluateMs: number;
  renderMs: number;
}

async function benchSize(
  assets: number,
  steadyRounds: number,
  historyLength = 32,
  figures?: SizeFigures[],
): Promise<string[]> {
  const config = testConfig({
    // The exporter's defaults where they matter for size: history 32, 64 properties allowed.
    state: {
      maxAssets: assets,
      historyLength,
      maxPropertiesPerAsset: 64,
      retentionMs: 86_400_000,
    },
  });
  const t0 = Date.now();
  const before = heapUsed();
  const engine = new TwinEngine(config);
  const applySeconds = applyRound(engine, assets, 0, t0);
  const filled = heapUsed();
  const points = assets * properties.length * 2;

  const evaluateStart = performance.now();
  engine.evaluate(t0 + 1_000);
  const evaluateMs = performance.now() - evaluateStart;

  const registry = new Registry();
  registerTwinMetrics(registry, engine);
  const render = await renderMs(registry);

  figures?.push({ bytesPerAsset: (filled - before) / assets, evaluateMs, renderMs: render.ms });
  const lines = [
    `twin state ${fmt(assets)} assets × ${properties.length} properties (physical + twin)${historyLength === 0 ? ', history off' : ''}: ` +
      `${fmt((filled - before) / assets)} B/asset (heap and typed arrays) after the first value of each; ` +
      `apply ${fmt(points / applySeconds / 1e6, 2)} M points/s; evaluate ${fmt(evaluateMs, 1)} ms; ` +
      `/metrics ${fmt(render.ms, 2)} ms (${render.lines} lines)`,
  ];

  if (steadyRounds > 0) {
    let seconds = 0;
    for (let round = 1; round <= steadyRounds; round++) {
      seconds += applyRound(engine, assets, round, t0 + round * 1_000);
    }
    const steady = heapUsed();
    lines.push(
      `  after ${steadyRounds} more rounds (history rings of 32 full): ` +
        `${fmt((steady - before) / assets)} B/asset (heap and typed arrays); ` +
        `apply ${fmt((points * steadyRounds) / seconds / 1e6, 2)} M points/s (updates)`,
    );
  }

  // What a checkpoint that rewrites every asset encodes, and what a restart decodes.
  const encodeStart = performance.now();
  const out = new ByteWriter(1 << 20);
  const ends: number[] = [];
  for (const asset of engine.heldAssets()) {
    encodeAsset(out, asset, engine.historyStore);
    ends.push(out.length);
  }
  const encodeMs = performance.now() - encodeStart;
  const bytes = out.view();
  const restoreStart = performance.now();
  const aggregates = engine.aggregatesSnapshot();
  const state = restoreAggregates(aggregates, config);
  ends.forEach((end, i) => restoreEncodedAsset(state, bytes.subarray(ends[i - 1] ?? 0, end)));
  finishRestore(state, aggregates);
  new TwinEngine(config, state).settleRestored(0);
  lines.push(
    `  checkpoint encoding: ${fmt(out.length / assets)} B/asset (${fmt(out.length / 2 ** 20)} MiB), ` +
      `encode ${fmt(encodeMs)} ms, restore ${fmt(performance.now() - restoreStart)} ms`,
  );
  return lines;
}

export async function benchState(): Promise<string[]> {
  const lines = gc ? [] : ['(no --expose-gc: heap figures are rough heapUsed deltas)'];
  const small: SizeFigures[] = [];
  const large: SizeFigures[] = [];
  const off: SizeFigures[] = [];
  lines.push(...(await benchSize(10_000, 16, 32, small)));
  lines.push(...(await benchSize(100_000, 16)));
  lines.push(...(await benchSize(1_000_000, 0, 32, large)));
  lines.push(...(await benchSize(1_000_000, 0, 0, off)));
  const evaluationIntervalMs = testConfig().sli.evaluationIntervalMs;
  lines.push(
    printedFigure({
      target: '/metrics render time, 1M assets ÷ 10k assets (flat in fleet size)',
      measured: large[0]!.renderMs / small[0]!.renderMs,
      unit: '×',
      goal: 2,
      better: 'lower',
    }),
    printedFigure({
      target: `evaluation of 1M assets, share of one core per ${evaluationIntervalMs / 1000} s interval`,
      measured: (100 * off[0]!.evaluateMs) / evaluationIntervalMs,
      unit: '%',
      goal: 20,
      better: 'lower',
    }),
    printedFigure({
      target: 'memory per asset, 1M assets × 3 properties, history off',
      measured: off[0]!.bytesPerAsset,
      unit: 'B',
      goal: 1024,
      better: 'lower',
    }),
  );
  return lines;
}
