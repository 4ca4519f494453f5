/**
 * The one duration grammar of twinops: Prometheus's own (`model.ParseDuration`), so a duration
 * in the exporter's config, an SLO spec or an alert rule reads the same everywhere. Whole numbers
 * of units from the largest down, each at most once: `500ms`, `30s`, `5m`, `1h30m`, `7d`, `2w`,
 * `1y`, or a bare `0`.
 */
const units = [
  ['y', 365 * 86_400_000],
  ['w', 7 * 86_400_000],
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
] as const;

/** The grammar as a JSON Schema pattern; the exporter's and the alerts' schemas carry exactly it. */
export const durationPattern =
  '^(0|(?=[0-9])([0-9]+y)?([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?)$';

/** A duration of zero (`0`, `0s`, `0h0m`): where only a positive one makes sense, schemas refuse it. */
export const zeroDurationPattern = '^(0|(0+(y|w|d|h|m|s|ms))+)$';

/** What an error message shows as examples of the grammar. */
export const durationExamples = '500ms, 30s, 5m, 1h30m or 30d';

const grammar = new RegExp(durationPattern);

/** A duration → milliseconds; anything else is refused with the text it was given. */
export function parseDuration(text: string): number {
  const match = grammar.exec(text);
  if (!match) throw new Error(`"${text}" is not a duration (such as ${durationExamples})`);
  // Groups 2… hold the units in the order of `units`; group 1 is the whole.
  return units.reduce((ms, [, size], i) => {
    const part = match[i + 2];
    return part ? ms + Number.parseInt(part, 10) * size : ms;
  }, 0);
}

/**
 * Milliseconds → the canonical text: the largest unit that divides it exactly (`90m`, `36h`),
 * as recording rule names carry windows (`twinops_slo:sli_error:ratio_rate1h`). Years and weeks
 * are left to those who write them: a formatted 30d stays `30d`.
 */
export function formatDuration(ms: number): string {
  if (!Number.isInteger(ms) || ms <= 0) throw new Error(`cannot format duration ${ms} ms`);
  const [unit, size] = units.slice(2).find(([, size]) => ms % size === 0)!;
  return `${ms / size}${unit}`;
}

/** A duration divided by `factor` (the alerts' test profile compresses time); stays whole ms. */
export function scaleDuration(text: string, factor: number): string {
  const ms = parseDuration(text) / factor;
  if (!Number.isInteger(ms)) {
    throw new Error(`${text} divided by ${factor} is not a whole number of milliseconds`);
  }
  return formatDuration(ms);
}
