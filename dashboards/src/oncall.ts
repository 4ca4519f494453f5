/**
 * On-call: what is burning and where. Firing alerts, burn rates per SLO and tier window, sync
 * latency p95/p99 by class, divergence, stale assets, actuation failures by outcome, recent
 * commands, with exporter-start and model-version annotations. Alerts link here with
 * `var-slo`, `var-asset_class`, `var-model`, `var-model_version` and `var-scope`.
 */
import {
  AnnotationQueryBuilder,
  RowBuilder,
  type AnnotationQuery,
} from '@grafana/grafana-foundation-sdk/dashboard';
import {
  BarGaugeDisplayMode,
  TableSortByFieldStateBuilder,
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
  modelVersionVariable,
  notBySite,
  panelLink,
  periodsOf,
  query,
  retentionNote,
  runbookLink,
  scopeVariable,
  siteReasons,
  siteVariable,
  sloVariable,
  thresholds,
  uids,
  withRunbookLabel,
} from './common.js';
import {
  barGauge,
  mergedColumns,
  stat,
  table,
  timeseries,
  zeroOne,
  type PanelOptions,
} from './panels.js';
import type { SloView, Specs, Tier } from './specs.js';

const tierColor = (t: Pick<Tier, 'severity'>) => (t.severity === 'page' ? 'red' : 'orange');

/** The labels the firing-alerts table shows, one column each where some alert has it. */
export const alertColumns = [
  'alertname',
  'severity',
  'tier',
  'slo',
  'asset_class',
  'model',
  'model_version',
  'scope',
  'instance',
  'reason',
  'topic',
] as const;

/**
 * What each SLO's fastest burn-rate alert compares, per SLO: the worst series of
 * min(error ratio over the tier's long window, over its short window) ÷ the error budget, kept
 * only where the long window holds the SLO's `minEvents`. The alert fires when both windows exceed
 * the factor with that many events, i.e. when this does. Each SLO's own fastest tier (its preset,
 * its overrides), so one term per SLO.
 */
export function fastBurnQuery(specs: Specs, selector: string): string {
  const sumBy = (by: string[], expr: string) =>
    by.length ? `sum by (${by.join(', ')}) (${expr})` : `sum(${expr})`;
  const terms = specs.slos.flatMap((s) => {
    const tier = s.tiers[0];
    if (!tier) return [];
    const sel = `slo="${s.name}",${selector}`;
    const long = `twinops_slo:sli_error:ratio_rate${tier.longWindow}{${sel}}`;
    const short = `twinops_slo:sli_error:ratio_rate${tier.shortWindow}{${sel}}`;
    const events = `${sumBy(s.by, `increase(${s.total}[${tier.longWindow}])`)} >= ${s.minEvents}`;
    return [
      `((${long} <= ${short}) or (${short} < ${long})) and on (${s.by.join(', ')}) ${events}`,
    ];
  });
  return (
    `max by (slo) (\n  (\n    ${terms.map((t) => `(${t})`).join('\n    or\n    ')}\n  )\n` +
    '  / on (slo) group_left () twinops_slo:error_budget:ratio\n)'
  );
}

/**
 * Annotations from Prometheus. Grafana's Prometheus annotation support reads the query from
 * `target` and the event's title, text and tags from the fields beside it.
 */
export interface PrometheusAnnotation {
  name: string;
  expr: string;
  iconColor: string;
  step: string;
  titleFormat: string;
  textFormat?: string;
  tagKeys?: string;
  useValueForTime?: boolean;
}

export function prometheusAnnotation(a: PrometheusAnnotation) {
  const built = new AnnotationQueryBuilder()
    .name(a.name)
    .datasource(datasource)
    .enable(true)
    .iconColor(a.iconColor)
    .build() as AnnotationQuery & Record<string, unknown>;
  // The SDK types `target` as the built-in Grafana datasource's; Prometheus' is a PromQuery.
  const annotation = {
    ...built,
    target: { refId: 'Anno', expr: a.expr, interval: a.step },
    titleFormat: a.titleFormat,
    ...(a.textFormat ? { textFormat: a.textFormat } : {}),
    ...(a.tagKeys ? { tagKeys: a.tagKeys } : {}),
    useValueForTime: a.useValueForTime ?? false,
  };
  return { build: () => annotation as unknown as AnnotationQuery };
}

