/**
 * Prometheus durations with one unit (`5m`, `1h`, `30d`), as SLO specs write them. Windows become
 * parts of recording rule names (`twinops_slo:sli_error:ratio_rate1h`), so formatting is
 * canonical: the largest unit that divides the duration exactly.
 */
const units = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
] as const;

export const durationPattern = '^[1-9][0-9]*(ms|s|m|h|d|w)$';

export function parseDuration(text: string): number {
  const match = /^([1-9][0-9]*)(ms|s|m|h|d|w)$/.exec(text);
  if (!match) throw new Error(`bad duration "${text}": use e.g. 30s, 5m, 1h, 30d`);
  const unit = match[2] === 'w' ? 7 * 86_400_000 : units.find(([u]) => u === match[2])![1];
  return Number(match[1]) * unit;
}

export function formatDuration(ms: number): string {
  if (!Number.isInteger(ms) || ms <= 0) throw new Error(`cannot format duration ${ms} ms`);
  const [unit, size] = units.find(([, size]) => ms % size === 0)!;
  return `${ms / size}${unit}`;
}

/** A duration divided by `factor` (the test profile's time compression); must stay whole ms. */
export function scaleDuration(text: string, factor: number): string {
  const ms = parseDuration(text) / factor;
  if (!Number.isInteger(ms)) {
    throw new Error(`${text} divided by ${factor} is not a whole number of milliseconds`);
  }
  return formatDuration(ms);
}
