/**
 * SLO specs → Prometheus recording rules and multiwindow, multi-burn-rate alerts (SRE workbook,
 * chapter 5). Pure: specs in, rule groups out.
 *
 * Per SLO, per `by` labels (e.g. each asset class), named `twinops_slo:…` (never Sloth's `slo:…`,
 * so both can share a Prometheus):
 * - `twinops_slo:sli_error:ratio_rate<w>` for every window a tier uses: failed / total over w;
 * - `twinops_slo:sli_error:rate<b>`, `twinops_slo:sli_total:rate<b>` (b = the shortest window):
 *   event rates that `twinops_slo:sli_error:ratio_rate<period>` sums over the period, weighting
 *   each moment by its traffic;
 * - `twinops_slo:error_budget_remaining:ratio` (1 = untouched, 0 = spent, < 0 = overspent) and
 *   `twinops_slo:current_burn_rate:ratio` for dashboards; `twinops_slo:objective:ratio`,
 *   `twinops_slo:error_budget:ratio`.
 * Then one alert per tier, all under the SLO's alert name, told apart by the `tier` label, each
 * needing `minEvents` in its long window; and `TwinSLIAbsent` when the SLI has no series at all.
 */
import { decimal, format, mul, sub } from './decimal.js';
import {
  formatDuration,
  parseDuration,
  scaleDuration,
} from '../../exporter/src/config/duration.js';
import type { AlertingRule, RecordingRule, RuleGroup } from './rules.js';
import type { AlertsConfig, Slo } from './spec.js';

const sumBy = (by: string[], inner: string): string =>
  by.length ? `sum by (${by.join(', ')}) (${inner})` : `sum(${inner})`;

/** Failed events per second over `window`: total − good, where a missing good series counts 0. */
export function errorRateExpr(slo: Slo, window: string): string {
  const total = sumBy(slo.by, `rate(${slo.total}[${window}])`);
  const good = sumBy(slo.by, `rate(${slo.good}[${window}])`);
  // A class whose commands all failed has no good series at all: without the `or`, the
  // subtraction would match nothing and the worst case would never alert.
  return `${total}\n-\n(\n  ${good}\n  or\n  0 * ${total}\n)`;
}

export function totalRateExpr(slo: Slo, window: string): string {
  return sumBy(slo.by, `rate(${slo.total}[${window}])`);
}

export function errorRatioExpr(slo: Slo, window: string): string {
  return `(\n${indent(errorRateExpr(slo, window))}\n)\n/\n${totalRateExpr(slo, window)}`;
}

const indent = (text: string): string =>
  text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');

/** The windows the tiers use, shortest first, without duplicates. */
export function windowsOf(slo: Slo): string[] {
  const ms = new Set(slo.tiers.flatMap((t) => [t.longWindow, t.shortWindow].map(parseDuration)));
  return [...ms].sort((a, b) => a - b).map(formatDuration);
}

const percent = (ratio: string): string => format(mul(decimal(ratio), decimal(100)));

/** How long the whole budget lasts at `factor` × the sustainable rate: period / factor. */
export function exhaustion(period: string, factor: number): string {
  const minutes = Math.round(parseDuration(period) / factor / 60_000);
  const parts: string[] = [];
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days) parts.push(`${days}d`);
  if (hours) parts.push(`${hours}h`);
  if (minutes % 60 || !parts.length) parts.push(`${minutes % 60}m`);
  return parts.join(' ');
}

/** Alert annotations' scope: " for asset_class {{ $labels.asset_class }}". */
function scope(by: string[]): string {
  return by.length ? ` for ${by.map((l) => `${l} {{ $labels.${l} }}`).join(', ')}` : '';
}

export function dashboardUrl(
  config: AlertsConfig,
  uid: string,
  vars: Record<string, string>,
  by: string[],
): string {
  const query = [
    ...Object.entries(vars).map(([k, v]) => `var-${k}=${v}`),
    ...by.map((l) => `var-${l}={{ $labels.${l} }}`),
  ];
  return `${config.links.grafana}/d/${uid}${query.length ? `?${query.join('&')}` : ''}`;
}

export function sloRecordingRules(slo: Slo): RecordingRule[] {
  const labels = { slo: slo.name };
  const sel = `{slo="${slo.name}"}`;
  const windows = windowsOf(slo);
  const base = windows[0] as string;
  const rules: RecordingRule[] = windows.map((w) => ({
    record: `twinops_slo:sli_error:ratio_rate${w}`,
    expr: errorRatioExpr(slo, w),
    labels,
  }));
  rules.push(
    { record: `twinops_slo:sli_error:rate${base}`, expr: errorRateExpr(slo, base), labels },
    { record: `twinops_slo:sli_total:rate${base}`, expr: totalRateExpr(slo, base), labels },
    {
      record: `twinops_slo:sli_error:ratio_rate${slo.period}`,
      expr:
        `sum_over_time(twinops_slo:sli_error:rate${base}${sel}[${slo.period}])\n/\n` +
        `sum_over_time(twinops_slo:sli_total:rate${base}${sel}[${slo.period}])`,
      labels,
    },
    {
      record: 'twinops_slo:error_budget_remaining:ratio',
      expr: `1 - twinops_slo:sli_error:ratio_rate${slo.period}${sel} / ${slo.errorBudget}`,
      labels,
    },
    {
      record: 'twinops_slo:current_burn_rate:ratio',
      expr: `twinops_slo:sli_error:ratio_rate${base}${sel} / ${slo.errorBudget}`,
      labels,
    },
    { record: 'twinops_slo:objective:ratio', expr: `vector(${slo.objective})`, labels },
    { record: 'twinops_slo:error_budget:ratio', expr: `vector(${slo.errorBudget})`, labels },
  );
  return rules;
}

