/**
 * The generated dashboards: the committed JSON is what the code makes; uids, variables and links
 * are the ones the alerts link to; thresholds follow the SLO specs; runbook links resolve; every
 * query reads; the layout fits Grafana's grid.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Dashboard, Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { appUrl, uids } from './common.js';
import { buildDashboards, drift } from './dashboards.js';
import { executive } from './executive.js';
import { alertColumns, oncall } from './oncall.js';
import { parseLabelValues, parseQuery } from './promql.js';
import { panelsOf, queriesOf } from './queries.js';
import { alertsDir, loadDashboardSpecs, minimumRetention, type Specs } from './specs.js';

const specs = loadDashboardSpecs();
const dashboards = buildDashboards(specs);
const all = [...dashboards.values()];
const byUid = new Map(all.map((d) => [d.uid!, d]));

type Link = { title: string; url: string };
const linksOf = (p: Panel) => (p.links ?? []) as unknown as Link[];
const panelQueries = (d: Dashboard, p: Panel) =>
  queriesOf({ ...d, panels: [p] }).filter((q) => q.kind === 'panel');
const variables = (d: Dashboard) => new Set((d.templating?.list ?? []).map((v) => v.name));
const panelNamed = (d: Dashboard, title: string) => {
  const panel = panelsOf(d).find((p) => p.title === title);
  if (!panel) throw new Error(`${d.uid}: no panel "${title}"`);
  return panel;
};

describe('generated dashboards', () => {
  it('the committed dashboards/*.json are what the code generates', async () => {
    expect(await drift()).toEqual([]);
  });

  it('have the stable uids the alerts link to, with every variable an alert sets', () => {
    expect([...byUid.keys()].sort()).toEqual(Object.values(uids).sort());
    const generated = join(alertsDir, 'generated');
    const files = [
      join(generated, 'non-slo-rules.yaml'),
      ...readdirSync(join(generated, 'slo-rules')).map((f) => join(generated, 'slo-rules', f)),
    ];
    const urls = files.flatMap((file) => {
      const doc = parse(readFileSync(file, 'utf8')) as {
        groups: { rules: { annotations?: { dashboard_url?: string } }[] }[];
      };
      return doc.groups.flatMap((g) => g.rules.flatMap((r) => r.annotations?.dashboard_url ?? []));
    });
    expect(urls.length).toBeGreaterThan(20);
    for (const url of urls) {
      const m = /\/d\/([^?]+)(?:\?(.*))?$/.exec(url);
      expect(m, url).toBeTruthy();
      const dashboard = byUid.get(m![1]!);
      expect(dashboard, `${url}: no dashboard with that uid`).toBeDefined();
      for (const pair of (m![2] ?? '').split('&').filter(Boolean)) {
        const name = pair.split('=')[0]!.replace(/^var-/, '');
        expect(variables(dashboard!).has(name), `${url}: no variable ${name}`).toBe(true);
      }
    }
  });

  it('link to each other (keeping time and variables), to the runbooks and to the app', () => {
    for (const d of all) {
      const links = (d.links ?? []) as unknown as (Link & {
        keepTime: boolean;
        includeVars: boolean;
      })[];
      const others = Object.values(uids).filter((u) => u !== d.uid);
      for (const uid of others) {
        const link = links.find((l) => l.url === `/d/${uid}`);
        expect(link, `${d.uid} → ${uid}`).toMatchObject({ keepTime: true, includeVars: true });
      }
      expect(links.some((l) => l.url === `${specs.runbooks}/README.md`)).toBe(true);
      expect(links.some((l) => l.url.startsWith(`${appUrl}/fleet`))).toBe(true);
    }
  });

  it('every runbook link names an existing runbook', () => {
    const runbookLinks = all.flatMap((d) =>
      panelsOf(d)
        .flatMap(linksOf)
        .filter((l) => l.url.startsWith(`${specs.runbooks}/`)),
    );
    expect(runbookLinks.length).toBeGreaterThan(15);
    for (const link of runbookLinks) {
      const file = link.url.slice(specs.runbooks.length + 1);
      expect(existsSync(join(alertsDir, 'runbooks', file)), link.url).toBe(true);
    }
  });

  it('per-asset panels link each series to the asset page of the twinops app', () => {
    const debug = byUid.get(uids.debug)!;
    const perAsset = panelsOf(debug).filter((p) =>
      panelQueries(debug, p).some((q) => q.expr.includes('twin_asset_')),
    );
    expect(perAsset.length).toBe(2);
    for (const panel of perAsset) {
      const links = (panel.fieldConfig?.defaults.links ?? []) as unknown as Link[];
      expect(links.map((l) => l.url)).toEqual([
        `${appUrl}/asset?id=\${__field.labels.asset_id:percentencode}`,
      ]);
    }
  });

  it('takes thresholds from the SLO specs: objectives, budgets, latency bounds, tier factors', () => {
    const oc = byUid.get(uids.oncall)!;
    const steps = (p: Panel) =>
      (p.fieldConfig?.defaults.thresholds?.steps ?? []).map((s) => [s.value, s.color]);
    expect(steps(panelNamed(oc, 'Sync latency p95 / p99 by class (physical points)'))).toEqual([
      [null, 'green'],
      [specs.syncLatencyThreshold, 'red'],
    ]);
    for (const tier of specs.tiers) {
      const burn = panelsOf(oc).find((p) => p.title?.startsWith(`Burn rate, ${tier.id} tier`));
      expect(steps(burn!)[1]).toEqual([tier.factor, tier.severity === 'page' ? 'red' : 'orange']);
      expect(panelQueries(oc, burn!).map((q) => q.expr.split('{')[0])).toEqual([
        `twinops_slo:sli_error:ratio_rate${tier.longWindow}`,
        `twinops_slo:sli_error:ratio_rate${tier.shortWindow}`,
      ]);
    }
    // A different spec gives different thresholds: nothing is copied by hand.
    const changed = {
      ...specs,
      syncLatencyThreshold: 1,
      slos: specs.slos.map((s) =>
        s.name === 'actuation-success' ? { ...s, objective: 0.995, errorBudget: 0.005 } : s,
      ),
    };
    const ex = executive(changed);
    expect(steps(panelNamed(ex, 'Actuation success (30d)'))).toEqual([
      [null, 'red'],
      [0.995, 'green'],
    ]);
    expect(steps(panelNamed(oncall(changed), 'Actuation failure rate by outcome'))[1]).toEqual([
      0.005,
      'red',
    ]);
    expect(
      steps(panelNamed(oncall(changed), 'Sync latency p95 / p99 by class (physical points)'))[1],
    ).toEqual([1, 'red']);
  });

  it('every query reads as PromQL over twin metrics, recording rules or Prometheus series', () => {
    for (const q of all.flatMap(queriesOf)) {
      const lv = q.kind === 'variable' ? parseLabelValues(q.expr) : undefined;
      const shape = parseQuery(lv ? lv.selector : q.expr);
      expect(shape.selectors.length, `${q.dashboard} ${q.title}: ${q.expr}`).toBeGreaterThan(0);
      for (const s of shape.selectors) {
        expect(s.metric, `${q.title}: ${q.expr}`).toMatch(
          /^(twin_|twinops_slo:|ALERTS$|ALERTS_FOR_STATE$|up$)/,
        );
      }
    }
  });

  it('every panel reads $datasource, has a unit or mapping, and fits the grid without overlap', () => {
    for (const d of all) {
      const cells = new Set<string>();
      for (const p of d.panels ?? []) {
        const { x, y, w, h } = p.gridPos!;
        expect(x + w, `${d.uid} ${p.title}`).toBeLessThanOrEqual(24);
        for (let i = x; i < x + w; i += 1)
          for (let j = y; j < y + h; j += 1) {
            expect(cells.has(`${i},${j}`), `${d.uid} ${p.title} overlaps at ${i},${j}`).toBe(false);
            cells.add(`${i},${j}`);
          }
      }
      for (const p of panelsOf(d)) {
        expect(p.datasource, `${d.uid} ${p.title}`).toEqual({
          type: 'prometheus',
          uid: '${datasource}',
        });
        if (p.type !== 'table') {
          const defaults = p.fieldConfig?.defaults;
          expect(defaults?.unit ?? defaults?.mappings, `${d.uid} ${p.title}: no unit`).toBeTruthy();
        }
      }
      const ids = panelsOf(d).map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  it('every panel has a description', () => {
    for (const d of all) {
      for (const p of panelsOf(d)) {
        expect(p.description?.trim(), `${d.uid} ${p.title}: no description`).toBeTruthy();
      }
    }
  });

  it('every panel the site variable does not filter says so', () => {
    let filtered = 0;
    for (const d of all) {
      expect(variables(d).has('site'), d.uid).toBe(true);
      for (const p of panelsOf(d)) {
        const bySite = panelQueries(d, p).some((q) => q.expr.includes('site=~"$site"'));
        if (bySite) filtered += 1;
        else expect(p.description, `${d.uid} ${p.title}`).toMatch(/Not filtered by site: \S/);
        if (bySite) expect(p.description, `${d.uid} ${p.title}`).not.toMatch(/Not filtered/);
      }
    }
    expect(filtered).toBeGreaterThanOrEqual(8);
  });

  it('error budget panels show overspend as far as it goes (no floor at −100%)', () => {
    const budgets = all.flatMap((d) =>
      panelsOf(d)
        .filter((p) => /budget remaining/i.test(p.title ?? ''))
        .map((p) => [d, p] as const),
    );
    expect(budgets.length).toBe(3);
    for (const [d, p] of budgets) {
      expect(p.fieldConfig?.defaults.min, `${d.uid} ${p.title}`).toBeUndefined();
      expect(p.description, `${d.uid} ${p.title}`).toMatch(/below 0/i);
    }
  });

  it('numbers over the SLO period say how much data they need', () => {
    const retention = minimumRetention(specs.slos);
    expect(retention).toBe('31d');
    const periodPanels = all.flatMap((d) =>
      panelsOf(d).filter((p) =>
        panelQueries(d, p).some((q) =>
          /error_budget_remaining|ratio_rate30d|sum_over_time\(twinops_slo:/.test(q.expr),
        ),
      ),
    );
    expect(periodPanels.length).toBeGreaterThanOrEqual(7);
    for (const p of periodPanels) {
      expect(p.description, p.title).toContain(`--storage.tsdb.retention.time=${retention}`);
      expect(p.description, p.title).toContain('15d');
    }
  });

  it('the executive shows each SLI by its SLO’s own definition, the same on every panel', () => {
    const ex = byUid.get(uids.executive)!;
    const expr = (title: string) => panelQueries(ex, panelNamed(ex, title)).map((q) => q.expr);
    const sel = 'asset_class=~"$asset_class|",model=~"$model|"';
    const ratio = (s: Specs['slos'][number], every: boolean) => {
      const where = every ? sel : `slo="${s.name}",${sel}`;
      return (
        `sum by (slo) (sum_over_time(twinops_slo:sli_error:rate${s.baseWindow}{${where}}[${s.period}]))` +
        ` / sum by (slo) (sum_over_time(twinops_slo:sli_total:rate${s.baseWindow}{${where}}[${s.period}]))`
      );
    };
    const slo = (name: string) => specs.slos.find((s) => s.name === name)!;
    // All SLOs share the period and base window today: one term, for every SLO.
    expect(new Set(specs.slos.map((s) => `${s.baseWindow} ${s.period}`)).size).toBe(1);
    expect(expr('SLO attainment (30d)')).toEqual([`1 - (${ratio(specs.slos[0]!, true)})`]);
    expect(expr('Error budget remaining (30d)')).toEqual([
      `1 - (${ratio(specs.slos[0]!, true)}) / on (slo) group_left () twinops_slo:error_budget:ratio`,
    ]);
    for (const [title, name] of [
      ['Actuation success (30d)', 'actuation-success'],
      ['Twin API availability (30d)', 'api-availability'],
      ['Prediction accuracy (30d)', 'prediction-accuracy'],
    ] as const) {
      expect(expr(title), title).toEqual([`1 - (${ratio(slo(name), false)})`]);
    }
    // Nothing on the SLO row or the SLI stats counts over the time picker's range instead.
    for (const p of panelsOf(ex).filter((p) => p.type !== 'timeseries')) {
      for (const q of panelQueries(ex, p)) expect(q.expr, p.title).not.toMatch(/\$__range/);
    }
  });

  it('an SLO with another period gets its own term, its own period in the sums', () => {
    const changed = {
      ...specs,
      slos: specs.slos.map((s) => (s.name === 'api-availability' ? { ...s, period: '28d' } : s)),
    };
    const ex = executive(changed);
    const [q] = panelQueries(ex, panelNamed(ex, 'SLO attainment (30d/28d)'));
    const sel = 'asset_class=~"$asset_class|",model=~"$model|"';
    const others = changed.slos.filter((s) => s.name !== 'api-availability').map((s) => s.name);
    expect(q!.expr).toContain(
      `sum_over_time(twinops_slo:sli_error:rate5m{slo="api-availability",${sel}}[28d])`,
    );
    expect(q!.expr).toContain(
      `sum_over_time(twinops_slo:sli_total:rate5m{slo=~"${others.join('|')}",${sel}}[30d])`,
    );
    expect(q!.expr.split(' or ')).toHaveLength(2);
    expect(panelNamed(ex, 'Twin API availability (28d)').description).toContain('28d');
  });

  it('the burn-rate-now stat compares what each SLO’s fastest alert does, for the selected class', () => {
    const burnOf = (s: Specs) => {
      const oc = oncall(s);
      const panel = panelNamed(oc, 'Burn rate now, fastest tier (worst)');
      const exprs = panelQueries(oc, panel).map((q) => q.expr);
      expect(exprs).toHaveLength(1);
      return { panel, expr: exprs[0]! };
    };
    const { panel, expr } = burnOf(specs);
    // The generated alerts: each SLO's fastest tier's rule.
    const rules = readdirSync(join(alertsDir, 'generated', 'slo-rules')).flatMap((f) => {
      const doc = parse(readFileSync(join(alertsDir, 'generated', 'slo-rules', f), 'utf8')) as {
        groups: { rules: { alert?: string; expr: string; labels?: Record<string, string> }[] }[];
      };
      return doc.groups.flatMap((g) => g.rules).filter((r) => r.alert);
    });
    for (const s of specs.slos) {
      const own = s.tiers[0]!;
      const sel = `{slo="${s.name}",slo=~"$slo",asset_class=~"$asset_class"}`;
      const long = `twinops_slo:sli_error:ratio_rate${own.longWindow}${sel}`;
      const short = `twinops_slo:sli_error:ratio_rate${own.shortWindow}${sel}`;
      expect(expr, s.name).toContain(`((${long} <= ${short}) or (${short} < ${long}))`);
      // The alert's own event gate, as the generated rule writes it.
      const rule = rules.find((r) => r.labels?.slo === s.name && r.labels?.tier === own.id);
      expect(rule, `${s.name} ${own.id}`).toBeDefined();
      const lines = rule!.expr.split('\n');
      expect(lines[0], s.name).toMatch(
        new RegExp(`^twinops_slo:sli_error:ratio_rate${own.longWindow}\\{slo="${s.name}"\\} > `),
      );
      expect(lines[2], s.name).toMatch(
        new RegExp(`^twinops_slo:sli_error:ratio_rate${own.shortWindow}\\{slo="${s.name}"\\} > `),
      );
      expect(expr, s.name).toContain(`${lines.at(-2)} ${lines.at(-1)}`);
    }
    expect(expr).toMatch(/^max by \(slo\) \(/);
    expect(expr).toContain('/ on (slo) group_left () twinops_slo:error_budget:ratio');
    const fast = specs.tiers[0]!;
    expect(panel.description).toContain(`${fast.longWindow} and ${fast.shortWindow}`);
    expect(panel.description).toContain(`${fast.factor}×`);
    const steps = (panel.fieldConfig?.defaults.thresholds?.steps ?? []).map((x) => [
      x.value,
      x.color,
    ]);
    expect(steps).toEqual([
      [null, 'green'],
      [fast.factor, 'red'],
    ]);
    // An SLO whose fastest tier pages at another factor, or only tickets, has its own threshold.
    const overrides = Object.fromEntries(
      (panel.fieldConfig?.overrides ?? []).map((o) => [
        o.matcher.options,
        (o.properties[0]!.value as { steps: { value: number | null; color: string }[] }).steps,
      ]),
    );
    const expected = Object.fromEntries(
      specs.slos
        .filter((s) => s.tiers[0]!.factor !== fast.factor || s.tiers[0]!.severity !== fast.severity)
        .map((s) => [
          s.name,
          [
            { value: null, color: 'green' },
            {
              value: s.tiers[0]!.factor,
              color: s.tiers[0]!.severity === 'page' ? 'red' : 'orange',
            },
          ],
        ]),
    );
    expect(overrides).toEqual(expected);
    expect(Object.keys(overrides)).toContain('prediction-accuracy');
    // Windows come from the specs: other windows, another query.
    const changed = {
      ...specs,
      slos: specs.slos.map((s) => ({
        ...s,
        tiers: s.tiers.map((t, i) =>
          i === 0 ? { ...t, longWindow: '2h', shortWindow: '10m' } : t,
        ),
      })),
    };
    const again = burnOf(changed).expr;
    expect(again).toContain('ratio_rate2h{');
    expect(again).toContain('ratio_rate10m{');
    expect(again).toContain('[2h])) >=');
    expect(again).not.toMatch(/ratio_rate(1h|5m)\{/);
  });

  it('the firing-alerts table shows where, since when, and links each row to its runbook', () => {
    const oc = byUid.get(uids.oncall)!;
    const panel = panelNamed(oc, 'Firing alerts');
    const [q, ...rest] = panelQueries(oc, panel);
    expect(rest).toEqual([]);
    expect(q!.instant).toBe(true);
    for (const label of ['reason', 'topic', 'slo', 'tier', 'asset_class', 'severity'])
      expect(alertColumns).toContain(label);
    expect(q!.expr).toContain(
      `min by (${alertColumns.join(', ')}) (ALERTS_FOR_STATE and ignoring (alertstate) ALERTS{alertstate="firing"}) * 1000`,
    );
    // Every generated alert gets its own runbook file as a `runbook` label, others README.md.
    const mapped = new Map<string, string>();
    for (const m of q!.expr.matchAll(/"runbook", "([^"]+)", "alertname", "([^"]+)"/g)) {
      if (m[2] === '.*') continue;
      for (const alert of m[2]!.split('|')) mapped.set(alert, m[1]!);
    }
    expect(q!.expr).toContain('"runbook", "README.md", "alertname", ".*"');
    expect(specs.alerts.length).toBeGreaterThan(10);
    expect(Object.fromEntries(mapped)).toEqual(
      Object.fromEntries(specs.alerts.map((a) => [a.alert, a.runbook])),
    );
    for (const file of mapped.values())
      expect(existsSync(join(alertsDir, 'runbooks', file)), file).toBe(true);
    // The SLO alerts' runbooks are the ones their specs name.
    for (const s of specs.slos)
      expect(`${specs.runbooks}/${mapped.get(s.alert)}`, s.alert).toBe(s.runbookUrl);
    const overrides = panel.fieldConfig?.overrides ?? [];
    const linksOn = (field: string) =>
      (overrides.find((o) => o.matcher.options === field)?.properties ?? []).find(
        (p) => p.id === 'links',
      )?.value as Link[] | undefined;
    for (const field of ['alertname', 'runbook'])
      expect(
        linksOn(field)?.map((l) => l.url),
        field,
      ).toEqual([`${specs.runbooks}/\${__data.fields.runbook}`]);
    const since = overrides.find((o) => o.matcher.options === 'Active since');
    expect(since?.properties).toContainEqual({ id: 'unit', value: 'dateTimeFromNow' });
  });

  it('precision, recall and F1 of classification models, by model version', () => {
    const debug = byUid.get(uids.debug)!;
    const panel = panelNamed(
      debug,
      'Precision, recall and F1 by model version (classification, time range)',
    );
    const cell = (r: string) =>
      `sum by (model, model_version) (increase(twin_prediction_classifications_total{result=~"${r}",model=~"$model",model_version=~"$model_version"}[$__range]))`;
    expect(panelQueries(debug, panel).map((q) => [q.expr, q.instant])).toEqual([
      [`${cell('tp')} / ${cell('tp|fp')}`, true],
      [`${cell('tp')} / ${cell('tp|fn')}`, true],
      [`2 * ${cell('tp')} / (2 * ${cell('tp')} + ${cell('fp|fn')})`, true],
    ]);
  });
});
