/**
 * Prometheus text exposition → OpenMetrics 1.0 text. prom-client can render OpenMetrics itself,
 * but it does so by renaming counters on the shared metric objects (stripping `_total`), which
 * leaves later Prometheus-format scrapes without the suffix; converting our own text keeps one
 * registry in one format. Every counter here already ends in `_total`, as OpenMetrics requires of
 * its samples; only the counter's family name (in HELP and TYPE) drops the suffix.
 */
export function toOpenMetrics(prometheusText: string): string {
  const counterFamilies = new Set<string>();
  for (const match of prometheusText.matchAll(/^# TYPE (\S+) counter$/gm))
    counterFamilies.add(match[1]!);
  const lines = prometheusText.split('\n').filter((line) => line !== '');
  const converted = lines.map((line) => {
    const meta = /^# (HELP|TYPE) (\S+)(.*)$/.exec(line);
    if (meta && counterFamilies.has(meta[2]!) && meta[2]!.endsWith('_total')) {
      return `# ${meta[1]} ${meta[2]!.slice(0, -'_total'.length)}${meta[3]}`;
    }
    return line;
  });
  return `${converted.join('\n')}\n# EOF\n`;
}

export const openMetricsContentType = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** True when the scraper asks for OpenMetrics (Prometheus does when it may). */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  return (accept ?? '').includes('application/openmetrics-text');
}
