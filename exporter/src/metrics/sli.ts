/**
 * The SLI metrics, exposed with prom-client. Values are read from the engine's aggregates at
 * scrape time: the engine owns the counts (and restores them from snapshots), the registry only
 * formats them. A scrape walks classes and model series, never assets, so its cost does not grow
 * with the fleet. Per-asset series exist only when switched on, for at most perAsset.maxAssets.
 */
import type { Metric, Registry, RegistryContentType } from 'prom-client';
import type { MetricsConfig } from '../config/types.js';
import { sources } from '../model.js';
import type { TwinEngine } from '../twin/engine.js';
import type { ClassState, PredictionSeries, SiteGauges, TrackedAsset } from '../twin/state.js';
import type { Exemplar, SyncLatencyExemplars } from './exemplars.js';
import { cumulativeBuckets, type HistogramData } from '../sli/histogram.js';
import { classifications } from '../sli/prediction.js';

type Labels = Record<string, string | number>;

interface Sample {
  labels: Labels;
  value: number;
  /** Histograms: the `_bucket`, `_sum` and `_count` series. */
  metricName?: string;
  /** Buckets: the trace of an observation there (rendered in OpenMetrics only). */
  exemplar?: Exemplar;
}

type MetricType = 'counter' | 'gauge' | 'histogram';

/**
 * A metric whose samples are computed when scraped. It has what prom-client's Registry uses
 * (name, help, type, aggregator, get, reset) for both the Prometheus text and the OpenMetrics
 * output; prom-client's own Histogram could not expose bucket counts held elsewhere.
 */
class ReadThroughMetric {
  readonly aggregator = 'sum';

  constructor(
    /** Mutable: in OpenMetrics mode the registry strips a counter's `_total` (and adds it back). */
    public name: string,
    readonly help: string,
    readonly type: MetricType,
    private readonly read: () => Sample[],
  ) {}

  async get() {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: this.read(),
    };
  }

  /** The engine's counts are not the registry's to reset. */
  reset(): void {}
}

/**
 * The cumulative `_bucket` series (one per bound and `+Inf`), then `_sum` and `_count`;
 * `exemplarOf` gives a bucket's exemplar by its index.
 */
export function histogramSamples(
  name: string,
  labels: Labels,
  histogram: HistogramData,
  exemplarOf?: (bucket: number) => Exemplar | undefined,
): Sample[] {
  const samples: Sample[] = cumulativeBuckets(histogram).map(({ le, count }, bucket) => {
    const exemplar = exemplarOf?.(bucket);
    return {
      metricName: `${name}_bucket`,
      labels: { ...labels, le: Number.isFinite(le) ? le : '+Inf' },
      value: count,
      ...(exemplar ? { exemplar } : {}),
    };
  });
  samples.push(
    { metricName: `${name}_sum`, labels, value: histogram.sum },
    { metricName: `${name}_count`, labels, value: histogram.count },
  );
  return samples;
}

/**
 * Registers every twin SLI metric on `registry`, reading `engine` at each scrape. `config` holds
 * the per-asset switch (the engine's own configuration unless given); `exemplars`, the traces of
 * recent ingest requests, shown on the sync-latency buckets.
 */
