import { describe, expect, it } from 'vitest';
import { toOpenMetrics, wantsOpenMetrics } from './openmetrics.js';

describe('OpenMetrics exposition', () => {
  it('names counter families without _total, keeps samples, and ends with # EOF', () => {
    const text = [
      '# HELP twin_points_total Points accepted.',
      '# TYPE twin_points_total counter',
      'twin_points_total{asset_class="pump"} 3',
      '',
      '# HELP twin_assets Assets known.',
      '# TYPE twin_assets gauge',
      'twin_assets{asset_class="pump"} 1',
      '',
      '# HELP twin_sync_latency_seconds Latency.',
      '# TYPE twin_sync_latency_seconds histogram',
      'twin_sync_latency_seconds_bucket{le="+Inf"} 3',
      'twin_sync_latency_seconds_sum 0.5',
      'twin_sync_latency_seconds_count 3',
      '',
    ].join('\n');
    expect(toOpenMetrics(text)).toBe(
      [
        '# HELP twin_points Points accepted.',
        '# TYPE twin_points counter',
        'twin_points_total{asset_class="pump"} 3',
        '# HELP twin_assets Assets known.',
        '# TYPE twin_assets gauge',
        'twin_assets{asset_class="pump"} 1',
        '# HELP twin_sync_latency_seconds Latency.',
        '# TYPE twin_sync_latency_seconds histogram',
        'twin_sync_latency_seconds_bucket{le="+Inf"} 3',
        'twin_sync_latency_seconds_sum 0.5',
        'twin_sync_latency_seconds_count 3',
        '# EOF',
        '',
      ].join('\n'),
    );
  });

  it('negotiates by the Accept header', () => {
    expect(
      wantsOpenMetrics('application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5'),
    ).toBe(true);
    expect(wantsOpenMetrics('text/plain')).toBe(false);
    expect(wantsOpenMetrics(undefined)).toBe(false);
  });
});
