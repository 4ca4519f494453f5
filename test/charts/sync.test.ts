import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../../tools/paths.js';
import { chartFileDrift, chartFileSets, filesOf, syncChartFiles } from './chart-files.js';

describe("the chart's copies of the generated rules and dashboards", () => {
  it('equal their sources (after regenerating either, run: npx tsx test/charts/sync.ts)', () => {
    // Checks whatever exists: no sources and no copies is in step too.
    expect(chartFileDrift(chartFileSets(repoRoot), repoRoot)).toEqual([]);
  });
});

describe('the sync', () => {
  const temps: string[] = [];
  afterEach(() => {
    for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** A scratch repository with the given generated files, and the chart folder empty. */
  function scratch(rules: Record<string, string>, dashboards: Record<string, string>): string {
    const root = mkdtempSync(join(tmpdir(), 'twinops-sync-'));
    temps.push(root);
    mkdirSync(join(root, 'alerts', 'generated', 'test-profile'), { recursive: true });
    mkdirSync(join(root, 'dashboards', 'generated'), { recursive: true });
    for (const [name, text] of Object.entries(rules)) {
      writeFileSync(join(root, 'alerts', 'generated', name), text);
    }
    for (const [name, text] of Object.entries(dashboards)) {
      writeFileSync(join(root, 'dashboards', 'generated', name), text);
    }
    return root;
  }

  it('copies any number of files, then reports no drift', () => {
    const root = scratch(
      { 'slo-a.yaml': 'groups: []\n', 'slo-b.yaml': 'groups: []\n', 'notes.txt': 'not a rule' },
      { 'on-call.json': '{}', 'debug.json': '{}', 'provisioning.yaml': 'x: 1' },
    );
    // The time-compressed test profile is for promtool tests, not for clusters.
    writeFileSync(join(root, 'alerts', 'generated', 'test-profile', 'slo-a.yaml'), 'groups: []\n');
    // One rules file per SLO lives one folder down.
    mkdirSync(join(root, 'alerts', 'generated', 'slo-rules'));
    writeFileSync(join(root, 'alerts', 'generated', 'slo-rules', 'freshness.yaml'), 'groups: []\n');
    const sets = chartFileSets(root);
    expect(chartFileDrift(sets, root)).toEqual([
      'rules: charts/twinops/files/rules/slo-a.yaml is missing',
      'rules: charts/twinops/files/rules/slo-b.yaml is missing',
      'dashboards: charts/twinops/files/dashboards/debug.json is missing',
      'dashboards: charts/twinops/files/dashboards/on-call.json is missing',
      'slo rules: charts/twinops/files/slo-rules/freshness.yaml is missing',
    ]);
    expect(syncChartFiles(sets).copied).toHaveLength(5);
    expect(chartFileDrift(sets, root)).toEqual([]);
    expect(readdirSync(join(root, 'charts', 'twinops', 'files', 'rules'))).toEqual([
      'slo-a.yaml',
      'slo-b.yaml',
    ]);
    expect(syncChartFiles(sets)).toEqual({ copied: [], removed: [] });
  });

  it('names changed and orphaned copies, and sync repairs both', () => {
    const root = scratch({ 'slo-a.yaml': 'groups: []\n', 'slo-b.yaml': 'groups: []\n' }, {});
    const sets = chartFileSets(root);
    syncChartFiles(sets);
    writeFileSync(join(root, 'alerts', 'generated', 'slo-a.yaml'), 'groups: [{name: a}]\n');
    rmSync(join(root, 'alerts', 'generated', 'slo-b.yaml'));
    expect(chartFileDrift(sets, root)).toEqual([
      'rules: charts/twinops/files/rules/slo-a.yaml differs from alerts/generated/slo-a.yaml',
      'rules: charts/twinops/files/rules/slo-b.yaml has no source in alerts/generated',
    ]);
    const { copied, removed } = syncChartFiles(sets);
    expect([copied.length, removed.length]).toEqual([1, 1]);
    expect(chartFileDrift(sets, root)).toEqual([]);
  });

  it('works with the source folders missing altogether', () => {
    const root = mkdtempSync(join(tmpdir(), 'twinops-sync-'));
    temps.push(root);
    const sets = chartFileSets(root);
    expect(chartFileDrift(sets, root)).toEqual([]);
    expect(syncChartFiles(sets)).toEqual({ copied: [], removed: [] });
  });

  it('feeds the fixtures through the same path the chart reads', () => {
    const root = scratch({}, {});
    cpSync(join(import.meta.dirname, 'fixtures', 'rules'), join(root, 'alerts', 'generated'), {
      recursive: true,
    });
    const sets = chartFileSets(root);
    syncChartFiles(sets);
    expect(filesOf(sets[0]!.targetDir, '.yaml')).toEqual(['twinops-fixture.yaml']);
  });
});
