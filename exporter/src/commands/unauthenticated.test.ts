import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { throttle, UnauthenticatedAttempts } from './unauthenticated.js';

describe('unauthenticated attempts', () => {
  it('logs one line per reason per 10 s, with the count left out since', async () => {
    let clock = 0;
    const lines: string[] = [];
    const registry = new Registry();
    const attempts = new UnauthenticatedAttempts(registry, {
      now: () => clock,
      log: (line) => lines.push(line),
    });
    for (let i = 0; i < 5; i++) attempts.count('submit', 'unknown_token');
    attempts.count('retire', 'no_credentials');
    clock = 9_999;
    attempts.count('submit', 'unknown_token');
    clock = 10_000;
    attempts.count('approve', 'unknown_token');
    expect(lines).toEqual([
      'twinops commands: refused an unauthenticated submit request: unknown_token; not audited',
      'twinops commands: refused an unauthenticated retire request: no_credentials; not audited',
      'twinops commands: refused an unauthenticated approve request: unknown_token (and 5 more since the last line); not audited',
    ]);
    const counted = await registry.getSingleMetric('twin_command_unauthenticated_total')?.get();
    expect(counted?.values.map((v) => [v.labels, v.value])).toEqual([
      [{ route: 'submit', reason: 'unknown_token' }, 6],
      [{ route: 'retire', reason: 'no_credentials' }, 1],
      [{ route: 'approve', reason: 'unknown_token' }, 1],
    ]);
    // A second counter on the same registry shares the metric.
    new UnauthenticatedAttempts(registry, { log: () => undefined }).count('read', 'no_credentials');
    expect(
      (await registry.getSingleMetric('twin_command_unauthenticated_total')?.get())?.values,
    ).toHaveLength(4);
  });

  it('throttles as a pure step', () => {
    expect(throttle(undefined, 5)).toEqual({
      log: true,
      suppressed: 0,
      next: { lastMs: 5, suppressed: 0 },
    });
    expect(throttle({ lastMs: 5, suppressed: 2 }, 6)).toEqual({
      log: false,
      suppressed: 0,
      next: { lastMs: 5, suppressed: 3 },
    });
    expect(throttle({ lastMs: 5, suppressed: 3 }, 10_005).suppressed).toBe(3);
  });
});
