/**
 * Young collections under steady ingest (`npm run bench -- heap`): an engine of 20k assets with
 * full history takes 900-point batches for 10 s, with the exporter's heap settings
 * (exporter/src/heap.ts) and with V8's defaults, alternately, each in a process of its own.
 * V8's pretenuring decision depends on the run, so each is run twice.
 */
import { spawnSync } from 'node:child_process';
import { repoRoot } from '../../tools/paths.js';

interface SteadyApply {
  applied: number;
  youngCollections: number;
  p50: number;
  max: number;
  fullCollections: number;
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function run(mode: 'tuned' | 'default', assets: number, seconds: number): SteadyApply {
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'test/bench/steady-apply.ts', String(assets), String(seconds), mode],
    { cwd: repoRoot, encoding: 'utf8' },
  );
  if (child.status !== 0) throw new Error(`heap benchmark (${mode}) failed:\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as SteadyApply;
}

export function heapBench(): string[] {
  const assets = 20_000;
  const seconds = 10;
  const lines = [
    `${fmt(assets)} assets × 3 properties with history of 32 full, 900-point batches to random assets for ${seconds} s:`,
  ];
  for (const mode of ['tuned', 'default', 'tuned', 'default'] as const) {
    const r = run(mode, assets, seconds);
    const name = mode === 'tuned' ? "exporter's settings (no pretenuring)" : "V8's defaults";
    lines.push(
      `  ${name}: ${fmt(r.applied / seconds)} points/s; young collections ${fmt(r.youngCollections)}, p50 ${fmt(r.p50, 1)} ms, max ${fmt(r.max, 1)} ms; full collections ${fmt(r.fullCollections)}`,
    );
  }
  return lines;
}
