/**
 * What the dashboards take from the alerts' specs, so thresholds and links never drift from the
 * SLOs: objectives, error budgets, periods and the windows of their recordings, the latency
 * thresholds inside the SLIs, the burn-rate tiers, the exporter's scrape job, the runbook base URL,
 * the non-SLO alert thresholds, and each generated alert's runbook and dashboard.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { formatDuration, parseDuration } from '../../exporter/src/config/duration.js';
import { windowsOf } from '../../alerts/src/slo-rules.js';
import { loadSpecs, type AlertsConfig, type Slo, type Tier } from '../../alerts/src/spec.js';

export const alertsDir = fileURLToPath(new URL('../../alerts/', import.meta.url));

/** A burn-rate tier as the alert specs define it. */
export type { Tier };

export interface SloView {
  name: string;
  title: string;
  /** The alert's name (one per SLO; its tiers are told apart by the `tier` label). */
  alert: string;
  /** Ratio, e.g. 0.9995. */
  objective: number;
  /** 1 − objective. */
  errorBudget: number;
  /** Labels the SLO's ratios are kept by (asset_class, or model + model_version, or none). */
  by: string[];
  runbookUrl: string;
  /** The SLO period, e.g. `30d`. */
  period: string;
  /**
   * The shortest tier window: the rate window of `twinops_slo:sli_error:rate<w>` and
   * `twinops_slo:sli_total:rate<w>`, which `twinops_slo:sli_error:ratio_rate<period>` sums.
   */
  baseWindow: string;
  /** This SLO's tiers (its preset's), fastest first, its overrides applied, disabled ones left out. */
  tiers: Tier[];
  /** The SLI's total-events selector. */
  total: string;
  /** Events a tier's long window must hold (per `by` value) before the tier may fire. */
  minEvents: number;
}

/** A generated alert rule: its runbook file (under `links.runbooks`) and dashboard uid. */
export interface AlertLink {
  alert: string;
  runbook: string;
  dashboard: string;
}

export interface Specs {
  slos: SloView[];
  /** The default preset's tiers (config.yaml), fastest first. */
  tiers: Tier[];
  exporterJob: string;
  runbooks: string;
  /** Seconds: the `le` bound the sync-latency SLO counts as good. */
  syncLatencyThreshold: number;
  /** Seconds: the `le` bound the convergence SLO counts as good. */
  convergenceThreshold: number;
  nonSlo: AlertsConfig['nonSlo'];
  /** Every alert in alerts/generated/ (SLO and non-SLO rules), sorted by name. */
  alerts: AlertLink[];
}

/** The `le="…"` bound in an SLI selector, in seconds. */
export function leBound(selector: string, slo: string): number {
  const match = /le="([0-9.]+)"/.exec(selector);
  if (!match?.[1]) throw new Error(`SLO ${slo}: no le="…" bound in ${selector}`);
  return Number(match[1]);
}

function sloNamed(slos: Slo[], name: string): Slo {
  const slo = slos.find((s) => s.name === name);
  if (!slo) throw new Error(`alerts/slos: the dashboards need an SLO named ${name}`);
  return slo;
}

const tierView = ({ id, severity, factor, longWindow, shortWindow, for: holdFor }: Tier): Tier => ({
  id,
  severity,
  factor,
  longWindow,
  shortWindow,
  for: holdFor,
});

/** The rule files Prometheus loads in production: alerts/generated/*.yaml and slo-rules/*.yaml. */
export function generatedRuleFiles(dir = alertsDir): string[] {
  const generated = join(dir, 'generated');
  const yaml = (d: string) =>
    readdirSync(d, { withFileTypes: true })
      .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
      .map((e) => join(d, e.name))
      .sort();
  return [...yaml(generated), ...yaml(join(generated, 'slo-rules'))];
}

/**
 * Each generated alert's runbook and dashboard, read from its `runbook_url` and `dashboard_url`
 * annotations: whatever names an alert's runbook (an SLO spec's `runbook`, a non-SLO rule), the
 * generated rules are where it ends up.
 */
export function loadAlertLinks(
  config: Pick<AlertsConfig, 'links'>,
  files = generatedRuleFiles(),
): AlertLink[] {
  const base = `${config.links.runbooks.replace(/\/$/, '')}/`;
  const links = new Map<string, AlertLink>();
  for (const file of files) {
    const doc = parse(readFileSync(file, 'utf8')) as {
      groups?: {
        rules?: {
          alert?: string;
          annotations?: { runbook_url?: string; dashboard_url?: string };
        }[];
      }[];
    };
    for (const rule of (doc.groups ?? []).flatMap((g) => g.rules ?? [])) {
      if (!rule.alert) continue;
      const url = rule.annotations?.runbook_url ?? '';
      if (!url.startsWith(base)) {
        throw new Error(`${file}: ${rule.alert}: runbook_url ${url} is not under ${base}`);
      }
      const runbook = url.slice(base.length);
      const dashboard = /\/d\/([^/?]+)/.exec(rule.annotations?.dashboard_url ?? '')?.[1] ?? '';
      const previous = links.get(rule.alert);
      if (previous && previous.runbook !== runbook) {
        throw new Error(
          `${file}: ${rule.alert} links runbooks ${previous.runbook} and ${runbook}: one per alert`,
        );
      }
      links.set(rule.alert, { alert: rule.alert, runbook, dashboard });
    }
  }
  return [...links.values()].sort((a, b) => a.alert.localeCompare(b.alert));
}

export function loadDashboardSpecs(dir = alertsDir): Specs {
  const { config, slos } = loadSpecs(dir);
  const runbooks = config.links.runbooks.replace(/\/$/, '');
  return {
    slos: slos.map((s) => ({
      name: s.name,
      title: s.title,
      alert: s.alert,
      objective: Number(s.objective),
      errorBudget: Number(s.errorBudget),
      by: s.by,
      runbookUrl: `${runbooks}/${s.runbook}`,
      period: s.period,
      baseWindow: windowsOf(s)[0] ?? s.period,
      tiers: s.tiers.map(tierView),
      total: s.total,
      minEvents: s.minEvents,
    })),
    tiers: config.tiers.map(tierView),
    exporterJob: config.exporterJob,
    runbooks,
    syncLatencyThreshold: leBound(sloNamed(slos, 'sync-latency').good, 'sync-latency'),
    convergenceThreshold: leBound(sloNamed(slos, 'convergence').good, 'convergence'),
    nonSlo: config.nonSlo,
    alerts: loadAlertLinks(config, generatedRuleFiles(dir)),
  };
}

/**
 * The shortest Prometheus retention the period numbers need: `twinops_slo:sli_error:ratio_rate<period>`
 * sums the SLO's `…:rate<base window>` recordings over the whole period, so Prometheus must keep
 * the period plus that window; in whole days, the longest over every SLO (30d + 5m: `31d`).
 */
export function minimumRetention(slos: Pick<SloView, 'period' | 'baseWindow'>[]): string {
  const day = 86_400_000;
  const ms = Math.max(...slos.map((s) => parseDuration(s.period) + parseDuration(s.baseWindow)));
  return formatDuration(Math.ceil(ms / day) * day);
}