export function registerTwinMetrics(
  registry: Registry<RegistryContentType>,
  engine: TwinEngine,
  config: { metrics: MetricsConfig } = engine.config,
  exemplars?: SyncLatencyExemplars,
): void {
  const agg = engine.aggregates;
  const add = (name: string, help: string, type: MetricType, read: () => Sample[]): void => {
    registry.registerMetric(new ReadThroughMetric(name, help, type, read) as unknown as Metric);
  };

  // Per class and source, for the sources a class has had points from.
  const perSource = (value: (cls: ClassState, i: number) => Sample[]) => (): Sample[] =>
    [...agg.classes.values()].flatMap((cls) =>
      sources.flatMap((source, i) => ((cls.points[i] ?? 0) > 0 ? value(cls, i) : [])),
    );
  const classSource = (cls: ClassState, i: number): Labels => ({
    asset_class: cls.name,
    source: sources[i] as string,
  });
  const perClass = (value: (cls: ClassState) => number) => (): Sample[] =>
    [...agg.classes.values()].map((cls) => ({
      labels: { asset_class: cls.name },
      value: value(cls),
    }));

  add(
    'twin_points_total',
    'Points applied to the twin state, by asset class and source.',
    'counter',
    perSource((cls, i) => [{ labels: classSource(cls, i), value: cls.points[i] ?? 0 }]),
  );
  add(
    'twin_sync_latency_seconds',
    'Sync latency: exporter receipt time minus source observation time (negative clamped to 0).',
    'histogram',
    perSource((cls, i) =>
      histogramSamples(
        'twin_sync_latency_seconds',
        classSource(cls, i),
        cls.syncLatency[i] as HistogramData,
        exemplars && ((bucket) => exemplars.of(cls.name, i, bucket)),
      ),
    ),
  );
  add(
    'twin_clock_skew_points_total',
    'Points whose source time was after their receipt time (source clock ahead).',
    'counter',
    perSource((cls, i) => [{ labels: classSource(cls, i), value: cls.clockSkewPoints[i] ?? 0 }]),
  );

  add(
    'twin_assets',
    'Assets held in the twin state (dark ones too, until retired).',
    'gauge',
    perClass((c) => c.assets),
  );
  add(
    'twin_dark_assets',
    'Assets silent for longer than the retention: their state was dropped, they count as stale until they report again or are retired.',
    'gauge',
    perClass((c) => c.dark),
  );
  // Per class and site, as of the last evaluation: fleet views filtered by site.
  const perSite = (value: (gauges: SiteGauges) => number) => (): Sample[] =>
    [...agg.siteGauges.values()].map((gauges) => ({
      labels: { asset_class: gauges.assetClass, site: gauges.site },
      value: value(gauges),
    }));
  add(
    'twin_site_assets',
    'Assets held in the twin state, by class and site, at the last evaluation (site "unknown": none reported).',
    'gauge',
    perSite((g) => g.assets),
  );
  add(
    'twin_site_stale_assets',
    'Stale assets by class and site, at the last evaluation.',
    'gauge',
    perSite((g) => g.stale),
  );
  add(
    'twin_site_diverged_assets',
    'Diverged assets by class and site, at the last evaluation.',
    'gauge',
    perSite((g) => g.diverged),
  );
  add(
    'twin_stale_assets',
    'Assets whose newest physical point was older than the staleness limit at the last evaluation.',
    'gauge',
    perClass((c) => c.stale),
  );
  add(
    'twin_freshness_checks_total',
    'Freshness checks: one per asset per evaluation.',
    'counter',
    perClass((c) => c.freshnessChecks),
  );
  add(
    'twin_freshness_checks_good_total',
    'Freshness checks that found the asset fresh.',
    'counter',
    perClass((c) => c.freshnessGood),
  );
  add(
    'twin_diverged_assets',
    'Assets whose twin differed from the physical state beyond tolerance for longer than the grace period, at the last evaluation.',
    'gauge',
    perClass((c) => c.diverged),
  );
  add(
    'twin_divergence_checks_total',
    'Divergence checks: one per asset with comparable properties per evaluation.',
    'counter',
    perClass((c) => c.divergenceChecks),
  );
  add(
    'twin_divergence_checks_good_total',
    'Divergence checks that found the asset not diverged.',
    'counter',
    perClass((c) => c.divergenceGood),
  );

  const series = () =>
    [...agg.models.values()].flatMap((versions) =>
      [...versions.values()].flatMap((model) => [...model.series.values()]),
    );
  const seriesLabels = (s: PredictionSeries): Labels => ({
    model: s.model.name,
    model_version: s.model.version,
    property: s.property,
  });
  const perSeries =
    (kind: 'regression' | 'classification' | 'any', value: (s: PredictionSeries) => number) =>
    (): Sample[] =>
      series()
        .filter((s) => kind === 'any' || s.rule.kind === kind)
        .map((s) => ({ labels: seriesLabels(s), value: value(s) }));
  add(
    'twin_prediction_scored_total',
    'Predictions scored against the physical value of their target time.',
    'counter',
    perSeries('any', (s) => s.scored),
  );
  add(
    'twin_prediction_squared_error_total',
    'Sum of squared errors (predicted − actual) of scored regression predictions.',
    'counter',
    perSeries('regression', (s) => s.squaredError),
  );
  add(
    'twin_prediction_absolute_error_total',
    'Sum of absolute errors of scored regression predictions.',
    'counter',
    perSeries('regression', (s) => s.absoluteError),
  );
  add(
    'twin_prediction_within_tolerance_total',
    'Scored predictions that were good: regression within tolerance, classification correct.',
    'counter',
    perSeries('any', (s) => s.good),
  );
  add(
    'twin_prediction_classifications_total',
    'Scored classification predictions by confusion matrix cell.',
    'counter',
    () =>
      series()
        .filter((s) => s.rule.kind === 'classification')
        .flatMap((s) =>
          classifications.map((result) => ({
            labels: { ...seriesLabels(s), result },
            value: s.classifications[result],
          })),
        ),
  );

  const modelVersions = () =>
    [...agg.models.values()].flatMap((versions) => [...versions.values()]);
  add(
    'twin_prediction_expired_total',
    'Predictions never matched by a physical value within the expiry after their target time.',
    'counter',
    () =>
      modelVersions().map((m) => ({
        labels: { model: m.name, model_version: m.version },
        value: m.expired,
      })),
  );
  add(
    'twin_prediction_dropped_total',
    'Pending predictions dropped unscored: over maxPendingPredictions, or their asset evicted.',
    'counter',
    () =>
      modelVersions().map((m) => ({
        labels: { model: m.name, model_version: m.version },
        value: m.dropped,
      })),
  );
  add(
    'twin_model_predictions_total',
    'Predictions received, by model version and whether that version is vetted (coverage).',
    'counter',
    () =>
      modelVersions().map((m) => ({
        labels: { model: m.name, model_version: m.version, vetted: m.vetted ? 'true' : 'false' },
        value: m.predictions,
      })),
  );

  add(
    'twin_convergence_seconds',
    'Time from a new desired version to the first reported version at or above it.',
    'histogram',
    () =>
      [...agg.classes.values()].flatMap((cls) =>
        histogramSamples('twin_convergence_seconds', { asset_class: cls.name }, cls.convergence),
      ),
  );
  add(
    'twin_unconverged_changes',
    'Desired versions not yet reported.',
    'gauge',
    perClass((c) => c.unconverged),
  );
  add(
    'twin_unconverged_oldest_age_seconds',
    'Age of the oldest unconverged change, at the last evaluation.',
    'gauge',
    perClass((c) => c.oldestUnconvergedAgeSeconds),
  );

  add(
    'twin_state_evictions_total',
    'Asset state dropped: after the retention (the asset stays, dark), at the cap (the asset goes), retired by an operator, or with its undeclared class evicted from the quarantine.',
    'counter',
    () => [
      { labels: { reason: 'retention' }, value: agg.evictions.retention },
      { labels: { reason: 'cap' }, value: agg.evictions.cap },
      { labels: { reason: 'retired' }, value: agg.evictions.retired },
      { labels: { reason: 'quarantine' }, value: agg.evictions.quarantine },
    ],
  );
  // Undeclared names: a bounded quarantine that evicts its least recently seen name when full.
  add(
    'twin_quarantine_classes',
    'Undeclared asset classes held in the quarantine.',
    'gauge',
    () => [{ labels: {}, value: agg.quarantinedClasses }],
  );
  add(
    'twin_quarantine_properties',
    'Undeclared properties held in the quarantine, over all asset classes.',
    'gauge',
    () => [{ labels: {}, value: agg.quarantinedProperties }],
  );
  add(
    'twin_quarantine_evictions_total',
    'Undeclared names evicted from the full quarantine to make room for a new one: a class with its assets, or a property with its state on every asset.',
    'counter',
    () => [
      { labels: { kind: 'class' }, value: agg.quarantineEvictions.class },
      { labels: { kind: 'property' }, value: agg.quarantineEvictions.property },
    ],
  );
  add('twin_state_rejected_points_total', 'Points the twin state refused.', 'counter', () => [
    { labels: { reason: 'over_limit' }, value: agg.rejectedOverLimit },
  ]);

  if (config.metrics.perAsset.enabled) {
    const tracked = (value: (t: TrackedAsset) => number) => (): Sample[] =>
      [...agg.tracked.values()].map((t) => ({
        labels: { asset_id: t.asset.id, asset_class: t.asset.cls.name },
        value: value(t),
      }));
    add(
      'twin_asset_sync_latency_seconds_last',
      'Sync latency of the asset’s latest point (per-asset series, capped).',
      'gauge',
      tracked((t) => t.lastSyncLatencySeconds),
    );
    add(
      'twin_asset_diverged',
      'Whether the asset was diverged at the last evaluation, 1 or 0 (per-asset series, capped).',
      'gauge',
      tracked((t) => (t.asset.diverged ? 1 : 0)),
    );
  }
}
