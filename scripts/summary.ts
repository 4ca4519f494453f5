/** The parts of Vitest's JSON report (Jest's format, so Jest's too) that the summary needs. */
export interface VitestJsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  /** Vitest only. */
  numTodoTests?: number;
  testResults: { name: string; status: string; assertionResults: unknown[] }[];
}

export interface Summary {
  passed: number;
  failed: number;
  skipped: number;
  line: string;
}

/**
 * Sums a run. A test file that failed before any test ran (it did not load, or a beforeAll threw
 * with no test recorded) counts as one failure, so a broken suite can never read as a pass.
 */
export function summarize(...reports: VitestJsonReport[]): Summary {
  const counts = reports.map(count);
  const passed = counts.reduce((sum, c) => sum + c.passed, 0);
  const failed = counts.reduce((sum, c) => sum + c.failed, 0);
  const skipped = counts.reduce((sum, c) => sum + c.skipped, 0);
  const line = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
  return { passed, failed, skipped, line };
}

function count(report: VitestJsonReport): Omit<Summary, 'line'> {
  const brokenFiles = report.testResults.filter(
    (file) => file.status === 'failed' && file.assertionResults.length === 0,
  ).length;
  const passed = report.numPassedTests;
  const failed = report.numFailedTests + brokenFiles;
  const skipped = report.numPendingTests + (report.numTodoTests ?? 0);
  return { passed, failed, skipped };
}
