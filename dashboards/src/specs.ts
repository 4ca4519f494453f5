/**
 * What the dashboards take from the alerts' specs, so thresholds and links never drift from the
 * SLOs: objectives, error budgets, the latency thresholds inside the SLIs, the burn-rate tiers,
 * the exporter's scrape job, the runbook base URL and the non-SLO alert thresholds.
 */
import { fileURLToPath } from 'node:url';
import { loadSpecs, type AlertsConfig, type Slo } from '../../alerts/src/spec.js';

export const alertsDir = fileURLToPath(new URL('../../alerts/', import.meta.url));

export interface SloView {
  name: string;
  title: string;
  /** Ratio, e.g. 0.9995. */
  objective: number;
  /** 1 − objective. */
  errorBudget: number;
  /** Labels the SLO's ratios are kept by (asset_class, or model + model_version, or none). */
  by: string[];
  runbookUrl: string;
}

export interface Tier {
  id: string;
  severity: string;
  factor: number;
  longWindow: string;
  shortWindow: string;
}

export interface Specs {
  slos: SloView[];
  /** The default tiers (config.yaml), fastest first. */
  tiers: Tier[];
  exporterJob: string;
  runbooks: string;
  /** Seconds: the `le` bound the sync-latency SLO counts as good. */
  syncLatencyThreshold: number;
  /** Seconds: the `le` bound the convergence SLO counts as good. */
  convergenceThreshold: number;
  nonSlo: AlertsConfig['nonSlo'];
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

export function loadDashboardSpecs(dir = alertsDir): Specs {
  const { config, slos } = loadSpecs(dir);
  const runbooks = config.links.runbooks.replace(/\/$/, '');
  return {
    slos: slos.map((s) => ({
      name: s.name,
      title: s.title,
      objective: Number(s.objective),
      errorBudget: Number(s.errorBudget),
      by: s.by,
      runbookUrl: `${runbooks}/${s.runbook}`,
    })),
    tiers: config.tiers.map(({ id, severity, factor, longWindow, shortWindow }) => ({
      id,
      severity,
      factor,
      longWindow,
      shortWindow,
    })),
    exporterJob: config.exporterJob,
    runbooks,
    syncLatencyThreshold: leBound(sloNamed(slos, 'sync-latency').good, 'sync-latency'),
    convergenceThreshold: leBound(sloNamed(slos, 'convergence').good, 'convergence'),
    nonSlo: config.nonSlo,
  };
}
