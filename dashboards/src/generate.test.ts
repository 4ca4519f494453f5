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
import { oncall } from './oncall.js';
import { parseLabelValues, parseQuery } from './promql.js';
import { panelsOf, queriesOf } from './queries.js';
import { alertsDir, loadDashboardSpecs } from './specs.js';

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
        `slo:sli_error:ratio_rate${tier.longWindow}`,
        `slo:sli_error:ratio_rate${tier.shortWindow}`,
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
    expect(steps(panelNamed(ex, 'Actuation success (period)'))).toEqual([
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
        expect(s.metric, `${q.title}: ${q.expr}`).toMatch(/^(twin_|slo:|ALERTS$|up$)/);
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
});
