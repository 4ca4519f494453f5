/**
 * Every PromQL a dashboard sends: panel targets, variable queries and annotation queries, as the
 * tests check and run them.
 */
import type { Dashboard, Panel, RowPanel } from '@grafana/grafana-foundation-sdk/dashboard';

export interface PanelQuery {
  kind: 'panel' | 'variable' | 'annotation';
  dashboard: string;
  /** Panel title, variable name or annotation name. */
  title: string;
  panelType: string;
  refId: string;
  expr: string;
  instant: boolean;
  /** Annotation queries: their step. */
  step?: string;
}

export function panelsOf(dashboard: Dashboard): Panel[] {
  return (dashboard.panels ?? []).flatMap((p) =>
    p.type === 'row' ? ((p as RowPanel).panels ?? []) : [p as Panel],
  );
}

export function queriesOf(dashboard: Dashboard): PanelQuery[] {
  const uid = dashboard.uid ?? '';
  const out: PanelQuery[] = [];
  for (const panel of panelsOf(dashboard)) {
    for (const t of (panel.targets ?? []) as {
      refId?: string;
      expr?: string;
      instant?: boolean;
    }[]) {
      if (!t.expr) continue;
      out.push({
        kind: 'panel',
        dashboard: uid,
        title: panel.title ?? '',
        panelType: panel.type,
        refId: t.refId ?? '',
        expr: t.expr,
        instant: t.instant === true,
      });
    }
  }
  for (const v of dashboard.templating?.list ?? []) {
    if (v.type !== 'query' || typeof v.query !== 'string') continue;
    out.push({
      kind: 'variable',
      dashboard: uid,
      title: `$${v.name}`,
      panelType: 'variable',
      refId: v.name,
      expr: v.query,
      instant: false,
    });
  }
  for (const a of (dashboard.annotations?.list ?? []) as unknown as {
    name: string;
    target?: { expr?: string; interval?: string };
  }[]) {
    if (!a.target?.expr) continue;
    out.push({
      kind: 'annotation',
      dashboard: uid,
      title: a.name,
      panelType: 'annotation',
      refId: 'Anno',
      expr: a.target.expr,
      instant: false,
      step: a.target.interval,
    });
  }
  return out;
}
