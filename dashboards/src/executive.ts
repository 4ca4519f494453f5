/**
 * Executive: is the twin fleet telling the truth, and is it worth it? SLO attainment and error
 * budget per SLO, twin availability, prediction accuracy, actuation success and fleet size, now
 * and as trends over the period (30 days by default, the SLO period).
 */
import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as BarGauge } from '@grafana/grafana-foundation-sdk/bargauge';
import { PanelBuilder as Stat } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeSeries } from '@grafana/grafana-foundation-sdk/timeseries';
import {
  BarGaugeDisplayMode,
  GraphThresholdsStyleConfigBuilder,
  GraphThresholdsStyleMode,
  ReduceDataOptionsBuilder,
  VizOrientation,
} from '@grafana/grafana-foundation-sdk/common';
import {
  Grid,
  appUrl,
  assetClassVariable,
  baseDashboard,
  budgetThresholds,
  datasource,
  datasourceVariable,
  finalize,
  limitThresholds,
  modelVariable,
  objectiveThresholds,
  panelLink,
  query,
  runbookLink,
  siteVariable,
  thresholds,
  uids,
} from './common.js';
import type { SloView, Specs } from './specs.js';

const last = () => new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false);
const lineThresholds = () =>
  new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.Dashed);

function slo(specs: Specs, name: string): SloView {
  const found = specs.slos.find((s) => s.name === name);
  if (!found) throw new Error(`no SLO ${name} in alerts/slos`);
  return found;
}

/** One override per SLO: its own objective as the threshold, its title as the name. */
function perSloOverrides<
  T extends { overrideByName(name: string, p: { id: string; value?: unknown }[]): T },
>(panel: T, specs: Specs, value: (s: SloView) => { id: string; value?: unknown }[]): T {
  for (const s of specs.slos) panel.overrideByName(s.name, value(s));
  return panel;
}

