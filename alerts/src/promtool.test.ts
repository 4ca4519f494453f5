import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { installPrometheus, promtoolBinary, run } from '../../test/bed/index.js';
import { alertsDir } from './cli.js';

const generated = join(alertsDir, 'generated');
const ruleFiles = [
  ...readdirSync(join(generated, 'slo-rules')).map((f) => join(generated, 'slo-rules', f)),
  join(generated, 'non-slo-rules.yaml'),
  join(generated, 'test-profile', 'slo-rules.yaml'),
];
const suites = readdirSync(join(alertsDir, 'tests')).filter((f) => f.endsWith('.test.yaml'));

// Each SLO suite replays about a day and a half of samples minute by minute: tens of seconds of
// CPU each. Two at a time (the machine has two cores), all started from one test.
async function inPairs<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    [0, 1].map(async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
    }),
  );
}

describe('promtool', () => {
  beforeAll(() => installPrometheus());

  it('check rules: every generated rule file is valid', async () => {
    const { stdout } = await run(promtoolBinary, ['check', 'rules', ...ruleFiles]);
    expect(stdout.match(/SUCCESS/g)?.length).toBe(ruleFiles.length);
  });

  it('test rules: every SLO alert pages on a fast burn, tickets on a slow one, ignores a spike and resolves; every non-SLO alert fires and stays quiet', async () => {
    expect(suites).toEqual([
      'cause-first.test.yaml',
      'non-slo.test.yaml',
      'slo-actuation-success.test.yaml',
      'slo-api-availability.test.yaml',
      'slo-convergence.test.yaml',
      'slo-divergence.test.yaml',
      'slo-freshness.test.yaml',
      'slo-prediction-accuracy.test.yaml',
      'slo-sync-latency.test.yaml',
    ]);
    const failures: string[] = [];
    await inPairs(suites, async (suite) => {
      try {
        const { stdout } = await run(promtoolBinary, ['test', 'rules', suite], {
          cwd: join(alertsDir, 'tests'),
        });
        if (!stdout.includes('SUCCESS')) failures.push(`${suite}: ${stdout}`);
      } catch (error) {
        failures.push(`${suite}: ${(error as Error).message}`);
      }
    });
    expect(failures).toEqual([]);
  }, 600_000);
});
