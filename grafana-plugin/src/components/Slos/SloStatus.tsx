import React from 'react';
import { Alert, Badge, Button, useStyles2 } from '@grafana/ui';
import { useTwinServices } from '../../api/context';
import { loadSloRows } from '../../api/slo';
import { ErrorAlert } from '../common/ErrorAlert';
import { getTableStyles } from '../common/styles';
import { useAsync } from '../common/useAsync';
import { testIds } from '../testIds';

const percent = (v: number | undefined, digits = 2) =>
  v === undefined || !Number.isFinite(v) ? '—' : `${Number((v * 100).toFixed(digits))}%`;

/** SLO status and error budget per SLO and scope, from the generated recording rules. */
export function SloStatus({ refreshMs = 30_000 }: { refreshMs?: number }) {
  const { slo } = useTwinServices();
  const s = useStyles2(getTableStyles);
  const rows = useAsync(() => (slo ? loadSloRows(slo) : Promise.resolve([])), [slo], refreshMs);
  if (!slo) {
    return (
      <Alert severity="info" title="No Prometheus datasource">
        Set the Prometheus datasource UID on the app configuration page to see SLO status and error budgets.
      </Alert>
    );
  }
  return (
    <div data-testid={testIds.slos.container}>
      <Button variant="secondary" icon="sync" onClick={rows.reload}>
        Refresh
      </Button>
      {rows.error !== undefined && <ErrorAlert title="Could not query Prometheus" error={rows.error} />}
      {rows.value && rows.value.length === 0 && (
        <p className={s.muted}>
          No SLO series: are the recording rules of alerts/generated loaded into this Prometheus?
        </p>
      )}
      {rows.value && rows.value.length > 0 && (
        <table className={s.table} aria-label="SLOs">
          <thead>
            <tr>
              <th scope="col">SLO</th>
              <th scope="col">Scope</th>
              <th scope="col">Objective</th>
              <th scope="col">Error ratio (30 d)</th>
              <th scope="col">Budget remaining</th>
              <th scope="col">Burn rate (5 min)</th>
              <th scope="col">Alerts</th>
            </tr>
          </thead>
          <tbody>
            {rows.value.map((r) => (
              <tr key={`${r.slo}-${r.scope}`} data-testid={testIds.slos.row}>
                <th scope="row">{r.slo}</th>
                <td>{r.scope || 'all'}</td>
                <td>{percent(r.objective, 3)}</td>
                <td>{percent(r.errorRatio, 3)}</td>
                <td
                  className={
                    r.budgetRemaining === undefined
                      ? undefined
                      : r.budgetRemaining <= 0
                        ? s.bad
                        : r.budgetRemaining < 0.25
                          ? s.stale
                          : s.good
                  }
                >
                  {percent(r.budgetRemaining, 1)}
                  {r.budgetRemaining !== undefined && r.budgetRemaining <= 0 && ' (spent)'}
                </td>
                <td>{r.burnRate === undefined ? '—' : Number(r.burnRate.toFixed(2))}</td>
                <td>
                  {r.firing.length === 0 ? (
                    <span className={s.muted}>none</span>
                  ) : (
                    r.firing.map((a) => <Badge key={a} color="red" icon="fire" text={a} />)
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
