const unitMs: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `500ms`, `30s`, `5m`, `24h`, `7d` → milliseconds. The schema has already checked the shape. */
export function parseDuration(text: string): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)$/.exec(text);
  if (!match) throw new Error(`"${text}" is not a duration (e.g. 500ms, 30s, 5m, 24h)`);
  return Number(match[1]) * (unitMs[match[2] ?? 'ms'] ?? 1);
}