/** Exporter (re)starts — its deploys — at the process start time the exporter reports. */
export const exporterStarts = (specs: Specs) =>
  prometheusAnnotation({
    name: 'Exporter starts',
    expr: `max by (instance) (twin_exporter_process_start_time_seconds{job="${specs.exporterJob}"}) * 1000`,
    iconColor: 'purple',
    step: '1m',
    titleFormat: 'twinops exporter started',
    textFormat: '{{instance}}',
    tagKeys: 'instance',
    useValueForTime: true,
  });

/**
 * Model versions as they appear: a series exists for 10 minutes after a model version first sends
 * predictions (the exporter has no model-version info metric; the first prediction marks the rollout).
 */
export const modelVersionRollouts = () =>
  prometheusAnnotation({
    name: 'Model versions',
    expr: 'group by (model, model_version, vetted) (twin_model_predictions_total{model=~"$model"} unless twin_model_predictions_total offset 10m)',
    iconColor: 'orange',
    step: '1m',
    titleFormat: '{{model}} {{model_version}} first seen',
    textFormat: 'vetted: {{vetted}}',
    tagKeys: 'model,model_version',
  });

export function oncall(specs: Specs) {
  const grid = new Grid();
  const cls = 'asset_class=~"$asset_class"';
  // The fleet gauges also carry the site.
  const fleet = 'asset_class=~"$asset_class",site=~"$site"';
  const name = (n: string) => specs.slos.find((s) => s.name === n)!;
  const actuation = name('actuation-success');

  const d = baseDashboard('oncall', specs)
    .description(
      'Triage: firing alerts, error-budget burn per SLO and window, sync latency, divergence, stale twins and actuation. Alerts link here with their SLO and class selected.',
    )
    .time({ from: 'now-6h', to: 'now' })
    .refresh('30s')
    .variables([
      datasourceVariable(),
      sloVariable(),
      assetClassVariable(),
      modelVariable(),
      modelVersionVariable(),
      scopeVariable(),
      siteVariable(),
    ])
    .annotations([exporterStarts(specs), modelVersionRollouts()]);

  d.withRow(new RowBuilder('Now').gridPos(grid.row()));
  const runbookUrl = `${specs.runbooks}/\${__data.fields.runbook}`;
  d.withPanel(
    table({
      title: 'Firing alerts',
      description:
        'Alerts firing in this Prometheus, newest first, with the labels that say where: SLO, tier, class or model version, kill-switch scope, exporter instance, reject reason, Kafka topic (a column appears when some alert has that label). Active since: when the alert became active (ALERTS_FOR_STATE), its `for` included. Runbook: the page the alert’s runbook_url opens (click the alert name or the file). ' +
        notBySite(siteReasons.alerts),
      targets: [
        query(
          withRunbookLabel(
            `min by (${alertColumns.join(', ')}) (ALERTS_FOR_STATE and ignoring (alertstate) ALERTS{alertstate="firing"}) * 1000`,
            specs,
          ),
          { instant: true, table: true },
        ),
      ],
      transformations: [
        {
          id: 'organize',
          options: {
            excludeByName: { Time: true },
            indexByName: Object.fromEntries(
              [...alertColumns, 'Value', 'runbook'].map((name, i) => [name, i]),
            ),
            renameByName: { Value: 'Active since' },
          },
        },
      ],
      sortBy: [new TableSortByFieldStateBuilder().displayName('Active since').desc(true)],
      overrides: {
        'Active since': [{ id: 'unit', value: 'dateTimeFromNow' }],
        alertname: [
          {
            id: 'links',
            value: [{ title: `Runbook for \${__value.text}`, url: runbookUrl, targetBlank: true }],
          },
        ],
        runbook: [
          {
            id: 'links',
            value: [{ title: `Open \${__value.text}`, url: runbookUrl, targetBlank: true }],
          },
        ],
      },
      links: [runbookLink(specs, 'README.md', 'Runbooks')],
      gridPos: grid.place(12, 7),
    }),
  );
  /** How many twins are stale or diverged now, with their runbook and list in the app. */
  const twinsNow = (status: 'stale' | 'diverged', description: string, runbook: string) => {
    const Status = status === 'stale' ? 'Stale' : 'Diverged';
    return stat({
      title: `${Status} twins`,
      description,
      targets: [
        query(`sum(twin_site_${status}_assets{${fleet}})`, { legend: status, instant: true }),
      ],
      unit: 'short',
      thresholds: limitThresholds(1),
      links: [
        runbookLink(specs, runbook),
        panelLink(
          `${Status} assets in the twinops app`,
          `${appUrl}/fleet?class=\${asset_class}&site=\${site}&status=${status}`,
        ),
      ],
      gridPos: grid.place(3, 7),
    });
  };
  d.withPanel(
    twinsNow(
      'stale',
      'Twins whose newest physical point is older than the staleness limit, at the exporter’s last evaluation, of the selected classes and sites.',
      'freshness.md',
    ),
  );
  d.withPanel(
    twinsNow(
      'diverged',
      'Twins that differ from their physical asset beyond tolerance for longer than the grace period, at the last evaluation, of the selected classes and sites.',
      'divergence.md',
    ),
  );
  const fast = specs.tiers[0]!;
  const fastest = (s: SloView) => s.tiers[0];
  // SLOs whose fastest tier is not the default one (another preset, or overridden).
  const ownFastest = specs.slos.filter((s) => {
    const own = fastest(s);
    return (
      own &&
      (own.id !== fast.id ||
        own.factor !== fast.factor ||
        own.severity !== fast.severity ||
        own.longWindow !== fast.longWindow ||
        own.shortWindow !== fast.shortWindow ||
        own.for !== fast.for)
    );
  });
  const tierText = (t: Tier) =>
    `${t.longWindow} and ${t.shortWindow}, ${t.severity === 'page' ? 'pages' : 'tickets'} above ${t.factor}× for ${t.for}`;
  const tierThresholds = (t: Tier) => thresholds([null, 'green'], [t.factor, tierColor(t)]);
  d.withPanel(
    stat({
      title: 'Burn rate now, fastest tier (worst)',
      description: `What each SLO’s fastest burn-rate alert compares, for the worst of the selected classes or model versions: the smaller of the burn rates over the tier’s two windows (burn = error ratio ÷ the SLO’s error budget), shown only where the long window holds the SLO’s minimum number of events. The alert fires when both windows exceed the factor, so this reaches the factor (red for a page, orange for a ticket) only while the alert’s condition holds; it still waits its \`for\`. The ${fast.id} tier: ${tierText(fast)}.${ownFastest.map((s) => ` ${s.name}: its ${fastest(s)!.id} tier, ${tierText(fastest(s)!)}.`).join('')} 1× spends the budget exactly over the period. ${notBySite(siteReasons.slo)}`,
      targets: [
        query(fastBurnQuery(specs, `slo=~"$slo",${cls}`), { legend: '{{slo}}', instant: true }),
      ],
      // An SLO whose fastest tier has another factor or severity gets its own threshold.
      overrides: Object.fromEntries(
        ownFastest
          .map((s) => [s.name, fastest(s)!] as const)
          .filter(([, own]) => own.factor !== fast.factor || own.severity !== fast.severity)
          .map(([slo, own]) => [slo, [{ id: 'thresholds', value: tierThresholds(own).build() }]]),
      ),
      unit: 'x',
      decimals: 1,
      thresholds: tierThresholds(fast),
      gridPos: grid.place(3, 7),
    }),
  );
  d.withPanel(
    stat({
      title: 'Kill switches',
      description: `1: engaged, every command for that scope (an asset class, or global) is refused. ${notBySite(siteReasons.commands)}`,
      targets: [
        query('max by (scope) (twin_command_kill_switch_engaged{scope=~"$scope"})', {
          legend: '{{scope}}',
          instant: true,
        }),
      ],
      mappings: zeroOne(['off', 'green'], ['ENGAGED', 'red']),
      thresholds: limitThresholds(1),
      links: [runbookLink(specs, 'kill-switch-engaged.md')],
      gridPos: grid.place(3, 7),
    }),
  );

  d.withRow(new RowBuilder('Error budget burn ($slo)').gridPos(grid.row()));
  /** SLOs whose alerts do not use this default tier as drawn (another preset, or overrides). */
  const otherTiers = (tier: Tier) => {
    const differ = specs.slos.flatMap((s) => {
      const own = s.tiers.find((t) => t.id === tier.id);
      if (!own)
        return [
          `${s.name} has no ${tier.id} tier (its tiers: ${s.tiers.map((t) => t.id).join(', ')})`,
        ];
      const changes = [
        own.longWindow !== tier.longWindow || own.shortWindow !== tier.shortWindow
          ? `windows ${own.longWindow} and ${own.shortWindow}`
          : '',
        own.factor !== tier.factor ? `factor ${own.factor}×` : '',
        own.severity !== tier.severity ? `severity ${own.severity}` : '',
        own.for !== tier.for ? `for ${own.for}` : '',
      ].filter(Boolean);
      return changes.length ? [`${s.name}’s ${tier.id} tier has ${changes.join(', ')}`] : [];
    });
    return differ.length ? ` Not every SLO uses this tier as drawn: ${differ.join('; ')}.` : '';
  };
  const burn = (window: string) =>
    query(
      `twinops_slo:sli_error:ratio_rate${window}{slo=~"$slo",${cls}} / on (slo) group_left () twinops_slo:error_budget:ratio`,
      { legend: `{{slo}} {{asset_class}}{{model}} {{model_version}} ${window}` },
    );
  for (const tier of specs.tiers) {
    d.withPanel(
      timeseries({
        title: `Burn rate, ${tier.id} tier: ${tier.longWindow} and ${tier.shortWindow} (${tier.severity} above ${tier.factor}×)`,
        description: `Error ratio over each window ÷ the SLO’s error budget, per class or model version. The ${tier.id} tier ${tier.severity === 'page' ? 'pages' : 'opens a ticket'} when both windows stay above ${tier.factor}× (dashed) for ${tier.for}, with at least the SLO’s minimum number of events in the long window.${otherTiers(tier)} ${notBySite(siteReasons.slo)}`,
        targets: [burn(tier.longWindow), burn(tier.shortWindow)],
        unit: 'x',
        min: 0,
        thresholds: tierThresholds(tier),
        dashed: true,
        gridPos: grid.place(6, 8),
      }),
    );
  }
  d.withPanel(
    barGauge({
      title: 'Error budget remaining ($slo)',
      description: `Per SLO and class (or model version) over the ${periodsOf(specs.slos)} SLO period (twinops_slo:error_budget_remaining:ratio): each has its own budget, the one its burn-rate alerts spend. 1 untouched, 0 spent, below 0 overspent (shown as far as it goes: −250% is −250%). ${retentionNote(specs.slos)} ${notBySite(siteReasons.slo)}`,
      targets: [
        query(`twinops_slo:error_budget_remaining:ratio{slo=~"$slo",${cls}}`, {
          legend: '{{slo}} {{asset_class}}{{model}} {{model_version}}',
          instant: true,
        }),
      ],
      unit: 'percentunit',
      max: 1,
      displayMode: BarGaugeDisplayMode.Basic,
      thresholds: budgetThresholds(),
      links: specs.slos.map((s) =>
        runbookLink(specs, s.runbookUrl.slice(specs.runbooks.length + 1), `Runbook: ${s.title}`),
      ),
      gridPos: grid.place(24, 8),
    }),
  );

  d.withRow(new RowBuilder('Sync and state ($asset_class)').gridPos(grid.row()));
  const syncQuantile = (q: number) =>
    query(
      `histogram_quantile(${q}, sum by (asset_class, le) (rate(twin_sync_latency_seconds_bucket{source="physical",${cls}}[$__rate_interval])))`,
      { legend: `{{asset_class}} p${Math.round(q * 100)}` },
    );
  d.withPanel(
    timeseries({
      title: 'Sync latency p95 / p99 by class (physical points)',
      description: `Exporter receipt time − source observation time. The sync-latency SLO counts a point good within ${specs.syncLatencyThreshold} s (dashed). ${notBySite(siteReasons.sli)}`,
      targets: [syncQuantile(0.95), syncQuantile(0.99)],
      unit: 's',
      min: 0,
      thresholds: limitThresholds(specs.syncLatencyThreshold),
      dashed: true,
      links: [runbookLink(specs, 'sync-latency.md')],
      gridPos: grid.place(12, 8),
    }),
  );
  /** Diverged or stale twins per class over time, against 1. */
  const twinsByClass = (
    status: 'stale' | 'diverged',
    o: Pick<PanelOptions, 'title' | 'description' | 'links'>,
  ) =>
    timeseries({
      ...o,
      targets: [
        query(`sum by (asset_class) (twin_site_${status}_assets{${fleet}})`, {
          legend: '{{asset_class}}',
        }),
      ],
      unit: 'short',
      min: 0,
      thresholds: limitThresholds(1),
      gridPos: grid.place(6, 8),
    });
  d.withPanel(
    twinsByClass('diverged', {
      title: 'Diverged twins by class',
      description:
        'Assets whose twin differs from the physical state beyond tolerance for longer than the grace period, of the selected classes and sites.',
      links: [runbookLink(specs, 'divergence.md')],
    }),
  );
  d.withPanel(
    twinsByClass('stale', {
      title: 'Stale twins by class',
      description:
        'Twins whose newest physical point is older than the staleness limit, of the selected classes and sites. A whole class stale at once: see the telemetry-absent runbook.',
      links: [
        runbookLink(specs, 'freshness.md'),
        runbookLink(specs, 'telemetry-absent.md', 'Runbook: telemetry absent'),
      ],
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Convergence p95 by class, and oldest unconverged change',
      description: `Time from a new desired version to the matching reported one. The convergence SLO counts a change good within ${specs.convergenceThreshold} s (dashed); changes never reported show as the oldest unconverged age. ${notBySite(siteReasons.sli)}`,
      targets: [
        query(
          `histogram_quantile(0.95, sum by (asset_class, le) (rate(twin_convergence_seconds_bucket{${cls}}[$__rate_interval])))`,
          { legend: '{{asset_class}} p95' },
        ),
        query(`max by (asset_class) (twin_unconverged_oldest_age_seconds{${cls}})`, {
          legend: '{{asset_class}} oldest unconverged',
        }),
      ],
      unit: 's',
      min: 0,
      thresholds: limitThresholds(specs.convergenceThreshold),
      dashed: true,
      links: [runbookLink(specs, 'convergence.md')],
      gridPos: grid.place(12, 8),
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Prediction error ratio by model version ($model)',
      description: `Scored predictions outside tolerance, over Grafana’s rate interval; the prediction-accuracy SLO allows its error budget (dashed). ${notBySite(siteReasons.predictions)}`,
      targets: [
        query(
          '1 - sum by (model, model_version) (rate(twin_prediction_within_tolerance_total{model=~"$model",model_version=~"$model_version"}[$__rate_interval])) / sum by (model, model_version) (rate(twin_prediction_scored_total{model=~"$model",model_version=~"$model_version"}[$__rate_interval]))',
          { legend: '{{model}} {{model_version}}' },
        ),
      ],
      unit: 'percentunit',
      min: 0,
      thresholds: limitThresholds(name('prediction-accuracy').errorBudget),
      dashed: true,
      links: [
        runbookLink(specs, 'prediction-accuracy.md'),
        panelLink(
          'Debug: prediction error by version',
          `/d/${uids.debug}?\${__url_time_range}&var-model=\${model}`,
        ),
      ],
      gridPos: grid.place(12, 8),
    }),
  );

  d.withRow(new RowBuilder('Actuation ($asset_class)').gridPos(grid.row()));
  d.withPanel(
    timeseries({
      title: 'Actuation failure rate by outcome',
      description: `Commands ending in each non-applied outcome, as a share of all outcomes. The actuation-success SLO allows ${+(actuation.errorBudget * 100).toFixed(4)}% (dashed). ${notBySite(siteReasons.commands)}`,
      targets: [
        query(
          `sum by (outcome) (rate(twin_command_outcomes_total{outcome!="applied",${cls}}[$__rate_interval])) / ignoring (outcome) group_left () sum(rate(twin_command_outcomes_total{${cls}}[$__rate_interval]))`,
          { legend: '{{outcome}}' },
        ),
      ],
      unit: 'percentunit',
      min: 0,
      thresholds: limitThresholds(actuation.errorBudget),
      dashed: true,
      links: [runbookLink(specs, 'actuation-success.md')],
      gridPos: grid.place(12, 8),
    }),
  );
  d.withPanel(
    table({
      title: 'Recent commands (time range)',
      description: `Command outcomes and guard refusals in the time range, by class and command. Each command’s detail, approvals and audit trail are in the twinops app. ${notBySite(siteReasons.commands)}`,
      targets: [
        query(
          `sort_desc(sum by (asset_class, command, outcome) (increase(twin_command_outcomes_total{${cls}}[$__range]))) > 0`,
          { instant: true, table: true },
        ),
        query(
          'sort_desc(sum by (guard, code) (increase(twin_command_refusals_total[$__range]))) > 0',
          { instant: true, table: true },
        ),
      ],
      transformations: mergedColumns({ 'Value #A': 'outcomes', 'Value #B': 'refusals' }),
      links: [
        panelLink('Commands in the twinops app', `${appUrl}/commands`),
        panelLink('Audit log', `${appUrl}/audit`),
      ],
      gridPos: grid.place(12, 8),
    }),
  );
  const p95 = (metric: string, what: string) =>
    query(
      `histogram_quantile(0.95, sum by (asset_class, le) (rate(${metric}{${cls}}[$__rate_interval])))`,
      { legend: `{{asset_class}} ${what} p95` },
    );
  d.withPanel(
    timeseries({
      title: 'Command ack and convergence p95, outbox depth and dispatch failures',
      description: `p95 of dispatch to the device’s ack, and of dispatch to the reported state matching the command, per class; commands accepted and not yet sent to the devices (outbox depth); failed attempts to hand commands to the devices, per second (retried). ${notBySite(siteReasons.commands)}`,
      targets: [
        p95('twin_command_ack_seconds_bucket', 'ack'),
        p95('twin_command_convergence_seconds_bucket', 'convergence'),
        query('sum(twin_command_outbox_depth)', { legend: 'outbox depth' }),
        query('sum(rate(twin_command_dispatch_failures_total[$__rate_interval]))', {
          legend: 'dispatch failures',
        }),
      ],
      overrides: {
        'outbox depth': [
          { id: 'unit', value: 'short' },
          { id: 'custom.axisPlacement', value: 'right' },
        ],
        'dispatch failures': [
          { id: 'unit', value: 'cps' },
          { id: 'custom.axisPlacement', value: 'right' },
        ],
      },
      unit: 's',
      min: 0,
      gridPos: grid.place(12, 7),
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Guard refusals by code',
      description:
        'Commands refused before dispatch, by the guard and its stable reason code; and write ' +
        'requests refused before their body was read, for want of a valid login (never ' +
        `audited: counted by route and reason). ${notBySite(siteReasons.commands)}`,
      targets: [
        query('sum by (guard, code) (rate(twin_command_refusals_total[$__rate_interval]))', {
          legend: '{{guard}}: {{code}}',
        }),
        query(
          'sum by (route, reason) (rate(twin_command_unauthenticated_total[$__rate_interval]))',
          { legend: 'unauthenticated {{route}}: {{reason}}' },
        ),
      ],
      unit: 'reqps',
      min: 0,
      gridPos: grid.place(12, 7),
    }),
  );

  return finalize(d.build());
}