export function executive(specs: Specs) {
  const grid = new Grid();
  const actuation = slo(specs, 'actuation-success');
  const api = slo(specs, 'api-availability');
  const accuracy = slo(specs, 'prediction-accuracy');
  const freshness = slo(specs, 'freshness');
  const cls = 'asset_class=~"$asset_class"';
  // The fleet gauges also carry the site.
  const fleet = 'asset_class=~"$asset_class",site=~"$site"';

  const d = baseDashboard('executive', specs)
    .description(
      'SLO status, error budgets and the fleet’s health for leaders. Numbers are over the SLO period where the title says so; trends follow the time picker.',
    )
    .time({ from: 'now-30d', to: 'now' })
    .refresh('5m')
    .withVariable(datasourceVariable())
    .withVariable(assetClassVariable())
    .withVariable(modelVariable())
    .withVariable(siteVariable());

  d.withRow(new RowBuilder('SLOs').gridPos(grid.row()));
  d.withPanel(
    perSloOverrides(
      new Stat()
        .title('SLO attainment (30d, worst series per SLO)')
        .description(
          'Good events / all events over each SLO’s 30-day period, for its worst asset class or model version. Red below that SLO’s objective.',
        )
        .datasource(datasource)
        .withTarget(
          query('1 - max by (slo) (slo:sli_error:ratio_rate30d)', {
            legend: '{{slo}}',
            instant: true,
          }),
        )
        .unit('percentunit')
        .decimals(2)
        .reduceOptions(last())
        .thresholds(objectiveThresholds(Math.min(...specs.slos.map((s) => s.objective))))
        .links([panelLink('SLOs in the twinops app', `${appUrl}/slos`)])
        .gridPos(grid.place(12, 6)),
      specs,
      (s) => [
        {
          id: 'thresholds',
          value: {
            mode: 'absolute',
            steps: [
              { value: null, color: 'red' },
              { value: s.objective, color: 'green' },
            ],
          },
        },
        { id: 'displayName', value: `${s.title} (${+(s.objective * 100).toFixed(4)}%)` },
      ],
    ),
  );
  d.withPanel(
    new BarGauge()
      .title('Error budget remaining (30d, worst series per SLO)')
      .description(
        '1 = untouched, 0 = spent, below 0 = overspent. Risky changes pause when a budget is spent (runbooks).',
      )
      .datasource(datasource)
      .withTarget(
        query('min by (slo) (slo:error_budget_remaining:ratio)', {
          legend: '{{slo}}',
          instant: true,
        }),
      )
      .unit('percentunit')
      .min(-1)
      .max(1)
      .displayMode(BarGaugeDisplayMode.Gradient)
      .orientation(VizOrientation.Horizontal)
      .reduceOptions(last())
      .thresholds(budgetThresholds())
      .links([runbookLink(specs, 'README.md', 'Runbooks')])
      .gridPos(grid.place(12, 6)),
  );

  d.withRow(new RowBuilder('The fleet now').gridPos(grid.row()));
  d.withPanel(
    new Stat()
      .title('Fleet size')
      .description('Assets held in the twin state.')
      .datasource(datasource)
      .withTarget(query(`sum(twin_site_assets{${fleet}})`, { legend: 'assets', instant: true }))
      .unit('short')
      .reduceOptions(last())
      .thresholds(thresholds([null, 'blue']))
      .links([
        panelLink(
          'Fleet in the twinops app',
          `${appUrl}/fleet?class=\${asset_class}&site=\${site}`,
        ),
      ])
      .gridPos(grid.place(4, 5)),
  );
  d.withPanel(
    new Stat()
      .title('Twin availability: fresh twins')
      .description(
        `Share of twins whose newest physical point is fresh (not stale) at the last evaluation. The freshness SLO asks ${+(freshness.objective * 100).toFixed(4)}% of checks fresh.`,
      )
      .datasource(datasource)
      .withTarget(
        query(`1 - sum(twin_site_stale_assets{${fleet}}) / sum(twin_site_assets{${fleet}})`, {
          legend: 'fresh',
          instant: true,
        }),
      )
      .unit('percentunit')
      .decimals(2)
      .reduceOptions(last())
      .thresholds(objectiveThresholds(freshness.objective))
      .links([runbookLink(specs, 'freshness.md')])
      .gridPos(grid.place(5, 5)),
  );
  d.withPanel(
    new Stat()
      .title('Twin API availability (30d)')
      .description(
        `Twin API requests answered without a 5xx; the SLO is ${+(api.objective * 100).toFixed(4)}%.`,
      )
      .datasource(datasource)
      .withTarget(
        query('1 - max(slo:sli_error:ratio_rate30d{slo="api-availability"})', {
          legend: 'available',
          instant: true,
        }),
      )
      .unit('percentunit')
      .decimals(3)
      .reduceOptions(last())
      .thresholds(objectiveThresholds(api.objective))
      .links([runbookLink(specs, 'api-availability.md')])
      .gridPos(grid.place(5, 5)),
  );
  d.withPanel(
    new Stat()
      .title('Actuation success (period)')
      .description(
        `Commands that ended applied (acked and converged), of all commands with an outcome in the time range. The SLO is ${+(actuation.objective * 100).toFixed(4)}%.`,
      )
      .datasource(datasource)
      .withTarget(
        query(
          `sum(increase(twin_command_outcomes_total{outcome="applied",${cls}}[$__range])) / sum(increase(twin_command_outcomes_total{${cls}}[$__range]))`,
          { legend: 'applied', instant: true },
        ),
      )
      .unit('percentunit')
      .decimals(2)
      .reduceOptions(last())
      .thresholds(objectiveThresholds(actuation.objective))
      .links([
        runbookLink(specs, 'actuation-success.md'),
        panelLink('Commands in the twinops app', `${appUrl}/commands`),
      ])
      .gridPos(grid.place(5, 5)),
  );
  d.withPanel(
    new Stat()
      .title('Prediction accuracy (period)')
      .description(
        `Scored predictions within tolerance (classification correct), all models. The SLO is ${+(accuracy.objective * 100).toFixed(4)}% per model version.`,
      )
      .datasource(datasource)
      .withTarget(
        query(
          'sum(increase(twin_prediction_within_tolerance_total{model=~"$model"}[$__range])) / sum(increase(twin_prediction_scored_total{model=~"$model"}[$__range]))',
          { legend: 'within tolerance', instant: true },
        ),
      )
      .unit('percentunit')
      .decimals(2)
      .reduceOptions(last())
      .thresholds(objectiveThresholds(accuracy.objective))
      .links([runbookLink(specs, 'prediction-accuracy.md')])
      .gridPos(grid.place(5, 5)),
  );

  d.withRow(new RowBuilder('Trends over the period').gridPos(grid.row()));
  d.withPanel(
    new TimeSeries()
      .title('Error budget remaining by SLO')
      .description('The worst class or model version of each SLO, over time.')
      .datasource(datasource)
      .withTarget(query('min by (slo) (slo:error_budget_remaining:ratio)', { legend: '{{slo}}' }))
      .unit('percentunit')
      .thresholds(thresholds([null, 'red'], [0, 'transparent']))
      .thresholdsStyle(lineThresholds())
      .gridPos(grid.place(12, 8)),
  );
  d.withPanel(
    new TimeSeries()
      .title('Prediction accuracy by model')
      .description(
        `Share of scored predictions within tolerance. Dashed: the ${+(accuracy.objective * 100).toFixed(4)}% objective.`,
      )
      .datasource(datasource)
      .withTarget(
        query(
          'sum by (model) (rate(twin_prediction_within_tolerance_total{model=~"$model"}[$__rate_interval])) / sum by (model) (rate(twin_prediction_scored_total{model=~"$model"}[$__rate_interval]))',
          { legend: '{{model}}' },
        ),
      )
      .unit('percentunit')
      .max(1)
      .thresholds(objectiveThresholds(accuracy.objective))
      .thresholdsStyle(lineThresholds())
      .links([
        panelLink(
          'Debug: prediction error by version',
          `/d/${uids.debug}?\${__url_time_range}&var-model=\${model}`,
        ),
      ])
      .gridPos(grid.place(12, 8)),
  );
  d.withPanel(
    new TimeSeries()
      .title('Actuation outcomes')
      .description('Commands reaching each outcome per second; applied is success.')
      .datasource(datasource)
      .withTarget(
        query(`sum by (outcome) (rate(twin_command_outcomes_total{${cls}}[$__rate_interval]))`, {
          legend: '{{outcome}}',
        }),
      )
      .unit('reqps')
      .gridPos(grid.place(8, 8)),
  );
  d.withPanel(
    new TimeSeries()
      .title('Fleet size by class')
      .datasource(datasource)
      .withTarget(
        query(`sum by (asset_class) (twin_site_assets{${fleet}})`, { legend: '{{asset_class}}' }),
      )
      .unit('short')
      .gridPos(grid.place(8, 8)),
  );
  d.withPanel(
    new TimeSeries()
      .title('Stale twins by class')
      .description('Twins whose newest physical point is older than the staleness limit.')
      .datasource(datasource)
      .withTarget(
        query(`sum by (asset_class) (twin_site_stale_assets{${fleet}})`, {
          legend: '{{asset_class}}',
        }),
      )
      .unit('short')
      .thresholds(limitThresholds(1))
      .links([
        panelLink(
          'On-call',
          `/d/${uids.oncall}?\${__url_time_range}&var-asset_class=\${asset_class}`,
        ),
      ])
      .gridPos(grid.place(8, 8)),
  );

  return finalize(d.build());
}
