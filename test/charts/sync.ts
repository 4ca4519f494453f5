/**
 * Copies the generated rules (alerts/generated/*.yaml) and dashboards (dashboards/*.json) into the
 * chart (charts/twinops/files/), removing copies whose source is gone. Run it after regenerating
 * either: `npx tsx test/charts/sync.ts`. `--check` changes nothing and exits 1 on any drift (the
 * same check test/charts/sync.test.ts makes).
 */
import { relative } from 'node:path';
import { repoRoot } from '../../tools/paths.js';
import { chartFileDrift, chartFileSets, syncChartFiles } from './chart-files.js';

const sets = chartFileSets(repoRoot);
if (process.argv.includes('--check')) {
  const drift = chartFileDrift(sets, repoRoot);
  for (const line of drift) console.error(line);
  console.log(drift.length ? `${drift.length} difference(s)` : 'chart files in step');
  process.exit(drift.length ? 1 : 0);
}
const { copied, removed } = syncChartFiles(sets);
for (const path of copied) console.log(`copied  ${relative(repoRoot, path)}`);
for (const path of removed) console.log(`removed ${relative(repoRoot, path)}`);
console.log(copied.length + removed.length ? 'chart files synced' : 'chart files already in step');
