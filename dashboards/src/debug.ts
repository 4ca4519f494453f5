/**
 * Debug: forensics during an incident. Ingest rates and rejects by reason, Kafka consumer lag,
 * queue depth, per-class state history, per-asset series (when the exporter's
 * `metrics.perAsset` is on) linked to the asset pages of the twinops app, prediction error by
 * model and version, and the exporter process' own health. Alerts link here with
 * `var-instance`, `var-topic` and `var-reason`.
 */
import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StateTimeline } from '@grafana/grafana-foundation-sdk/statetimeline';
import { PanelBuilder as Stat } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as Table } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeries } from '@grafana/grafana-foundation-sdk/timeseries';
import {
  GraphThresholdsStyleConfigBuilder,
  GraphThresholdsStyleMode,
  ReduceDataOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import {
  Grid,
  appUrl,
  assetClassVariable,
  assetPageLink,
  baseDashboard,
  datasource,
  datasourceVariable,
  finalize,
  labelVariable,
  limitThresholds,
  modelVariable,
  modelVersionVariable,
  notBySite,
  objectiveThresholds,
  panelLink,
  query,
  runbookLink,
  siteReasons,
  siteVariable,
  thresholds,
} from './common.js';
import { exporterStarts, modelVersionRollouts } from './oncall.js';
import type { Specs } from './specs.js';

const last = () => new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false);
const dashed = () => new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.Dashed);

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
    .withVariable(datasourceVariable())
    .withVariable(
      labelVariable(
        'instance',
        'Exporter',
        `label_values(up{job="${specs.exporterJob}"}, instance)`,
      ),
    )
    .withVariable(assetClassVariable())
    .withVariable(
      labelVariable(
        'asset_id',
        'Asset (per-asset series)',
        'label_values(twin_asset_sync_latency_seconds_last{asset_class=~"$asset_class"}, asset_id)',
        {
          description:
            'Only with the exporter’s metrics.perAsset on (capped at perAsset.maxAssets).',
        },
      ),
    )
    .withVariable(modelVariable())
    .withVariable(modelVersionVariable())
    .withVariable(
      labelVariable(
        'reason',
        'Reject reason',
        'label_values(twin_exporter_ingest_rejected_points_total, reason)',
      ),
    )
    .withVariable(
      labelVariable(
        'topic',
        'Kafka topic',
        'label_values(twin_exporter_kafka_consumer_lag, topic)',
      ),
    )
    .withVariable(siteVariable())
    .annotation(exporterStarts(specs))
    .annotation(modelVersionRollouts());

  d.withRow(new RowBuilder('Ingest').gridPos(grid.row()));
  d.withPanel(
    new TimeSeries()
      .title('Ingest rate by transport and signal')
      .description(`Data points and log records accepted, per second. ${exporterSite}`)
      .datasource(datasource)
      .withTarget(
        query(
          `sum by (transport, signal) (rate(twin_exporter_ingest_points_total{${job}}[$__rate_interval]))`,
          {
            legend: '{{transport}} {{signal}}',
          },
        ),
      )
      .unit('cps')
      .min(0)
      .gridPos(grid.place(8, 8)),
  );
  d.withPanel(
    new TimeSeries()
      .title('Rejected points by reason')
      .description(
        `Points breaking the telemetry conventions, as a share of all points received. The ingest-rejects alert opens a ticket above ${specs.nonSlo.ingestRejectRatio * 100}% (dashed). ${exporterSite}`,
      )
      .datasource(datasource)
      .withTarget(
        query(
          `sum by (reason) (rate(twin_exporter_ingest_rejected_points_total{reason=~"$reason",${job}}[$__rate_interval])) / ignoring (reason) group_left () (sum(rate(twin_exporter_ingest_points_total{${job}}[$__rate_interval])) + sum(rate(twin_exporter_ingest_rejected_points_total{${job}}[$__rate_interval])))`,
          { legend: '{{reason}}' },
        ),
      )
      .unit('percentunit')
      .min(0)
      .thresholds(limitThresholds(specs.nonSlo.ingestRejectRatio))
      .thresholdsStyle(dashed())
      .links([runbookLink(specs, 'ingest-rejects.md')])
      .gridPos(grid.place(8, 8)),
  );
  d.withPanel(
    new TimeSeries()
      .title('Refused requests and messages by reason')
      .description(
        `Whole OTLP requests or Kafka messages refused: malformed, too large, overloaded, unsupported media type, not ready. ${exporterSite}`,
      )
      .datasource(datasource)
      .withTarget(
        query(
          `sum by (transport, reason) (rate(twin_exporter_ingest_refused_total{${job}}[$__rate_interval]))`,
          {
            legend: '{{transport}} {{reason}}',
          },
        ),
      )
      .unit('reqps')
      .min(0)
      .gridPos(grid.place(8, 8)),
  );
  d.withPanel(
    new TimeSeries()
      .title('Kafka consumer lag by topic and partition')
      .description(
        `Messages behind the partition high watermark after the last applied batch. The lag alert opens a ticket above ${specs.nonSlo.kafkaLagMessages} and growing (dashed). ${exporterSite}`,
      )
      .datasource(datasource)
      .withTarget(
        query(
          `sum by (topic, partition) (twin_exporter_kafka_consumer_lag{topic=~"$topic",${job}})`,
          {
            legend: '{{topic}} [{{partition}}]',
          },
        ),
      )
      .unit('short')
      .min(0)
      .thresholds(limitThresholds(specs.nonSlo.kafkaLagMessages))
      .thresholdsStyle(dashed())
      .links([runbookLink(specs, 'kafka-consumer-lag.md')])
      .gridPos(grid.place(8, 8)),
  );
  d.withPanel(
    new TimeSeries()
      .title('Ingest queue depth by transport')
      .description(`Requests or Kafka batches received and not yet applied. ${exporterSite}`)
      .datasource(datasource)
      .withTarget(
        query(`sum by (transport) (twin_exporter_ingest_queue_depth{${job}})`, {
          legend: '{{transport}}',
        }),
      )
      .unit('short')
      .min(0)
      .gridPos(grid.place(8, 8)),
  );
  d.withPanel(
    new TimeSeries()
      .title('Ingest bytes by transport')
      .description(
        `Payload bytes received, as sent (before decompression), per second. ${exporterSite}`,
      )
      .datasource(datasource)
      .withTarget(
        query(
          `sum by (transport, signal) (rate(twin_exporter_ingest_bytes_total{${job}}[$__rate_interval]))`,
          {
            legend: '{{transport}} {{signal}}',
          },
        ),
      )
      .unit('Bps')
      .min(0)
      .gridPos(grid.place(8, 8)),
  );

  d.withRow(new RowBuilder('State history by class ($asset_class)').gridPos(grid.row()));
  d.withPanel(
    new TimeSeries()
      .title('Points applied by class and source')
      .description(
        `Points applied to the twin state per second, by class and source (physical, twin, model). A class with no physical points is dark: see the telemetry-absent runbook. ${sliSite}`,
      )
      .datasource(datasource)
      .withTarget(
        query(`sum by (asset_class, source) (rate(twin_points_total{${cls}}[$__rate_interval]))`, {
          legend: '{{asset_class}} {{source}}',
        }),
      )
      .unit('cps')
      .min(0)
      .links([
        panelLink(
          'Fleet in the twinops app',
          `${appUrl}/fleet?class=\${asset_class}&site=\${site}`,
        ),
      ])
      .gridPos(grid.place(8, 8)),
  );
  d.withPanel(
    new TimeSeries()
      .title('Sync latency p50 / p99 by class and source')
      .description(
        `Exporter receipt time − source observation time, for every source. The sync-latency SLO counts a physical point good within ${specs.syncLatencyThreshold} s (dashed). ${sliSite}`,
      )
      .datasource(datasource)
      .withTarget(
        query(
          `histogram_quantile(0.5, sum by (asset_class, source, le) (rate(twin_sync_latency_seconds_bucket{${cls}}[$__rate_interval])))`,
          { legend: '{{asset_class}} {{source}} p50' },
        ),
      )
      .withTarget(
        query(
          `histogram_quantile(0.99, sum by (asset_class, source, le) (rate(twin_sync_latency_seconds_bucket{${cls}}[$__rate_interval])))`,
          { legend: '{{asset_class}} {{source}} p99' },
        ),
      )
      .unit('s')
      .min(0)
      .thresholds(limitThresholds(specs.syncLatencyThreshold))
      .thresholdsStyle(dashed())
      .gridPos(grid.place(8, 8)),
  );
  d.withPanel(
    new TimeSeries()
      .title('Clock-skewed points by class')
      .description(
        `Points whose source time was after their receipt (source clock ahead); their latency is clamped to 0. ${sliSite}`,
      )
      .datasource(datasource)
      .withTarget(
        query(
          `sum by (asset_class, source) (rate(twin_clock_skew_points_total{${cls}}[$__rate_interval]))`,
          {
            legend: '{{asset_class}} {{source}}',
          },
        ),
      )
      .unit('cps')
      .min(0)
      .gridPos(grid.place(8, 8)),
  );
  d.withPanel(
    new TimeSeries()
      .title('Assets, stale and diverged by class')
      .description(
        'Assets held in the twin state, stale ones and diverged ones per class, at each evaluation, of the selected classes and sites.',
      )
      .datasource(datasource)
      .withTarget(
        query(`sum by (asset_class) (twin_site_assets{${fleet}})`, {
          legend: '{{asset_class}} assets',
        }),
      )
      .withTarget(
        query(`sum by (asset_class) (twin_site_stale_assets{${fleet}})`, {
          legend: '{{asset_class}} stale',
        }),
      )
      .withTarget(
        query(`sum by (asset_class) (twin_site_diverged_assets{${fleet}})`, {
          legend: '{{asset_class}} diverged',
        }),
      )
      .unit('short')
      .min(0)
      .gridPos(grid.place(8, 8)),
  );
  d.withPanel(
    new TimeSeries()
      .title('Freshness and divergence checks passing by class')
      .description(
        `Share of freshness checks that found the asset fresh, and of divergence checks that found the twin in sync: the good ÷ total of the freshness and divergence SLIs, over Grafana’s rate interval. ${sliSite}`,
      )
      .datasource(datasource)
      .withTarget(
        query(
          `sum by (asset_class) (rate(twin_freshness_checks_good_total{${cls}}[$__rate_interval])) / sum by (asset_class) (rate(twin_freshness_checks_total{${cls}}[$__rate_interval]))`,
          { legend: '{{asset_class}} fresh' },
        ),
      )
      .withTarget(
        query(
          `sum by (asset_class) (rate(twin_divergence_checks_good_total{${cls}}[$__rate_interval])) / sum by (asset_class) (rate(twin_divergence_checks_total{${cls}}[$__rate_interval]))`,
          { legend: '{{asset_class}} in sync' },
        ),
      )
      .unit('percentunit')
      .max(1)
      .gridPos(grid.place(8, 8)),
  );
  d.withPanel(
    new TimeSeries()
      .title('Unconverged changes by class')
      .description(`Desired versions not yet reported by the asset. ${sliSite}`)
      .datasource(datasource)
      .withTarget(
        query(`sum by (asset_class) (twin_unconverged_changes{${cls}})`, {
          legend: '{{asset_class}}',
        }),
      )
      .unit('short')
      .min(0)
      .gridPos(grid.place(8, 8)),
  );

  d.withRow(new RowBuilder('Per asset (metrics.perAsset)').gridPos(grid.row()));
  d.withPanel(
    new TimeSeries()
      .title('Sync latency of each asset’s latest point')
      .description(
        `Per-asset series exist only with the exporter’s metrics.perAsset on. Click a series to open the asset in the twinops app. ${perAssetSite}`,
      )
      .datasource(datasource)
      .withTarget(
        query(`twin_asset_sync_latency_seconds_last{asset_id=~"$asset_id",${cls}}`, {
          legend: '{{asset_id}}',
        }),
      )
      .unit('s')
      .min(0)
      .thresholds(limitThresholds(specs.syncLatencyThreshold))
      .thresholdsStyle(dashed())
      .dataLinks([assetPageLink()])
      .gridPos(grid.place(12, 9)),
  );
  d.withPanel(
    new StateTimeline()
      .title('Divergence history per asset')
      .description(
        `Diverged (red) or in sync (green) at each evaluation. Click to open the asset in the twinops app. ${perAssetSite}`,
      )
      .datasource(datasource)
      .withTarget(
        query(`twin_asset_diverged{asset_id=~"$asset_id",${cls}}`, { legend: '{{asset_id}}' }),
      )
      .mappings([
        {
          type: 'value',
          options: {
            '0': { text: 'in sync', color: 'green' },
            '1': { text: 'diverged', color: 'red' },
          },
        } as never,
      ])
      .thresholds(thresholds([null, 'green'], [1, 'red']))
      .dataLinks([assetPageLink()])
      .gridPos(grid.place(12, 9)),
  );

  d.withRow(new RowBuilder('Predictions ($model $model_version)').gridPos(grid.row()));
  d.withPanel(
    new TimeSeries()
      .title('RMSE by model version and property')
      .description(
        `√(Σ squared error ÷ scored), regression predictions, over Grafana’s rate interval. ${predictionSite}`,
      )
      .datasource(datasource)
      .withTarget(
        query(
          `sqrt(sum by (model, model_version, property) (rate(twin_prediction_squared_error_total{${mv}}[$__rate_interval])) / sum by (model, model_version, property) (rate(twin_prediction_scored_total{${mv}}[$__rate_interval])))`,
          { legend: '{{model}} {{model_version}} {{property}}' },
        ),
      )
      .unit('short')
      .min(0)
      .gridPos(grid.place(8, 8)),
  );
  d.withPanel(
    new TimeSeries()
      .title('MAE by model version and property')
      .description(
        `Σ |error| ÷ scored, regression predictions, over Grafana’s rate interval. ${predictionSite}`,
      )
      .datasource(datasource)
      .withTarget(
        query(
          `sum by (model, model_version, property) (rate(twin_prediction_absolute_error_total{${mv}}[$__rate_interval])) / sum by (model, model_version, property) (rate(twin_prediction_scored_total{${mv}}[$__rate_interval]))`,
          { legend: '{{model}} {{model_version}} {{property}}' },
        ),
      )
      .unit('short')
      .min(0)
      .gridPos(grid.place(8, 8)),
  );
  d.withPanel(
    new TimeSeries()
      .title('Within tolerance by model version')
      .description(
        `Share of scored predictions within tolerance (classification: correct), over Grafana’s rate interval. Dashed: the ${+(accuracy.objective * 100).toFixed(4)}% prediction-accuracy objective. ${predictionSite}`,
      )
      .datasource(datasource)
      .withTarget(
        query(
          `sum by (model, model_version) (rate(twin_prediction_within_tolerance_total{${mv}}[$__rate_interval])) / sum by (model, model_version) (rate(twin_prediction_scored_total{${mv}}[$__rate_interval]))`,
          { legend: '{{model}} {{model_version}}' },
        ),
      )
      .unit('percentunit')
      .max(1)
      .thresholds(objectiveThresholds(accuracy.objective))
      .thresholdsStyle(dashed())
      .links([runbookLink(specs, 'prediction-accuracy.md')])
      .gridPos(grid.place(8, 8)),
  );
  d.withPanel(
    new TimeSeries()
      .title('Predictions received by model version (vetted or not)')
      .description(
        `Predictions received per second, by model version and whether that version is vetted (vetted=false: a version the exporter’s vettedModels does not list). ${predictionSite}`,
      )
      .datasource(datasource)
      .withTarget(
        query(
          `sum by (model, model_version, vetted) (rate(twin_model_predictions_total{${mv}}[$__rate_interval]))`,
          {
            legend: '{{model}} {{model_version}} vetted={{vetted}}',
          },
        ),
      )
      .unit('cps')
      .min(0)
      .gridPos(grid.place(8, 8)),
  );
  d.withPanel(
    new Stat()
      .title('Model version coverage (vetted share)')
      .description(
        `Predictions from vetted model versions ÷ all predictions, over the time range. ${predictionSite}`,
      )
      .datasource(datasource)
      .withTarget(
        query(
          `sum(increase(twin_model_predictions_total{vetted="true",${mv}}[$__range])) / sum(increase(twin_model_predictions_total{${mv}}[$__range]))`,
          { legend: 'vetted', instant: true },
        ),
      )
      .unit('percentunit')
      .decimals(1)
      .reduceOptions(last())
      .thresholds(thresholds([null, 'red'], [0.99, 'orange'], [1, 'green']))
      .gridPos(grid.place(8, 8)),
  );
  d.withPanel(
    new TimeSeries()
      .title('Predictions expired or dropped unscored')
      .description(
        `Expired: never matched by a physical value in time. Dropped: over maxPendingPredictions, or the asset was evicted. ${predictionSite}`,
      )
      .datasource(datasource)
      .withTarget(
        query(
          `sum by (model, model_version) (rate(twin_prediction_expired_total{${mv}}[$__rate_interval]))`,
          {
            legend: '{{model}} {{model_version}} expired',
          },
        ),
      )
      .withTarget(
        query(
          `sum by (model, model_version) (rate(twin_prediction_dropped_total{${mv}}[$__rate_interval]))`,
          {
            legend: '{{model}} {{model_version}} dropped',
          },
        ),
      )
      .unit('cps')
      .min(0)
      .gridPos(grid.place(8, 8)),
  );

  // Classification models (M3): the confusion matrix cells over the time range.
  const cell = (result: string) =>
    `sum by (model, model_version) (increase(twin_prediction_classifications_total{result=~"${result}",${mv}}[$__range]))`;
  d.withPanel(
    new Table()
      .title('Precision, recall and F1 by model version (classification, time range)')
      .description(
        `Classification models, from the confusion matrix of their scored predictions over the time range (twin_prediction_classifications_total, all properties of the model): precision = tp ÷ (tp + fp), recall = tp ÷ (tp + fn), F1 = 2tp ÷ (2tp + fp + fn). Regression models have no row. NaN: no positive predictions (precision) or no positive actuals (recall) in the range yet. ${predictionSite}`,
      )
      .datasource(datasource)
      .withTarget(query(`${cell('tp')} / ${cell('tp|fp')}`, { instant: true, table: true }))
      .withTarget(query(`${cell('tp')} / ${cell('tp|fn')}`, { instant: true, table: true }))
      .withTarget(
        query(`2 * ${cell('tp')} / (2 * ${cell('tp')} + ${cell('fp|fn')})`, {
          instant: true,
          table: true,
        }),
      )
      .withTransformation({ id: 'merge', options: {} })
      .withTransformation({
        id: 'organize',
        options: {
          excludeByName: { Time: true },
          renameByName: { 'Value #A': 'precision', 'Value #B': 'recall', 'Value #C': 'F1' },
        },
      })
      .unit('percentunit')
      .decimals(1)
      .links([runbookLink(specs, 'prediction-accuracy.md')])
      .gridPos(grid.place(24, 6)),
  );

  d.withRow(new RowBuilder('Exporter process ($instance)').gridPos(grid.row()));
  d.withPanel(
    new Stat()
      .title('Scrape up')
      .description(
        `1: Prometheus scrapes the exporter. 0 or missing for ${specs.nonSlo.exporterDownFor} pages (exporter down). ${exporterSite}`,
      )
      .datasource(datasource)
      .withTarget(query(`up{${job}}`, { legend: '{{instance}}', instant: true }))
      .mappings([
        {
          type: 'value',
          options: { '0': { text: 'DOWN', color: 'red' }, '1': { text: 'up', color: 'green' } },
        } as never,
      ])
      .reduceOptions(last())
      .thresholds(thresholds([null, 'red'], [1, 'green']))
      .links([runbookLink(specs, 'exporter-down.md')])
      .gridPos(grid.place(4, 8)),
  );
  d.withPanel(
    new TimeSeries()
      .title('CPU')
      .description(
        `CPU seconds the exporter process uses per second (1 = one core). ${exporterSite}`,
      )
      .datasource(datasource)
      .withTarget(
        query(`rate(twin_exporter_process_cpu_seconds_total{${job}}[$__rate_interval])`, {
          legend: '{{instance}}',
        }),
      )
      .unit('percentunit')
      .min(0)
      .gridPos(grid.place(5, 8)),
  );
  d.withPanel(
    new TimeSeries()
      .title('Memory')
      .description(
        `Resident memory of the exporter process, and the V8 heap it uses; compare with the fleet size (exporter/README.md, Memory). ${exporterSite}`,
      )
      .datasource(datasource)
      .withTarget(
        query(`twin_exporter_process_resident_memory_bytes{${job}}`, {
          legend: '{{instance}} resident',
        }),
      )
      .withTarget(
        query(`twin_exporter_nodejs_heap_size_used_bytes{${job}}`, {
          legend: '{{instance}} heap used',
        }),
      )
      .unit('bytes')
      .min(0)
      .gridPos(grid.place(5, 8)),
  );
  d.withPanel(
    new TimeSeries()
      .title('Event loop lag p99')
      .description(
        `How late the exporter’s event loop runs its callbacks (p99): high when ingest or queries saturate it. ${exporterSite}`,
      )
      .datasource(datasource)
      .withTarget(
        query(`twin_exporter_nodejs_eventloop_lag_p99_seconds{${job}}`, { legend: '{{instance}}' }),
      )
      .unit('s')
      .min(0)
      .gridPos(grid.place(5, 8)),
  );
  d.withPanel(
    new TimeSeries()
      .title('Open file descriptors')
      .description(
        `File descriptors the exporter process holds open (sockets, SQLite files). ${exporterSite}`,
      )
      .datasource(datasource)
      .withTarget(query(`twin_exporter_process_open_fds{${job}}`, { legend: '{{instance}}' }))
      .unit('short')
      .min(0)
      .gridPos(grid.place(5, 8)),
  );
  d.withPanel(
    new TimeSeries()
      .title('Twin API requests by route and code')
      .description(
        `Twin API requests per second by route and status code; 5xx spend the api-availability SLO’s budget. ${exporterSite}`,
      )
      .datasource(datasource)
      .withTarget(
        query(`sum by (route, code) (rate(twin_api_requests_total{${job}}[$__rate_interval]))`, {
          legend: '{{code}} {{route}}',
        }),
      )
      .unit('reqps')
      .min(0)
      .links([runbookLink(specs, 'api-availability.md')])
      .gridPos(grid.place(12, 8)),
  );
  d.withPanel(
    new TimeSeries()
      .title('State snapshot age, and audit chain verification age')
      .description(
        `Seconds since the last successful state snapshot and since the audit chain was last verified (the audit alert tickets after ${specs.nonSlo.auditVerifiedWithin}). ${exporterSite}`,
      )
      .datasource(datasource)
      .withTarget(
        query(`time() - twin_exporter_snapshot_last_success_timestamp_seconds{${job}}`, {
          legend: '{{instance}} snapshot',
        }),
      )
      .withTarget(
        query(`time() - twin_command_audit_chain_verified_timestamp_seconds{${job}}`, {
          legend: '{{instance}} audit verified',
        }),
      )
      .unit('s')
      .min(0)
      .links([runbookLink(specs, 'audit-chain-invalid.md')])
      .gridPos(grid.place(6, 8)),
  );
  d.withPanel(
    new Stat()
      .title('Audit chain')
      .description(
        `1: the command audit log’s hash chain verifies. 0 pages: treat as a security incident. ${exporterSite}`,
      )
      .datasource(datasource)
      .withTarget(
        query(`min by (instance) (twin_command_audit_chain_valid{${job}})`, {
          legend: '{{instance}}',
          instant: true,
        }),
      )
      .mappings([
        {
          type: 'value',
          options: {
            '0': { text: 'BROKEN', color: 'red' },
            '1': { text: 'valid', color: 'green' },
          },
        } as never,
      ])
      .reduceOptions(last())
      .thresholds(thresholds([null, 'red'], [1, 'green']))
      .links([
        runbookLink(specs, 'audit-chain-invalid.md'),
        panelLink('Audit log in the twinops app', `${appUrl}/audit`),
      ])
      .gridPos(grid.place(6, 8)),
  );

  return finalize(d.build());
}
