import { describe, expect, it } from 'vitest';
import { summarize, type VitestJsonReport } from './summary.js';

const report = (overrides: Partial<VitestJsonReport>): VitestJsonReport => ({
  numPassedTests: 0,
  numFailedTests: 0,
  numPendingTests: 0,
  numTodoTests: 0,
  testResults: [],
  ...overrides,
});

describe('the npm test summary line', () => {
  it('prints passed and failed, and skipped only when some were', () => {
    expect(summarize(report({ numPassedTests: 7, numFailedTests: 1 })).line).toBe(
      '7 passed, 1 failed',
    );
    expect(summarize(report({ numPassedTests: 7, numPendingTests: 2, numTodoTests: 1 })).line).toBe(
      '7 passed, 0 failed, 3 skipped',
    );
  });

  it('counts a suite that failed to load as a failure', () => {
    const summary = summarize(
      report({
        numPassedTests: 3,
        testResults: [
          { name: 'a.test.ts', status: 'passed', assertionResults: [{}, {}, {}] },
          { name: 'b.test.ts', status: 'failed', assertionResults: [] },
        ],
      }),
    );
    expect(summary).toMatchObject({ passed: 3, failed: 1, line: '3 passed, 1 failed' });
  });

  it('sums the Vitest run and the Jest run (whose reports have no todo count)', () => {
    const jest = report({ numPassedTests: 4, numFailedTests: 1, numPendingTests: 1 });
    delete jest.numTodoTests;
    const vitest = report({ numPassedTests: 10, numTodoTests: 1 });
    expect(summarize(vitest, jest)).toMatchObject({
      passed: 14,
      failed: 1,
      skipped: 2,
      line: '14 passed, 1 failed, 2 skipped',
    });
  });
});
