import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { openMetrics, wantsOpenMetrics } from './openmetrics.js';

/** A registry of the Prometheus type, as the exporter's, with a histogram that keeps exemplars. */
function registryWithExemplars() {
  const registry = new Registry();
  const points = new Counter({
    name: 'twin_points_total',
    help: 'Points accepted.',
    labelNames: ['asset_class'],
    registers: [registry],
  });
  const assets = new Gauge({ name: 'twin_assets', help: 'Assets known.', registers: [registry] });
  // prom-client refuses exemplars on a Prometheus-type registry at construction only.
  // Typed by its own label names, prom-client would refuse the exemplar's.
  const latency = new Histogram<string>({
    name: 'twin_command_ack_seconds',
    help: 'Dispatch to first ack.',
    labelNames: ['asset_class'],
    buckets: [0.1, 1],
    enableExemplars: true,
    registers: [],
  });
  registry.registerMetric(latency);
  points.inc({ asset_class: 'pump' }, 3);
  assets.set(1);
  latency.observe({
    labels: { asset_class: 'pump' },
    value: 0.5,
    exemplarLabels: { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' },
  });
  return registry;
}

/** The samples of a text exposition, without comments or exemplars: what Prometheus stores. */
const series = (text: string): string[] =>
  text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split(' # ')[0]!);

describe('OpenMetrics exposition', () => {
  it('names counter families without _total, keeps exemplars, and ends with # EOF', async () => {
    const text = await openMetrics(registryWithExemplars());
    expect(text).toMatch(/^# HELP twin_points Points accepted\.\n# TYPE twin_points counter\n/);
    expect(text).toContain('\ntwin_points_total{asset_class="pump"} 3\n');
    expect(text).toContain('\n# TYPE twin_assets gauge\ntwin_assets 1\n');
    expect(text).toMatch(
      /^twin_command_ack_seconds_bucket\{le="1",asset_class="pump"\} 1 # \{trace_id="4bf92f3577b34da6a3ce929d0e0e4736",span_id="00f067aa0ba902b7"\} 0\.5 \d+(\.\d+)?$/m,
    );
    expect(text).toMatch(/^twin_command_ack_seconds_bucket\{le="0\.1",asset_class="pump"\} 0$/m);
    expect(text.endsWith('\n# EOF\n')).toBe(true);
  });

  it('leaves the registry as it was: Prometheus text after it keeps _total and has no exemplars', async () => {
    const registry = registryWithExemplars();
    const before = await registry.metrics();
    const open = await openMetrics(registry);
    const after = await registry.metrics();
    expect(after).toBe(before);
    expect(after).toMatch(/^# TYPE twin_points_total counter$/m);
    expect(after).not.toContain('trace_id');
    // Prometheus stores the same series whichever format it negotiated.
    expect(series(open)).toEqual(series(after));
  });

  it('negotiates by the Accept header', () => {
    expect(
      wantsOpenMetrics('application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5'),
    ).toBe(true);
    expect(wantsOpenMetrics('text/plain')).toBe(false);
    expect(wantsOpenMetrics(undefined)).toBe(false);
  });
});