export function sloAlertRules(slo: Slo, config: AlertsConfig): AlertingRule[] {
  const sel = `{slo="${slo.name}"}`;
  const budgetPercent = format(sub(decimal(100), decimal(slo.objectivePercent)));
  return slo.tiers.map((tier) => {
    const thresholdPercent = percent(tier.threshold);
    const rule: AlertingRule = {
      alert: slo.alert,
      expr:
        `twinops_slo:sli_error:ratio_rate${tier.longWindow}${sel} > ${tier.threshold}\n` +
        `and\n` +
        `twinops_slo:sli_error:ratio_rate${tier.shortWindow}${sel} > ${tier.threshold}\n` +
        `and on (${slo.by.join(', ')})\n` +
        `${sumBy(slo.by, `increase(${slo.total}[${tier.longWindow}])`)} >= ${slo.minEvents}`,
      ...(parseDuration(tier.for) === 0 ? {} : { for: tier.for }),
      labels: { ...slo.labels, severity: tier.severity, slo: slo.name, tier: tier.id },
      annotations: {
        summary: `${slo.title} SLO: error budget burning ${tier.factorText}× too fast${scope(slo.by)}`,
        description:
          `{{ $value | humanizePercentage }} of events failed over the last ${tier.longWindow} ` +
          `and more than ${thresholdPercent}% over the last ${tier.shortWindow}, above ` +
          `${thresholdPercent}% = ${tier.factorText} × the ${budgetPercent}% error budget, with at ` +
          `least ${slo.minEvents} events in that ${tier.longWindow}. At this ` +
          `rate the ${slo.period} budget is gone in ${exhaustion(slo.period, tier.factor)}. ` +
          `SLO: ${slo.description.replace(/\.$/, '')} (${slo.objectivePercent}% over ${slo.period}).`,
        runbook_url: `${config.links.runbooks}/${slo.runbook}`,
        dashboard_url: dashboardUrl(config, slo.dashboard, { slo: slo.name }, slo.by),
      },
    };
    return rule;
  });
}

/**
 * Pyrra's per-SLO absent-data alert: with no total series at all the burn-rate alerts are blind
 * (a renamed metric, a relabel dropping it, a scrape that lost the exporter's SLI families).
 */
export function sloAbsentRule(slo: Slo, config: AlertsConfig): AlertingRule | undefined {
  if (!slo.sliAbsentFor) return undefined;
  return {
    alert: 'TwinSLIAbsent',
    expr: `absent(${slo.total})`,
    for: slo.sliAbsentFor,
    labels: { ...slo.labels, severity: 'ticket', slo: slo.name },
    annotations: {
      summary: `${slo.title} SLO is blind: no ${slo.total.replace(/\{.*/, '')} series`,
      description:
        `Prometheus has had no series for ${slo.total} for ${slo.sliAbsentFor} (absent = ` +
        `{{ $value }}): the ${slo.title} ` +
        `SLO's error ratios are empty and its burn-rate alerts cannot fire.`,
      runbook_url: `${config.links.runbooks}/sli-absent.md`,
      dashboard_url: dashboardUrl(config, 'twinops-debug', {}, []),
    },
  };
}

/**
 * One group per SLO, recording rules first: rules in a group run in order at the same instant, so
 * the alerts read this evaluation's ratios, never the previous one's.
 */
export function sloRuleGroup(slo: Slo, config: AlertsConfig, interval?: string): RuleGroup {
  return {
    name: `twinops-slo-${slo.name}`,
    ...(interval ? { interval } : {}),
    rules: [
      ...sloRecordingRules(slo),
      ...sloAlertRules(slo, config),
      ...[sloAbsentRule(slo, config)].filter((r) => r !== undefined),
    ],
  };
}

/** The same SLOs with every window, period and `for` divided by `factor` (the test profile). */
export function compressTime(slos: Slo[], factor: number): Slo[] {
  return slos.map((slo) => ({
    ...slo,
    period: scaleDuration(slo.period, factor),
    sliAbsentFor: slo.sliAbsentFor && scaleDuration(slo.sliAbsentFor, factor),
    tiers: slo.tiers.map((tier) => ({
      ...tier,
      longWindow: scaleDuration(tier.longWindow, factor),
      shortWindow: scaleDuration(tier.shortWindow, factor),
      for: parseDuration(tier.for) === 0 ? '0' : scaleDuration(tier.for, factor),
    })),
  }));
}
