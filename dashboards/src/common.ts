/**
 * The pieces every dashboard shares: the Prometheus datasource variable, the template variables,
 * links between the three dashboards, to runbooks and to the twinops app, a small grid layout,
 * query and threshold helpers, and the last pass that numbers panels and queries.
 */
import {
  DashboardBuilder,
  DashboardLinkBuilder,
  DashboardLinkType,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableHide,
  VariableRefresh,
  VariableSort,
  type DataSourceRef,
  type Dashboard,
  type Panel,
  type RowPanel,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { minimumRetention, type SloView, type Specs } from './specs.js';

export const pluginId = 'twinops-twinops-app';
export const appUrl = `/a/${pluginId}`;
export const uids = {
  executive: 'twinops-executive',
  oncall: 'twinops-oncall',
  debug: 'twinops-debug',
} as const;
export type DashboardKey = keyof typeof uids;
export const titles: Record<DashboardKey, string> = {
  executive: 'twinops / Executive',
  oncall: 'twinops / On-call',
  debug: 'twinops / Debug',
};

/** Every panel and variable reads the Prometheus chosen in `$datasource`. */
export const datasource: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

// ---------------------------------------------------------------------------------------------
// Template variables. Their names are the ones the alerts' dashboard_url sets (var-asset_class,
// var-slo, var-model, var-model_version, var-instance, var-topic, var-reason, var-scope).

export function datasourceVariable() {
  return new DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus');
}

/** A multi-value label filter from Prometheus; "All" is `.*`, so unlabelled series still match. */
export function labelVariable(
  name: string,
  label: string,
  query: string,
  options: { multi?: boolean; description?: string } = {},
) {
  const v = new QueryVariableBuilder(name)
    .label(label)
    .datasource(datasource)
    .query(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(options.multi ?? true)
    .includeAll(true)
    .allValue('.*')
    .current({ text: 'All', value: '$__all', selected: true });
  if (options.description) v.description(options.description);
  return v;
}

export const assetClassVariable = () =>
  labelVariable('asset_class', 'Asset class', 'label_values(twin_assets, asset_class)');
export const modelVariable = () =>
  labelVariable('model', 'Model', 'label_values(twin_model_predictions_total, model)');
export const modelVersionVariable = () =>
  labelVariable(
    'model_version',
    'Model version',
    'label_values(twin_model_predictions_total{model=~"$model"}, model_version)',
  );
export const sloVariable = () =>
  labelVariable('slo', 'SLO', 'label_values(twinops_slo:objective:ratio, slo)');

/** Sites as the fleet gauges report them (`unknown`: assets that reported none). */
export const siteVariable = () =>
  labelVariable(
    'site',
    'Site',
    'label_values(twin_site_assets{asset_class=~"$asset_class"}, site)',
  );

/** Kill-switch scopes (an asset class, or `global`), for the on-call dashboard. */
export const scopeVariable = () =>
  labelVariable(
    'scope',
    'Kill switch scope',
    'label_values(twin_command_kill_switch_engaged, scope)',
  );

// The debug dashboard's: exporter instance, asset, reject reason and Kafka topic.
export const instanceVariable = (specs: Specs) =>
  labelVariable('instance', 'Exporter', `label_values(up{job="${specs.exporterJob}"}, instance)`);
export const assetIdVariable = () =>
  labelVariable(
    'asset_id',
    'Asset (per-asset series)',
    'label_values(twin_asset_sync_latency_seconds_last{asset_class=~"$asset_class"}, asset_id)',
    { description: 'Only with the exporter’s metrics.perAsset on (capped at perAsset.maxAssets).' },
  );
export const reasonVariable = () =>
  labelVariable(
    'reason',
    'Reject reason',
    'label_values(twin_exporter_ingest_rejected_points_total, reason)',
  );
export const topicVariable = () =>
  labelVariable('topic', 'Kafka topic', 'label_values(twin_exporter_kafka_consumer_lag, topic)');

/**
 * The sentence every panel the `site` variable does not filter carries in its description: only
 * the fleet gauges (`twin_site_*`) have a site label.
 */
export const notBySite = (why: string) => `Not filtered by site: ${why}.`;
export const siteReasons = {
  sli: 'the SLI counters are per class',
  slo: 'the SLO recordings are per class or model version',
  alerts: 'alerts carry no site label',
  commands: 'command metrics carry the class, not the site',
  predictions: 'prediction metrics are per model version',
  exporter: 'the exporter’s own metrics are per exporter instance',
  perAsset: 'per-asset series carry the asset and its class, not the site',
} as const;

export const hiddenVariable = (v: { hide(h: VariableHide): unknown }) =>
  v.hide(VariableHide.HideVariable);

// ---------------------------------------------------------------------------------------------
// Links

/** The other dashboards, keeping the time range and the variables they share. */
export function dashboardLinks(self: DashboardKey, specs: Specs) {
  const links = (Object.keys(uids) as DashboardKey[])
    .filter((k) => k !== self)
    .map((k) =>
      new DashboardLinkBuilder(titles[k].replace('twinops / ', ''))
        .type(DashboardLinkType.Link)
        .url(`/d/${uids[k]}`)
        .icon('dashboard')
        .tooltip(titles[k])
        .keepTime(true)
        .includeVars(true),
    );
  links.push(
    new DashboardLinkBuilder('Runbooks')
      .type(DashboardLinkType.Link)
      .url(`${specs.runbooks}/README.md`)
      .icon('doc')
      .tooltip('One page per alert: what it means, how to confirm it here, what to do')
      .targetBlank(true),
    new DashboardLinkBuilder('twinops app')
      .type(DashboardLinkType.Link)
      .url(`${appUrl}/fleet?class=\${asset_class}&site=\${site}`)
      .icon('apps')
      .tooltip('Fleet, assets, commands, approvals and audit in the twinops app'),
  );
  return links;
}

/** A panel link (shown in the panel's header menu). */
export function panelLink(title: string, url: string, targetBlank = false) {
  return new DashboardLinkBuilder(title)
    .type(DashboardLinkType.Link)
    .url(url)
    .targetBlank(targetBlank)
    .icon('external link');
}

export function runbookLink(specs: Specs, file: string, title = 'Runbook') {
  return panelLink(title, `${specs.runbooks}/${file}`, true);
}

/**
 * A data link on each series of a per-asset panel: opens that asset in the twinops app. The id goes
 * in the query, percent-encoded, so ids with `/`, `:`, `#` or spaces arrive whole.
 */
export function assetPageLink() {
  return new DashboardLinkBuilder('Open ${__field.labels.asset_id} in the twinops app')
    .type(DashboardLinkType.Link)
    .url(`${appUrl}/asset?id=\${__field.labels.asset_id:percentencode}`);
}

// ---------------------------------------------------------------------------------------------
// Queries

export interface QueryOptions {
  legend?: string;
  instant?: boolean;
  table?: boolean;
}

export function query(expr: string, options: QueryOptions = {}) {
  const q = new DataqueryBuilder().expr(expr).datasource(datasource);
  if (options.legend !== undefined) q.legendFormat(options.legend);
  if (options.instant) q.instant();
  else q.range();
  if (options.table) q.format(PromQueryFormat.Table);
  return q;
}

// ---------------------------------------------------------------------------------------------
// SLO numbers over the period

/**
 * Failed ÷ all events of the SLOs over their period, by `slo`, for the series `selector` keeps:
 * `twinops_slo:sli_error:ratio_rate<period>`'s own definition (the SLO's `…:rate<base window>`
 * recordings summed over the period, so each moment weighs by its traffic), summed across the
 * selected classes or model versions as well. For one class it is that class's
 * `ratio_rate<period>` exactly. SLOs sharing a period and base window share one term.
 */
export function periodErrorRatio(specs: Specs, slos: SloView[], selector: string): string {
  const groups = new Map<string, SloView[]>();
  for (const s of slos) {
    const key = `${s.baseWindow} ${s.period}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const terms = [...groups.values()].map((group) => {
    const { baseWindow, period } = group[0]!;
    const every = group.length === specs.slos.length;
    const names = group.map((s) => s.name);
    const sel = [
      ...(every ? [] : [names.length === 1 ? `slo="${names[0]}"` : `slo=~"${names.join('|')}"`]),
      ...(selector ? [selector] : []),
    ].join(',');
    const sum = (what: string) =>
      `sum by (slo) (sum_over_time(twinops_slo:sli_${what}:rate${baseWindow}{${sel}}[${period}]))`;
    return `${sum('error')} / ${sum('total')}`;
  });
  return terms.length === 1 ? terms[0]! : terms.map((t) => `(${t})`).join(' or ');
}

/** The SLO periods, as titles say them: `30d`, or `30d/7d` when SLOs differ. */
export const periodsOf = (slos: SloView[]) => [...new Set(slos.map((s) => s.period))].join('/');

/**
 * What every number over the SLO period says: it needs that much data in Prometheus, and the
 * default retention (15d) silently forgets the older half.
 */
export function retentionNote(slos: SloView[]): string {
  const retention = minimumRetention(slos);
  return (
    `Needs ${periodsOf(slos)} of data: Prometheus must keep at least the SLO period plus the ` +
    `recordings’ rate window (--storage.tsdb.retention.time=${retention} or more). With the ` +
    'default 15d the sums silently cover only 15 days, older failures stop counting and budget ' +
    'remaining reads too high.'
  );
}

// ---------------------------------------------------------------------------------------------
// Alerts

/**
 * Adds a `runbook` label to each series of `expr` (which keeps `alertname`): the runbook file of
 * that alert as the generated rules' `runbook_url` names it, README.md for any other alert.
 * One label_replace per runbook file, so a table can link every row to its runbook.
 */
export function withRunbookLabel(expr: string, specs: Specs): string {
  const byFile = new Map<string, string[]>();
  for (const a of specs.alerts) byFile.set(a.runbook, [...(byFile.get(a.runbook) ?? []), a.alert]);
  const files = [...byFile.keys()].sort();
  const mappings = [
    `"runbook", "README.md", "alertname", ".*"`,
    ...files.map((file) => `"runbook", "${file}", "alertname", "${byFile.get(file)!.join('|')}"`),
  ];
  return `${'label_replace(\n'.repeat(mappings.length)}  ${expr},\n${mappings.join('),\n')})`;
}

// ---------------------------------------------------------------------------------------------
// Thresholds

export type Step = [number | null, string];

export function thresholds(...steps: Step[]) {
  return new ThresholdsConfigBuilder()
    .mode(ThresholdsMode.Absolute)
    .steps(steps.map(([value, color]) => ({ value, color })));
}

/** Green at or above the objective, red below it. */
export const objectiveThresholds = (objective: number) =>
  thresholds([null, 'red'], [objective, 'green']);

/** Green below the limit, red at or above it. */
export const limitThresholds = (limit: number) => thresholds([null, 'green'], [limit, 'red']);

/** Error budget remaining: overspent below 0, running low below a quarter. */
export const budgetThresholds = () => thresholds([null, 'red'], [0, 'orange'], [0.25, 'green']);

// ---------------------------------------------------------------------------------------------
// Layout: rows of panels on Grafana's 24-column grid, placed left to right.

export class Grid {
  private x = 0;
  private y = 0;
  private rowHeight = 0;

  /** A full-width row header. */
  row(): { x: number; y: number; w: number; h: number } {
    this.newLine();
    const pos = { x: 0, y: this.y, w: 24, h: 1 };
    this.y += 1;
    return pos;
  }

  place(w: number, h: number): { x: number; y: number; w: number; h: number } {
    if (this.x + w > 24) this.newLine();
    const pos = { x: this.x, y: this.y, w, h };
    this.x += w;
    this.rowHeight = Math.max(this.rowHeight, h);
    return pos;
  }

  private newLine(): void {
    this.y += this.rowHeight;
    this.x = 0;
    this.rowHeight = 0;
  }
}

// ---------------------------------------------------------------------------------------------

export function baseDashboard(key: DashboardKey, specs: Specs) {
  return new DashboardBuilder(titles[key])
    .uid(uids[key])
    .tags(['twinops', key])
    .editable()
    .timezone('browser')
    .links(dashboardLinks(key, specs));
}

/**
 * Numbers the panels (ids unique within the dashboard, in layout order) and their queries (refId
 * A, B, …), which the SDK leaves to Grafana's UI, so the committed JSON is stable.
 */
export function finalize(dashboard: Dashboard): Dashboard {
  let id = 0;
  const number = (panel: Panel | RowPanel) => {
    id += 1;
    panel.id = id;
    if (panel.type === 'row') {
      for (const inner of (panel as RowPanel).panels ?? []) number(inner);
      return;
    }
    const targets = ((panel as Panel).targets ?? []) as { refId?: string }[];
    targets.forEach((t, i) => {
      if (!t.refId) t.refId = String.fromCharCode(65 + i);
    });
  };
  for (const panel of dashboard.panels ?? []) number(panel);
  // The SDK (11.6) writes the interval-variable fields on every variable; Grafana's dashboard
  // schema (@grafana/schema 12) has no such fields on a variable, and the schema test refuses them.
  for (const variable of dashboard.templating?.list ?? []) {
    const v = variable as unknown as Record<string, unknown>;
    if (v.type !== 'interval') for (const key of ['auto', 'auto_min', 'auto_count']) delete v[key];
  }
  return dashboard;
}
