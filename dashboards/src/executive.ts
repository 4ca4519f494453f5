/**
 * Executive: is the twin fleet telling the truth, and is it worth it? SLO attainment and error
 * budget per SLO, twin API availability, actuation success and prediction accuracy, fresh twins
 * and fleet size, now and as trends over the period (30 days by default, the SLO period). Every SLI
 * number is its SLO's own (`periodErrorRatio`): the same definition on every panel that shows it.
 */
import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { BarGaugeDisplayMode } from '@grafana/grafana-foundation-sdk/common';
import {
  Grid,
  appUrl,
  assetClassVariable,
  baseDashboard,
  budgetThresholds,
  datasourceVariable,
  finalize,
  limitThresholds,
  modelVariable,
  notBySite,
  objectiveThresholds,
  panelLink,
  periodErrorRatio,
  periodsOf,
  query,
  retentionNote,
  runbookLink,
  siteReasons,
  siteVariable,
  thresholds,
  uids,
} from './common.js';
import { barGauge, stat, timeseries, type PanelOptions } from './panels.js';
import type { SloView, Specs } from './specs.js';

function slo(specs: Specs, name: string): SloView {
  const found = specs.slos.find((s) => s.name === name);
  if (!found) throw new Error(`no SLO ${name} in alerts/slos`);
  return found;
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
  // SLO series: those of the selected classes and models; a series without the label (an SLO
  // kept by model version has no class, API availability has neither) is kept whatever is chosen.
  const sloSel = 'asset_class=~"$asset_class|",model=~"$model|"';
  const period = periodsOf(specs.slos);
  const retention = retentionNote(specs.slos);
  const plural: Record<string, string> = {
    asset_class: 'classes',
    model: 'models',
    model_version: 'model versions',
  };
  const pct = (ratio: number) => `${+(ratio * 100).toFixed(4)}%`;
  const sloSite = notBySite(siteReasons.slo);
  /** The SLO's attainment over its period: 1 − periodErrorRatio, the number every panel shows. */
  const attainment = (slos: SloView[]) => `1 - (${periodErrorRatio(specs, slos, sloSel)})`;
  const sloNumber = (s: SloView, what: string) =>
    `${what} over the ${s.period} SLO period: good ÷ all events of the ${s.name} SLO (${s.title}), ` +
    `summed over the period from its own recordings (each moment weighted by its traffic)` +
    `${s.by.length ? ` and across its ${s.by.map((l) => plural[l] ?? l).join(' and ')} in the selection` : ''}: ` +
    `the same number as its entry in “SLO attainment”. The SLO is ${pct(s.objective)}.`;

  const d = baseDashboard('executive', specs)
    .description(
      `SLO status, error budgets and the fleet’s health for leaders. SLO numbers are over the SLO period (${period}) whatever the time picker says; trends follow the time picker.`,
    )
    .time({ from: 'now-30d', to: 'now' })
    .refresh('5m')
    .variables([datasourceVariable(), assetClassVariable(), modelVariable(), siteVariable()]);

  d.withRow(new RowBuilder('SLOs').gridPos(grid.row()));
  d.withPanel(
    stat({
      title: `SLO attainment (${period})`,
      description: `Good ÷ all events of each SLO over its ${period} period, summed from the SLO’s own recordings (each moment weighted by its traffic) across the selected classes or model versions: the definition the SLO’s budget uses, and the number the other SLI panels here show. Red below that SLO’s objective. Each class or model version also has its own budget, which its alerts burn (“Error budget remaining by SLO and class or model version”, and the on-call dashboard). ${retention} ${sloSite}`,
      targets: [query(attainment(specs.slos), { legend: '{{slo}}', instant: true })],
      // Per SLO: its own objective as the threshold, its title as the name.
      overrides: Object.fromEntries(
        specs.slos.map((s) => [
          s.name,
          [
            { id: 'thresholds', value: objectiveThresholds(s.objective).build() },
            { id: 'displayName', value: `${s.title} (${pct(s.objective)})` },
          ],
        ]),
      ),
      unit: 'percentunit',
      decimals: 2,
      thresholds: objectiveThresholds(Math.min(...specs.slos.map((s) => s.objective))),
      links: [panelLink('SLOs in the twinops app', `${appUrl}/slos`)],
      gridPos: grid.place(10, 6),
    }),
  );
  d.withPanel(
    barGauge({
      title: `Error budget remaining (${period})`,
      description: `1 − (error ratio ÷ error budget), from the same error ratio as “SLO attainment”: 1 = untouched, 0 = spent, below 0 = overspent (shown as far as it goes: −250% is −250%). Risky changes pause when a budget is spent (runbooks). ${retention} ${sloSite}`,
      targets: [
        query(
          `1 - (${periodErrorRatio(specs, specs.slos, sloSel)}) / on (slo) group_left () twinops_slo:error_budget:ratio`,
          { legend: '{{slo}}', instant: true },
        ),
      ],
      unit: 'percentunit',
      max: 1,
      displayMode: BarGaugeDisplayMode.Gradient,
      thresholds: budgetThresholds(),
      links: [runbookLink(specs, 'README.md', 'Runbooks')],
      gridPos: grid.place(9, 6),
    }),
  );
  d.withPanel(
    stat({
      title: `Classes or model versions over budget (${period})`,
      description: `Per SLO, how many classes or model versions have spent more than their own error budget (twinops_slo:error_budget_remaining:ratio below 0): each has its own budget and its own burn-rate alerts, so one can be overspent while the SLO as a whole is within it. Details on the on-call dashboard. ${retention} ${sloSite}`,
      targets: [
        query(`count by (slo) (twinops_slo:error_budget_remaining:ratio{${sloSel}} < 0)`, {
          legend: '{{slo}}',
          instant: true,
        }),
      ],
      unit: 'short',
      noValue: 'none',
      thresholds: limitThresholds(1),
      links: [
        panelLink(
          'On-call: error budget remaining',
          `/d/${uids.oncall}?\${__url_time_range}&var-asset_class=\${asset_class}&var-model=\${model}`,
        ),
      ],
      gridPos: grid.place(5, 6),
    }),
  );

  d.withRow(new RowBuilder('The fleet now').gridPos(grid.row()));
  d.withPanel(
    stat({
      title: 'Fleet size',
      description: 'Assets held in the twin state, of the selected classes and sites.',
      targets: [query(`sum(twin_site_assets{${fleet}})`, { legend: 'assets', instant: true })],
      unit: 'short',
      thresholds: thresholds([null, 'blue']),
      links: [
        panelLink(
          'Fleet in the twinops app',
          `${appUrl}/fleet?class=\${asset_class}&site=\${site}`,
        ),
      ],
      gridPos: grid.place(4, 5),
    }),
  );
  d.withPanel(
    stat({
      title: 'Fresh twins now',
      description: `Share of twins whose newest physical point is fresh (not stale) at the exporter’s last evaluation, of the selected classes and sites. A snapshot, not the freshness SLO: that counts fresh checks over its ${freshness.period} period (“SLO attainment”). Red below the freshness objective, ${pct(freshness.objective)}.`,
      targets: [
        query(`1 - sum(twin_site_stale_assets{${fleet}}) / sum(twin_site_assets{${fleet}})`, {
          legend: 'fresh',
          instant: true,
        }),
      ],
      unit: 'percentunit',
      decimals: 2,
      thresholds: objectiveThresholds(freshness.objective),
      links: [runbookLink(specs, 'freshness.md')],
      gridPos: grid.place(5, 5),
    }),
  );
  /** One SLO's attainment over its period, against its objective. */
  const sloStat = (
    s: SloView,
    o: {
      title: string;
      what: string;
      legend: string;
      decimals: number;
      links: PanelOptions['links'];
    },
  ) =>
    stat({
      title: `${o.title} (${s.period})`,
      description: `${sloNumber(s, o.what)} ${retention} ${sloSite}`,
      targets: [query(attainment([s]), { legend: o.legend, instant: true })],
      unit: 'percentunit',
      decimals: o.decimals,
      thresholds: objectiveThresholds(s.objective),
      links: o.links,
      gridPos: grid.place(5, 5),
    });
  d.withPanel(
    sloStat(api, {
      title: 'Twin API availability',
      what: 'Twin API requests answered without a 5xx',
      legend: 'available',
      decimals: 3,
      links: [runbookLink(specs, 'api-availability.md')],
    }),
  );
  d.withPanel(
    sloStat(actuation, {
      title: 'Actuation success',
      what: 'Commands that ended applied (acked and converged), of all commands with an outcome,',
      legend: 'applied',
      decimals: 2,
      links: [
        runbookLink(specs, 'actuation-success.md'),
        panelLink('Commands in the twinops app', `${appUrl}/commands`),
      ],
    }),
  );
  d.withPanel(
    sloStat(accuracy, {
      title: 'Prediction accuracy',
      what: 'Scored predictions within tolerance (classification correct)',
      legend: 'within tolerance',
      decimals: 2,
      links: [runbookLink(specs, 'prediction-accuracy.md')],
    }),
  );

  d.withRow(new RowBuilder('Trends over the period').gridPos(grid.row()));
  d.withPanel(
    timeseries({
      title: 'Error budget remaining by SLO and class or model version',
      description: `Each class or model version’s own budget over time (twinops_slo:error_budget_remaining:ratio), the one its burn-rate alerts spend: “Error budget remaining” above combines them, weighted by traffic. Below 0 (red) is overspent, with no floor. ${retention} ${sloSite}`,
      targets: [
        query(`twinops_slo:error_budget_remaining:ratio{${sloSel}}`, {
          legend: '{{slo}} {{asset_class}}{{model}} {{model_version}}',
        }),
      ],
      unit: 'percentunit',
      max: 1,
      thresholds: thresholds([null, 'red'], [0, 'transparent']),
      dashed: true,
      gridPos: grid.place(12, 8),
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Prediction accuracy by model',
      description: `Share of scored predictions within tolerance, over Grafana’s rate interval: the trend, not the ${accuracy.period} SLO number. Dashed: the ${pct(accuracy.objective)} objective. ${notBySite(siteReasons.predictions)}`,
      targets: [
        query(
          'sum by (model) (rate(twin_prediction_within_tolerance_total{model=~"$model"}[$__rate_interval])) / sum by (model) (rate(twin_prediction_scored_total{model=~"$model"}[$__rate_interval]))',
          { legend: '{{model}}' },
        ),
      ],
      unit: 'percentunit',
      max: 1,
      thresholds: objectiveThresholds(accuracy.objective),
      dashed: true,
      links: [
        panelLink(
          'Debug: prediction error by version',
          `/d/${uids.debug}?\${__url_time_range}&var-model=\${model}`,
        ),
      ],
      gridPos: grid.place(12, 8),
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Actuation outcomes',
      description: `Commands reaching each outcome per second; applied is success. ${notBySite(siteReasons.commands)}`,
      targets: [
        query(`sum by (outcome) (rate(twin_command_outcomes_total{${cls}}[$__rate_interval]))`, {
          legend: '{{outcome}}',
        }),
      ],
      unit: 'reqps',
      gridPos: grid.place(8, 8),
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Fleet size by class',
      description: 'Assets held in the twin state per class, of the selected classes and sites.',
      targets: [
        query(`sum by (asset_class) (twin_site_assets{${fleet}})`, { legend: '{{asset_class}}' }),
      ],
      unit: 'short',
      gridPos: grid.place(8, 8),
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Stale twins by class',
      description:
        'Twins whose newest physical point is older than the staleness limit, of the selected classes and sites.',
      targets: [
        query(`sum by (asset_class) (twin_site_stale_assets{${fleet}})`, {
          legend: '{{asset_class}}',
        }),
      ],
      unit: 'short',
      thresholds: limitThresholds(1),
      links: [
        panelLink(
          'On-call',
          `/d/${uids.oncall}?\${__url_time_range}&var-asset_class=\${asset_class}`,
        ),
      ],
      gridPos: grid.place(8, 8),
    }),
  );

  return finalize(d.build());
}
