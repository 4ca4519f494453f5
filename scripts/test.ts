/**
 * `npm test`: installs the test bed (cached), runs every workspace's suites in one Vitest run, and
 * ends with one line `N passed, N failed[, N skipped]` summing them all. A component that fails to
 * install is reported here and its tests then fail: nothing is ever skipped for lack of a server.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installAll } from '../test/bed/install.js';
import { repoRoot } from '../test/bed/paths.js';
import { summarize, type VitestJsonReport } from './summary.js';

const failedInstalls = await installAll();
if (failedInstalls.length) {
  console.error(`[setup] test bed components that failed to install: ${failedInstalls.join(', ')}`);
}

const reportDir = mkdtempSync(join(tmpdir(), 'twinops-test-'));
const reportFile = join(reportDir, 'report.json');
const vitest = spawnSync(
  'npx',
  [
    'vitest',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${reportFile}`,
    ...process.argv.slice(2),
  ],
  { cwd: repoRoot, stdio: 'inherit', env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' } },
);

let line: string;
let ok: boolean;
try {
  const counts = summarize(JSON.parse(readFileSync(reportFile, 'utf8')) as VitestJsonReport);
  line = counts.line;
  ok = vitest.status === 0 && counts.failed === 0;
} catch (error) {
  // No report means Vitest itself failed to run: that is one failure, not zero tests.
  console.error(
    `vitest produced no report (${(error as Error).message}); exit status ${vitest.status}`,
  );
  line = '0 passed, 1 failed';
  ok = false;
} finally {
  rmSync(reportDir, { recursive: true, force: true });
}
console.log(line);
process.exit(ok ? 0 : 1);
