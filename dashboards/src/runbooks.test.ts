/**
 * The runbooks (alerts/runbooks/*.md) send the person paged to panels by title: each title a
 * runbook quotes as a panel exists on the dashboard it names. A runbook names panels as
 * `the "Title" panel` (or `“Title”`, or `**Title**`), several at once as
 * `the "A", "B" and "C" panels`; the dashboard is the last `twinops-<name>` uid named before it in
 * the same paragraph, else the dashboard the alert's dashboard_url opens.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { uids } from './common.js';
import { buildDashboards } from './dashboards.js';
import { panelsOf } from './queries.js';
import { alertsDir, loadDashboardSpecs } from './specs.js';

interface PanelReference {
  title: string;
  /** The dashboard uid named before it in its paragraph, if any. */
  dashboard?: string;
  /** 1-based line of the reference. */
  line: number;
}

const dashboardUid = new RegExp(`\\b(${Object.values(uids).join('|')})\\b`, 'g');
// One quoted title: "…", “…” or **…**.
const quoted = String.raw`(?:"[^"\n]+"|“[^”\n]+”|\*\*[^*\n]+\*\*)`;
// A list of quoted titles ("A", "B" and "C") followed by `panel` or `panels`.
const reference = new RegExp(
  String.raw`(${quoted}(?:(?:,\s*|,?\s+(?:and|or)\s+)${quoted})*)\s+panels?\b`,
  'g',
);
const unquote = (t: string) => t.replace(/^(\*\*|"|“)|(\*\*|"|”)$/g, '');

/** The panel references of a runbook, with the dashboard each paragraph names before them. */
function panelReferences(markdown: string): PanelReference[] {
  // Code never names a panel: fenced blocks and inline code become blanks of the same length,
  // so line numbers and positions stay.
  const text = markdown
    .replace(/```[\s\S]*?```/g, (m) => m.replace(/[^\n]/g, ' '))
    .replace(/`[^`\n]*`/g, (m) =>
      // Keep a dashboard uid written as code: that is how runbooks name dashboards.
      new RegExp(`^\`(${Object.values(uids).join('|')})\`$`).test(m) ? m : ' '.repeat(m.length),
    );
  // Paragraphs end at blank lines (a code block, blanked, is one too).
  const breaks = [...text.matchAll(/\n[ \t]*\n/g)].map((m) => m.index ?? 0);
  const refs: PanelReference[] = [];
  for (const m of text.matchAll(reference)) {
    const at = m.index ?? 0;
    const paragraph = breaks.filter((b) => b < at).at(-1) ?? 0;
    const dashboard = [...text.slice(paragraph, at).matchAll(dashboardUid)].at(-1)?.[1];
    const line = text.slice(0, at).split('\n').length;
    for (const t of m[1]!.match(new RegExp(quoted, 'g')) ?? []) {
      refs.push({ title: unquote(t), ...(dashboard ? { dashboard } : {}), line });
    }
  }
  return refs;
}

describe('runbooks name panels that exist where they say', () => {
  it('reads panel references the way the runbooks write them', () => {
    const md = [
      '# X',
      '',
      '**Confirm** on `twinops-oncall`: the "Stale twins by class" panel; the “Kill switches”',
      'panel and the **Firing alerts** panel. **Isolate the actuation channel** first.',
      '`"not a panel" panel` and',
      '```',
      '"nor this" panel',
      '```',
      '',
      'On `twinops-debug`, the "CPU", "Memory" and "Event loop lag p99" panels.',
      '',
      'No dashboard: the "Recent commands (time range)" panel.',
    ].join('\n');
    expect(panelReferences(md)).toEqual([
      { title: 'Stale twins by class', dashboard: 'twinops-oncall', line: 3 },
      { title: 'Kill switches', dashboard: 'twinops-oncall', line: 3 },
      { title: 'Firing alerts', dashboard: 'twinops-oncall', line: 4 },
      { title: 'CPU', dashboard: 'twinops-debug', line: 10 },
      { title: 'Memory', dashboard: 'twinops-debug', line: 10 },
      { title: 'Event loop lag p99', dashboard: 'twinops-debug', line: 10 },
      { title: 'Recent commands (time range)', line: 12 },
    ]);
  });

  it('every panel a runbook quotes is on the dashboard it names (or the alert’s)', () => {
    const specs = loadDashboardSpecs();
    const titles = new Map(
      [...buildDashboards(specs).values()].map((d) => [
        d.uid!,
        new Set([
          ...panelsOf(d).map((p) => p.title),
          // Rows are named too ("the commands row" is not a panel, but a quoted row title is).
          ...(d.panels ?? []).filter((p) => p.type === 'row').map((p) => p.title),
        ]),
      ]),
    );
    const dir = join(alertsDir, 'runbooks');
    const problems: string[] = [];
    let checked = 0;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.md'))) {
      // The dashboards the alerts linking this runbook open.
      const own = [
        ...new Set(specs.alerts.filter((a) => a.runbook === file).map((a) => a.dashboard)),
      ];
      for (const ref of panelReferences(readFileSync(join(dir, file), 'utf8'))) {
        const where = ref.dashboard ? [ref.dashboard] : own;
        checked += 1;
        if (!where.length) {
          problems.push(
            `${file}:${ref.line}: "${ref.title}": names no dashboard, and no alert links ${file}`,
          );
        } else if (!where.some((uid) => titles.get(uid)?.has(ref.title))) {
          const elsewhere = [...titles].filter(([, t]) => t.has(ref.title)).map(([uid]) => uid);
          problems.push(
            `${file}:${ref.line}: no panel "${ref.title}" on ${where.join(' or ')}` +
              (elsewhere.length ? ` (it is on ${elsewhere.join(', ')})` : ''),
          );
        }
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });
});
