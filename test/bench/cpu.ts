import { readFileSync } from 'node:fs';

const clockTicksPerSecond = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
}

/** Node/V8 flags for the exporter processes a benchmark starts (TWINOPS_BENCH_NODE_FLAGS, e.g. `--cpu-prof --cpu-prof-dir=DIR`). */
export const benchNodeFlags = (): string[] =>
  (process.env.TWINOPS_BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
