/**
 * `npm test`: installs the test bed (cached), runs every workspace's suites in one Vitest run and
 * the Grafana plugin's Jest suites, and ends with one line `N passed, N failed[, N skipped]`
 * summing them all. A component that fails to
 * install is reported here and its tests then fail: nothing is ever skipped for lack of a server.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installAll } from '../test/bed/install.js';
import { repoRoot } from '../tools/paths.js';
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

const pluginReportFile = join(reportDir, 'plugin-report.json');
const jest = spawnSync('npx', ['jest', '--ci', '--json', `--outputFile=${pluginReportFile}`], {
  cwd: join(repoRoot, 'grafana-plugin'),
  stdio: 'inherit',
});

/** A run's report, or one failure when the runner produced none (it failed to run at all). */
function reportOf(file: string, runner: string, status: number | null): VitestJsonReport {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as VitestJsonReport;
  } catch (error) {
    console.error(
      `${runner} produced no report (${(error as Error).message}); exit status ${status}`,
    );
    return { numPassedTests: 0, numFailedTests: 1, numPendingTests: 0, testResults: [] };
  }
}

const counts = summarize(
  reportOf(reportFile, 'vitest', vitest.status),
  reportOf(pluginReportFile, 'jest (grafana-plugin)', jest.status),
);
const line = counts.line;
const ok = vitest.status === 0 && jest.status === 0 && counts.failed === 0;
rmSync(reportDir, { recursive: true, force: true });
console.log(line);
process.exit(ok ? 0 : 1);
