import { Registry, type Metric, type OpenMetricsContentType } from 'prom-client';

/** What prom-client's registry reads of a metric to render it. */
interface Renderable {
  name: string;
  help: string;
  type: string;
  aggregator: string;
  get(): Promise<{ name: string; values: unknown[] }>;
  /** Histograms: their samples with the bucket labels flat, as the text formats want them. */
  getForPromString?(): Promise<{ name: string; values: unknown[] }>;
}

/**
 * The registry in OpenMetrics 1.0 text, exemplars included. prom-client renders exemplars only
 * from a registry of the OpenMetrics type, and it renames every counter it renders there on the
 * metric object itself (stripping `_total`), which would leave the Prometheus-format scrapes that
 * follow without the suffix. So each scrape renders through a fresh OpenMetrics registry of views:
 * a view is renamed, the metric is not. The series are the same in both formats: every counter
 * here ends in `_total`, which OpenMetrics puts back on its samples and drops from the family name.
 */
export async function openMetrics(registry: Registry): Promise<string> {
  const open = new Registry<OpenMetricsContentType>();
  open.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  for (const metric of registry.getMetricsAsArray() as unknown as Renderable[]) {
    const view = {
      name: metric.name,
      help: metric.help,
      type: metric.type,
      aggregator: metric.aggregator,
      get: async () => ({
        ...(await (metric.getForPromString ? metric.getForPromString() : metric.get())),
        name: view.name,
      }),
    };
    open.registerMetric(view as unknown as Metric);
  }
  return open.metrics();
}

export const openMetricsContentType = Registry.OPENMETRICS_CONTENT_TYPE;

/** True when the scraper asks for OpenMetrics (Prometheus does when it may). */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  return (accept ?? '').includes('application/openmetrics-text');
}
