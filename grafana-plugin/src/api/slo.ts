/** Where SLO status comes from: Prometheus instant queries of the alerts/ recording rules. */
export interface PromSample {
  labels: Record<string, string>;
  value: number;
}

export interface SloSource {
  instant(expr: string): Promise<PromSample[]>;
}

export interface SloRow {
  slo: string;
  /** Other labels of the series (e.g. asset_class), as "k=v, …"; empty for the whole SLO. */
  scope: string;
  objective?: number;
  /** 30-day error ratio. */
  errorRatio?: number;
  /** 1 − error ratio / error budget: 1 untouched, ≤ 0 spent. */
  budgetRemaining?: number;
  burnRate?: number;
  /** Burn-rate alerts firing for this SLO. */
  firing: string[];
}

const key = (labels: Record<string, string>) =>
  Object.entries(labels)
    .filter(([k]) => k !== '__name__' && k !== 'slo')
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

/**
 * One row per SLO and scope, from the generated recording rules (alerts/generated/slo-rules.yaml):
 * twinops_slo:objective:ratio, twinops_slo:sli_error:ratio_rate30d, twinops_slo:error_budget_remaining:ratio,
 * twinops_slo:current_burn_rate:ratio, and the firing ALERTS of the burn-rate alerts.
 */
export async function loadSloRows(source: SloSource): Promise<SloRow[]> {
  const [objective, error, remaining, burn, alerts] = await Promise.all([
    source.instant('twinops_slo:objective:ratio'),
    source.instant('twinops_slo:sli_error:ratio_rate30d'),
    source.instant('twinops_slo:error_budget_remaining:ratio'),
    source.instant('twinops_slo:current_burn_rate:ratio'),
    source.instant('ALERTS{alertstate="firing", slo!=""}'),
  ]);
  const rows = new Map<string, SloRow>();
  const row = (labels: Record<string, string>): SloRow => {
    const slo = labels.slo ?? 'unknown';
    const scope = key(labels);
    const id = `${slo}\u0000${scope}`;
    let found = rows.get(id);
    if (!found) {
      found = { slo, scope, firing: [] };
      rows.set(id, found);
    }
    return found;
  };
  const objectives = new Map(objective.map((s) => [s.labels.slo, s.value]));
  for (const s of error) {
    row(s.labels).errorRatio = s.value;
  }
  for (const s of remaining) {
    row(s.labels).budgetRemaining = s.value;
  }
  for (const s of burn) {
    row(s.labels).burnRate = s.value;
  }
  for (const r of rows.values()) {
    r.objective = objectives.get(r.slo);
  }
  for (const s of alerts) {
    const { alertname, alertstate: _state, severity: _severity, ...rest } = s.labels;
    const labels = { ...rest };
    for (const l of ['long', 'short', 'window', 'sloth_window', 'for']) {
      delete labels[l];
    }
    row(labels).firing.push(alertname ?? 'alert');
  }
  return [...rows.values()].sort((a, b) => a.slo.localeCompare(b.slo) || a.scope.localeCompare(b.scope));
}
