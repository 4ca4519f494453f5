/**
 * Debug: forensics during an incident. Ingest rates and rejects by reason, Kafka consumer lag,
 * queue depth, per-class state history, per-asset series (when the exporter's
 * `metrics.perAsset` is on) linked to the asset pages of the twinops app, prediction error by
 * model and version, and the exporter process' own health. Alerts link here with
 * `var-instance`, `var-topic` and `var-reason`.
 */
import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import {
  Grid,
  appUrl,
  assetClassVariable,
  assetIdVariable,
  assetPageLink,
  baseDashboard,
  datasourceVariable,
  finalize,
  instanceVariable,
  limitThresholds,
  modelVariable,
  modelVersionVariable,
  notBySite,
  objectiveThresholds,
  panelLink,
  query,
  reasonVariable,
  runbookLink,
  siteReasons,
  siteVariable,
  thresholds,
  topicVariable,
} from './common.js';
import { exporterStarts, modelVersionRollouts } from './oncall.js';
import {
  mergedColumns,
  stat,
  stateTimeline,
  table,
  timeseries,
  zeroOne,
  type PanelOptions,
} from './panels.js';
import type { Specs } from './specs.js';

export function debug(specs: Specs) {
  const grid = new Grid();
  const job = `job="${specs.exporterJob}",instance=~"$instance"`;
  const cls = 'asset_class=~"$asset_class"';
  // The fleet gauges also carry the site.
  const fleet = 'asset_class=~"$asset_class",site=~"$site"';
  const mv = 'model=~"$model",model_version=~"$model_version"';
  const accuracy = specs.slos.find((s) => s.name === 'prediction-accuracy')!;
  const exporterSite = notBySite(siteReasons.exporter);
  const sliSite = notBySite(siteReasons.sli);
  const predictionSite = notBySite(siteReasons.predictions);
  const perAssetSite = notBySite(siteReasons.perAsset);

  const d = baseDashboard('debug', specs)
    .description(
      'Forensics: ingest, Kafka, queues, per-class and per-asset state history, prediction error by model version, and the exporter process. Per-asset panels need the exporter’s metrics.perAsset switched on.',
    )
    .time({ from: 'now-1h', to: 'now' })
    .refresh('30s')
    .variables([
      datasourceVariable(),
      instanceVariable(specs),
      assetClassVariable(),
      assetIdVariable(),
      modelVariable(),
      modelVersionVariable(),
      reasonVariable(),
      topicVariable(),
      siteVariable(),
    ])
    .annotations([exporterStarts(specs), modelVersionRollouts()]);

  d.withRow(new RowBuilder('Ingest').gridPos(grid.row()));
  d.withPanel(
    timeseries({
      title: 'Ingest rate by transport and signal',
      description: `Data points and log records accepted, per second. ${exporterSite}`,
      targets: [
        query(
          `sum by (transport, signal) (rate(twin_exporter_ingest_points_total{${job}}[$__rate_interval]))`,
          { legend: '{{transport}} {{signal}}' },
        ),
      ],
      unit: 'cps',
      min: 0,
      gridPos: grid.place(8, 8),
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Rejected points by reason',
      description: `Points breaking the telemetry conventions, as a share of all points received. The ingest-rejects alert opens a ticket above ${specs.nonSlo.ingestRejectRatio * 100}% (dashed). ${exporterSite}`,
      targets: [
        query(
          `sum by (reason) (rate(twin_exporter_ingest_rejected_points_total{reason=~"$reason",${job}}[$__rate_interval])) / ignoring (reason) group_left () (sum(rate(twin_exporter_ingest_points_total{${job}}[$__rate_interval])) + sum(rate(twin_exporter_ingest_rejected_points_total{${job}}[$__rate_interval])))`,
          { legend: '{{reason}}' },
        ),
      ],
      unit: 'percentunit',
      min: 0,
      thresholds: limitThresholds(specs.nonSlo.ingestRejectRatio),
      dashed: true,
      links: [runbookLink(specs, 'ingest-rejects.md')],
      gridPos: grid.place(8, 8),
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Refused requests and messages by reason',
      description: `Whole OTLP requests or Kafka messages refused: malformed, too large, overloaded, unsupported media type, not ready. ${exporterSite}`,
      targets: [
        query(
          `sum by (transport, reason) (rate(twin_exporter_ingest_refused_total{${job}}[$__rate_interval]))`,
          { legend: '{{transport}} {{reason}}' },
        ),
      ],
      unit: 'reqps',
      min: 0,
      gridPos: grid.place(8, 8),
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Kafka consumer lag by topic and partition',
      description: `Messages behind the partition high watermark after the last applied batch. The lag alert opens a ticket above ${specs.nonSlo.kafkaLagMessages} and growing (dashed). ${exporterSite}`,
      targets: [
        query(
          `sum by (topic, partition) (twin_exporter_kafka_consumer_lag{topic=~"$topic",${job}})`,
          { legend: '{{topic}} [{{partition}}]' },
        ),
      ],
      unit: 'short',
      min: 0,
      thresholds: limitThresholds(specs.nonSlo.kafkaLagMessages),
      dashed: true,
      links: [runbookLink(specs, 'kafka-consumer-lag.md')],
      gridPos: grid.place(8, 8),
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Ingest queue depth by transport',
      description: `Requests or Kafka batches received and not yet applied. ${exporterSite}`,
      targets: [
        query(`sum by (transport) (twin_exporter_ingest_queue_depth{${job}})`, {
          legend: '{{transport}}',
        }),
      ],
      unit: 'short',
      min: 0,
      gridPos: grid.place(8, 8),
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Ingest bytes by transport',
      description: `Payload bytes received, as sent (before decompression), per second. ${exporterSite}`,
      targets: [
        query(
          `sum by (transport, signal) (rate(twin_exporter_ingest_bytes_total{${job}}[$__rate_interval]))`,
          { legend: '{{transport}} {{signal}}' },
        ),
      ],
      unit: 'Bps',
      min: 0,
      gridPos: grid.place(8, 8),
    }),
  );

  d.withRow(new RowBuilder('State history by class ($asset_class)').gridPos(grid.row()));
  d.withPanel(
    timeseries({
      title: 'Points applied by class and source',
      description: `Points applied to the twin state per second, by class and source (physical, twin, model). A class with no physical points is dark: see the telemetry-absent runbook. ${sliSite}`,
      targets: [
        query(`sum by (asset_class, source) (rate(twin_points_total{${cls}}[$__rate_interval]))`, {
          legend: '{{asset_class}} {{source}}',
        }),
      ],
      unit: 'cps',
      min: 0,
      links: [
        panelLink(
          'Fleet in the twinops app',
          `${appUrl}/fleet?class=\${asset_class}&site=\${site}`,
        ),
      ],
      gridPos: grid.place(8, 8),
    }),
  );
  const syncQuantile = (q: number) =>
    query(
      `histogram_quantile(${q}, sum by (asset_class, source, le) (rate(twin_sync_latency_seconds_bucket{${cls}}[$__rate_interval])))`,
      { legend: `{{asset_class}} {{source}} p${Math.round(q * 100)}` },
    );
  d.withPanel(
    timeseries({
      title: 'Sync latency p50 / p99 by class and source',
      description: `Exporter receipt time − source observation time, for every source. The sync-latency SLO counts a physical point good within ${specs.syncLatencyThreshold} s (dashed). ${sliSite}`,
      targets: [syncQuantile(0.5), syncQuantile(0.99)],
      unit: 's',
      min: 0,
      thresholds: limitThresholds(specs.syncLatencyThreshold),
      dashed: true,
      gridPos: grid.place(8, 8),
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Clock-skewed points by class',
      description: `Points whose source time was after their receipt (source clock ahead); their latency is clamped to 0. ${sliSite}`,
      targets: [
        query(
          `sum by (asset_class, source) (rate(twin_clock_skew_points_total{${cls}}[$__rate_interval]))`,
          { legend: '{{asset_class}} {{source}}' },
        ),
      ],
      unit: 'cps',
      min: 0,
      gridPos: grid.place(8, 8),
    }),
  );
  const fleetGauge = (status: string, metric: string) =>
    query(`sum by (asset_class) (${metric}{${fleet}})`, { legend: `{{asset_class}} ${status}` });
  d.withPanel(
    timeseries({
      title: 'Assets, stale and diverged by class',
      description:
        'Assets held in the twin state, stale ones and diverged ones per class, at each evaluation, of the selected classes and sites.',
      targets: [
        fleetGauge('assets', 'twin_site_assets'),
        fleetGauge('stale', 'twin_site_stale_assets'),
        fleetGauge('diverged', 'twin_site_diverged_assets'),
      ],
      unit: 'short',
      min: 0,
      gridPos: grid.place(8, 8),
    }),
  );
  const passing = (check: string) =>
    `sum by (asset_class) (rate(twin_${check}_checks_good_total{${cls}}[$__rate_interval])) / sum by (asset_class) (rate(twin_${check}_checks_total{${cls}}[$__rate_interval]))`;
  d.withPanel(
    timeseries({
      title: 'Freshness and divergence checks passing by class',
      description: `Share of freshness checks that found the asset fresh, and of divergence checks that found the twin in sync: the good ÷ total of the freshness and divergence SLIs, over Grafana’s rate interval. ${sliSite}`,
      targets: [
        query(passing('freshness'), { legend: '{{asset_class}} fresh' }),
        query(passing('divergence'), { legend: '{{asset_class}} in sync' }),
      ],
      unit: 'percentunit',
      max: 1,
      gridPos: grid.place(8, 8),
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Unconverged changes by class',
      description: `Desired versions not yet reported by the asset. ${sliSite}`,
      targets: [
        query(`sum by (asset_class) (twin_unconverged_changes{${cls}})`, {
          legend: '{{asset_class}}',
        }),
      ],
      unit: 'short',
      min: 0,
      gridPos: grid.place(8, 8),
    }),
  );

  d.withRow(new RowBuilder('Per asset (metrics.perAsset)').gridPos(grid.row()));
  d.withPanel(
    timeseries({
      title: 'Sync latency of each asset’s latest point',
      description: `Per-asset series exist only with the exporter’s metrics.perAsset on. Click a series to open the asset in the twinops app. ${perAssetSite}`,
      targets: [
        query(`twin_asset_sync_latency_seconds_last{asset_id=~"$asset_id",${cls}}`, {
          legend: '{{asset_id}}',
        }),
      ],
      unit: 's',
      min: 0,
      thresholds: limitThresholds(specs.syncLatencyThreshold),
      dashed: true,
      dataLinks: [assetPageLink()],
      gridPos: grid.place(12, 9),
    }),
  );
  d.withPanel(
    stateTimeline({
      title: 'Divergence history per asset',
      description: `Diverged (red) or in sync (green) at each evaluation. Click to open the asset in the twinops app. ${perAssetSite}`,
      targets: [
        query(`twin_asset_diverged{asset_id=~"$asset_id",${cls}}`, { legend: '{{asset_id}}' }),
      ],
      mappings: zeroOne(['in sync', 'green'], ['diverged', 'red']),
      thresholds: thresholds([null, 'green'], [1, 'red']),
      dataLinks: [assetPageLink()],
      gridPos: grid.place(12, 9),
    }),
  );

  d.withRow(new RowBuilder('Predictions ($model $model_version)').gridPos(grid.row()));
  /** Per model version (and `by`), the rate of `metric` ÷ the rate of scored predictions. */
  const perScored = (metric: string, by = 'model, model_version') =>
    `sum by (${by}) (rate(${metric}{${mv}}[$__rate_interval])) / sum by (${by}) (rate(twin_prediction_scored_total{${mv}}[$__rate_interval]))`;
  /** A regression error measure per model version and property, from 0 up. */
  const regressionError = (title: string, what: string, expr: string) =>
    timeseries({
      title: `${title} by model version and property`,
      description: `${what}, regression predictions, over Grafana’s rate interval. ${predictionSite}`,
      targets: [query(expr, { legend: '{{model}} {{model_version}} {{property}}' })],
      unit: 'short',
      min: 0,
      gridPos: grid.place(8, 8),
    });
  const byProperty = 'model, model_version, property';
  d.withPanel(
    regressionError(
      'RMSE',
      '√(Σ squared error ÷ scored)',
      `sqrt(${perScored('twin_prediction_squared_error_total', byProperty)})`,
    ),
  );
  d.withPanel(
    regressionError(
      'MAE',
      'Σ |error| ÷ scored',
      perScored('twin_prediction_absolute_error_total', byProperty),
    ),
  );
  d.withPanel(
    timeseries({
      title: 'Within tolerance by model version',
      description: `Share of scored predictions within tolerance (classification: correct), over Grafana’s rate interval. Dashed: the ${+(accuracy.objective * 100).toFixed(4)}% prediction-accuracy objective. ${predictionSite}`,
      targets: [
        query(perScored('twin_prediction_within_tolerance_total'), {
          legend: '{{model}} {{model_version}}',
        }),
      ],
      unit: 'percentunit',
      max: 1,
      thresholds: objectiveThresholds(accuracy.objective),
      dashed: true,
      links: [runbookLink(specs, 'prediction-accuracy.md')],
      gridPos: grid.place(8, 8),
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Predictions received by model version (vetted or not)',
      description: `Predictions received per second, by model version and whether that version is vetted (vetted=false: a version the exporter’s vettedModels does not list). ${predictionSite}`,
      targets: [
        query(
          `sum by (model, model_version, vetted) (rate(twin_model_predictions_total{${mv}}[$__rate_interval]))`,
          { legend: '{{model}} {{model_version}} vetted={{vetted}}' },
        ),
      ],
      unit: 'cps',
      min: 0,
      gridPos: grid.place(8, 8),
    }),
  );
  d.withPanel(
    stat({
      title: 'Model version coverage (vetted share)',
      description: `Predictions from vetted model versions ÷ all predictions, over the time range. ${predictionSite}`,
      targets: [
        query(
          `sum(increase(twin_model_predictions_total{vetted="true",${mv}}[$__range])) / sum(increase(twin_model_predictions_total{${mv}}[$__range]))`,
          { legend: 'vetted', instant: true },
        ),
      ],
      unit: 'percentunit',
      decimals: 1,
      thresholds: thresholds([null, 'red'], [0.99, 'orange'], [1, 'green']),
      gridPos: grid.place(8, 8),
    }),
  );
  const unscored = (what: string) =>
    query(
      `sum by (model, model_version) (rate(twin_prediction_${what}_total{${mv}}[$__rate_interval]))`,
      { legend: `{{model}} {{model_version}} ${what}` },
    );
  d.withPanel(
    timeseries({
      title: 'Predictions expired or dropped unscored',
      description: `Expired: never matched by a physical value in time. Dropped: over maxPendingPredictions, or the asset was evicted. ${predictionSite}`,
      targets: [unscored('expired'), unscored('dropped')],
      unit: 'cps',
      min: 0,
      gridPos: grid.place(8, 8),
    }),
  );

  // Classification models (M3): the confusion matrix cells over the time range.
  const cell = (result: string) =>
    `sum by (model, model_version) (increase(twin_prediction_classifications_total{result=~"${result}",${mv}}[$__range]))`;
  const rows = (expr: string) => query(expr, { instant: true, table: true });
  d.withPanel(
    table({
      title: 'Precision, recall and F1 by model version (classification, time range)',
      description: `Classification models, from the confusion matrix of their scored predictions over the time range (twin_prediction_classifications_total, all properties of the model): precision = tp ÷ (tp + fp), recall = tp ÷ (tp + fn), F1 = 2tp ÷ (2tp + fp + fn). Regression models have no row. NaN: no positive predictions (precision) or no positive actuals (recall) in the range yet. ${predictionSite}`,
      targets: [
        rows(`${cell('tp')} / ${cell('tp|fp')}`),
        rows(`${cell('tp')} / ${cell('tp|fn')}`),
        rows(`2 * ${cell('tp')} / (2 * ${cell('tp')} + ${cell('fp|fn')})`),
      ],
      transformations: mergedColumns({
        'Value #A': 'precision',
        'Value #B': 'recall',
        'Value #C': 'F1',
      }),
      unit: 'percentunit',
      decimals: 1,
      links: [runbookLink(specs, 'prediction-accuracy.md')],
      gridPos: grid.place(24, 6),
    }),
  );

  d.withRow(new RowBuilder('Exporter process ($instance)').gridPos(grid.row()));
  d.withPanel(
    stat({
      title: 'Scrape up',
      description: `1: Prometheus scrapes the exporter. 0 or missing for ${specs.nonSlo.exporterDownFor} pages (exporter down). ${exporterSite}`,
      targets: [query(`up{${job}}`, { legend: '{{instance}}', instant: true })],
      mappings: zeroOne(['DOWN', 'red'], ['up', 'green']),
      thresholds: thresholds([null, 'red'], [1, 'green']),
      links: [runbookLink(specs, 'exporter-down.md')],
      gridPos: grid.place(4, 8),
    }),
  );
  /** One series per exporter instance, from 0 up, in the exporter row's narrow columns. */
  const perInstance = (o: Omit<PanelOptions, 'min' | 'gridPos'>) =>
    timeseries({ ...o, min: 0, gridPos: grid.place(5, 8) });
  d.withPanel(
    perInstance({
      title: 'CPU',
      description: `CPU seconds the exporter process uses per second (1 = one core). ${exporterSite}`,
      targets: [
        query(`rate(twin_exporter_process_cpu_seconds_total{${job}}[$__rate_interval])`, {
          legend: '{{instance}}',
        }),
      ],
      unit: 'percentunit',
    }),
  );
  d.withPanel(
    perInstance({
      title: 'Memory',
      description: `Resident memory of the exporter process, and the V8 heap it uses; compare with the fleet size (exporter/README.md, Memory). ${exporterSite}`,
      targets: [
        query(`twin_exporter_process_resident_memory_bytes{${job}}`, {
          legend: '{{instance}} resident',
        }),
        query(`twin_exporter_nodejs_heap_size_used_bytes{${job}}`, {
          legend: '{{instance}} heap used',
        }),
      ],
      unit: 'bytes',
    }),
  );
  d.withPanel(
    perInstance({
      title: 'Event loop lag p99',
      description: `How late the exporter’s event loop runs its callbacks (p99): high when ingest or queries saturate it. ${exporterSite}`,
      targets: [
        query(`twin_exporter_nodejs_eventloop_lag_p99_seconds{${job}}`, { legend: '{{instance}}' }),
      ],
      unit: 's',
    }),
  );
  d.withPanel(
    perInstance({
      title: 'Open file descriptors',
      description: `File descriptors the exporter process holds open (sockets, SQLite files). ${exporterSite}`,
      targets: [query(`twin_exporter_process_open_fds{${job}}`, { legend: '{{instance}}' })],
      unit: 'short',
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Twin API requests by route and code',
      description: `Twin API requests per second by route and status code; 5xx spend the api-availability SLO’s budget. ${exporterSite}`,
      targets: [
        query(`sum by (route, code) (rate(twin_api_requests_total{${job}}[$__rate_interval]))`, {
          legend: '{{code}} {{route}}',
        }),
      ],
      unit: 'reqps',
      min: 0,
      links: [runbookLink(specs, 'api-availability.md')],
      gridPos: grid.place(12, 8),
    }),
  );
  d.withPanel(
    timeseries({
      title: 'State snapshot age, and audit chain verification age',
      description: `Seconds since the last successful state snapshot and since the audit chain was last verified (the audit alert tickets after ${specs.nonSlo.auditVerifiedWithin}). ${exporterSite}`,
      targets: [
        query(`time() - twin_exporter_snapshot_last_success_timestamp_seconds{${job}}`, {
          legend: '{{instance}} snapshot',
        }),
        query(`time() - twin_command_audit_chain_verified_timestamp_seconds{${job}}`, {
          legend: '{{instance}} audit verified',
        }),
      ],
      unit: 's',
      min: 0,
      links: [runbookLink(specs, 'audit-chain-invalid.md')],
      gridPos: grid.place(6, 8),
    }),
  );
  d.withPanel(
    stat({
      title: 'Audit chain',
      description: `1: the command audit log’s hash chain verifies. 0 pages: treat as a security incident. ${exporterSite}`,
      targets: [
        query(`min by (instance) (twin_command_audit_chain_valid{${job}})`, {
          legend: '{{instance}}',
          instant: true,
        }),
      ],
      mappings: zeroOne(['BROKEN', 'red'], ['valid', 'green']),
      thresholds: thresholds([null, 'red'], [1, 'green']),
      links: [
        runbookLink(specs, 'audit-chain-invalid.md'),
        panelLink('Audit log in the twinops app', `${appUrl}/audit`),
      ],
      gridPos: grid.place(6, 8),
    }),
  );

  return finalize(d.build());
}
