import { describe, expect, it } from 'vitest';
import { run } from '../bed/index.js';
import { repoRoot } from '../../tools/paths.js';

/**
 * What a local run writes by default never shows up in `git status`: the exporter's SQLite files
 * where it is started (exporter/config.example.yaml: twinops-state.db, its journal
 * twinops-state-journal.db and twinops-commands.db, each with SQLite's -wal and -shm), npm run
 * demo's .twinops/, build output (exporter/dist, the plugin's dist/ and preview bundle), the
 * plugin zip, the chart archive, reports and caches.
 */
const written = [
  'twinops-state.db',
  'twinops-state.db-wal',
  'twinops-state.db-shm',
  'twinops-state-journal.db',
  'twinops-state-journal.db-wal',
  'twinops-commands.db',
  'twinops-commands.db-wal',
  'twinops-commands.db-shm',
  'twinops-commands.db-journal',
  'exporter/twinops-state.db',
  'exporter/twinops-commands.db-wal',
  '.twinops/demo-state.db',
  '.twinops/demo-commands.db',
  '.twinops/demo-commands-devices.json',
  'exporter/dist/main.js',
  'exporter/tsconfig.build.tsbuildinfo',
  'grafana-plugin/dist/module.js',
  'grafana-plugin/preview/dist/preview.js',
  'grafana-plugin/src/dashboards/oncall.json',
  'grafana-plugin/artifacts/twinops-twinops-app-0.1.0.zip',
  'grafana-plugin/artifacts/twinops-twinops-app-0.1.0.zip.sha1',
  'grafana-plugin/.eslintcache',
  'charts/twinops-0.2.0.tgz',
  'artifacts/exporter-image.tar',
  'test/.artifacts/crash-1.json',
  'test/.artifacts/plugin/fleet.png',
  'dashboards/.artifacts/live-report.md',
  'soak.cpuprofile',
  'node_modules/.cache/twinops-preview/build-lock/pid',
];

/** The paths of `paths` git ignores (`git check-ignore` exits 1 when it ignores none). */
async function ignored(paths: string[]): Promise<Set<string>> {
  // --no-index: the patterns decide, even for a path someone committed by mistake.
  const { stdout } = await run('sh', ['-c', 'git check-ignore --no-index --stdin; test $? -le 1'], {
    cwd: repoRoot,
    input: `${paths.join('\n')}\n`,
  });
  return new Set(stdout.split('\n').filter(Boolean));
}

describe('.gitignore', () => {
  it('ignores what a local run, the demo and the builds write', async () => {
    const hits = await ignored(written);
    const tracked = written.filter((path) => !hits.has(path));
    expect(tracked, 'git status would show these: add a pattern to .gitignore').toEqual([]);
  });

  it('does not ignore the sources beside them', async () => {
    const sources = [
      'exporter/src/main.ts',
      'exporter/config.example.yaml',
      'charts/twinops/Chart.yaml',
      'grafana-plugin/scripts/package.mjs',
      'dashboards/generated/oncall.json',
      'docs/platform.md',
      'CHANGELOG.md',
    ];
    expect([...(await ignored(sources))]).toEqual([]);
  });
});
