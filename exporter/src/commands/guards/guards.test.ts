import { describe, expect, it } from 'vitest';
import {
  bob,
  guardContext,
  nowMs,
  testCommandsConfig,
} from '../../../test/commands/guards/fixtures.js';
import {
  approval,
  authentication,
  authorization,
  conflict,
  divergence,
  freshness,
  guardOrder,
  guards,
  killSwitch,
  precondition,
  rateLimit,
  safetyEnvelope,
  schema,
  simulation,
} from './guards.js';

const unauthenticated = {
  guard: 'authentication' as const,
  pass: false,
  code: 'unauthenticated' as const,
  message: 'no credentials',
};

describe('guards', () => {
  it('has one guard per name in guardOrder, and every default-context verdict passes', () => {
    expect(Object.keys(guards).sort()).toEqual([...guardOrder].sort());
    for (const name of guardOrder) {
      const verdict = guards[name](guardContext());
      expect(verdict, name).toMatchObject({ guard: name, pass: true });
      expect(verdict.code).toBeUndefined();
    }
  });
});

describe('authentication', () => {
  it('passes a principal', () => {
    expect(authentication(guardContext())).toMatchObject({
      pass: true,
      message: expect.stringContaining('alice'),
    });
  });
  it('refuses with the verdict authenticate gave', () => {
    expect(authentication(guardContext({ principal: unauthenticated }))).toEqual(unauthenticated);
  });
});

describe('authorization', () => {
  it('passes a role allowed the command risk', () => {
    expect(authorization(guardContext())).toMatchObject({ guard: 'authorization', pass: true });
  });
  it('refuses an operator a high-risk command as forbidden', () => {
    const ctx = guardContext({
      principal: { user: 'olga', roles: ['operator'], via: 'token', kind: 'user' },
      request: { name: 'setPressure', params: { bar: 5 } },
    });
    const verdict = authorization(ctx);
    expect(verdict).toMatchObject({ guard: 'authorization', pass: false, code: 'forbidden' });
    expect(verdict.message).toContain('high-risk');
  });
  it('refuses a viewer even an unknown command, before saying it is unknown', () => {
    const ctx = guardContext({
      principal: { user: 'vic', roles: ['viewer'], via: 'token', kind: 'user' },
      request: { name: 'nope' },
    });
    expect(authorization(ctx)).toMatchObject({ pass: false, code: 'forbidden' });
  });
  it('refuses without a principal', () => {
    expect(authorization(guardContext({ principal: unauthenticated }))).toMatchObject({
      pass: false,
      code: 'unauthenticated',
    });
  });
});

describe('schema', () => {
  it('passes valid params', () => {
    expect(schema(guardContext())).toMatchObject({ guard: 'schema', pass: true });
  });
  it('refuses an unknown asset', () => {
    const verdict = schema(guardContext({ asset: null, request: { assetId: 'pump-9' } }));
    expect(verdict).toMatchObject({ pass: false, code: 'unknown_asset' });
    expect(verdict.message).toContain('"pump-9"');
  });
  it('refuses an unknown command, naming the known ones', () => {
    const verdict = schema(guardContext({ request: { name: 'explode' } }));
    expect(verdict).toMatchObject({ pass: false, code: 'unknown_command' });
    expect(verdict.message).toContain('setSpeed, setMode, setPressure');
  });
  it('refuses invalid params, naming each param', () => {
    const verdict = schema(guardContext({ request: { params: { value: 2500, extra: 1 } } }));
    expect(verdict).toMatchObject({ pass: false, code: 'invalid_params' });
    expect(verdict.message).toContain('params.value: must be <= 2000');
    expect(verdict.message).toContain('params.extra: is not a known parameter');
  });
  it('refuses when no validator was compiled, rather than skipping the check', () => {
    expect(schema(guardContext({ validateParams: undefined }))).toMatchObject({
      pass: false,
      code: 'invalid_params',
    });
  });
});

describe('kill_switch', () => {
  it('passes when nothing is engaged, or only another class', () => {
    expect(killSwitch(guardContext())).toMatchObject({ pass: true });
    const other = guardContext({ killSwitch: { global: false, classes: ['valve'] } });
    expect(killSwitch(other)).toMatchObject({ pass: true });
  });
  it('refuses when the global switch is engaged', () => {
    const ctx = guardContext({ killSwitch: { global: true, classes: [] } });
    expect(killSwitch(ctx)).toMatchObject({ pass: false, code: 'kill_switch_engaged' });
  });
  it("refuses when the asset's class switch is engaged", () => {
    const verdict = killSwitch(guardContext({ killSwitch: { global: false, classes: ['pump'] } }));
    expect(verdict).toMatchObject({ pass: false, code: 'kill_switch_engaged' });
    expect(verdict.message).toContain('pump');
  });
});

describe('safety_envelope', () => {
  const withValue = (value: unknown, asset = {}) =>
    safetyEnvelope(guardContext({ request: { params: { value } }, asset }));

  it('passes a value inside the bounds, a small step and no forbidden state', () => {
    const verdict = withValue(1300);
    expect(verdict).toMatchObject({ guard: 'safety_envelope', pass: true });
    expect(verdict.message).toContain('step of 300');
  });
  it('refuses above the maximum and below the minimum as out_of_bounds', () => {
    expect(withValue(1501)).toMatchObject({
      code: 'out_of_bounds',
      message: 'speed 1501 is above the maximum 1500',
    });
    expect(withValue(-1, { reported: { value: 0, sourceTimeMs: nowMs } })).toMatchObject({
      code: 'out_of_bounds',
      message: 'speed -1 is below the minimum 0',
    });
  });
  it('refuses a step larger than maxStep from the reported value', () => {
    const verdict = withValue(1301);
    expect(verdict).toMatchObject({ pass: false, code: 'step_too_large' });
    expect(verdict.message).toContain(
      'from 1000 to 1301 is a step of 301, more than the maximum step 300',
    );
    expect(withValue(699)).toMatchObject({ code: 'step_too_large' });
    expect(withValue(700)).toMatchObject({ pass: true });
  });
  it('refuses a step when there is no reported value, saying why', () => {
    const verdict = withValue(100, { reported: null });
    expect(verdict).toMatchObject({ pass: false, code: 'step_too_large' });
    expect(verdict.message).toContain('speed has no reported value yet');
  });
  it('refuses in a forbidden state, and when that state is unknown', () => {
    const inMaintenance = withValue(1100, { properties: { speed: 1000, mode: 'maintenance' } });
    expect(inMaintenance).toMatchObject({
      code: 'forbidden_state',
      message: 'mode is "maintenance", a state in which setSpeed is refused',
    });
    const unknownMode = withValue(1100, { properties: { speed: 1000 } });
    expect(unknownMode).toMatchObject({ pass: false, code: 'forbidden_state' });
    expect(unknownMode.message).toContain('mode has no reported value');
  });
  it('refuses a non-number value against numeric limits, and a missing one', () => {
    expect(withValue('fast')).toMatchObject({ pass: false, code: 'invalid_params' });
    expect(withValue(undefined)).toMatchObject({ pass: false, code: 'invalid_params' });
  });
  it('passes a string value when the envelope has no numeric limits', () => {
    const ctx = guardContext({ request: { name: 'setMode', params: { mode: 'manual' } } });
    expect(safetyEnvelope(ctx)).toMatchObject({ pass: true });
  });
  it('does not check an unknown asset or command', () => {
    expect(safetyEnvelope(guardContext({ asset: null }))).toMatchObject({ code: 'unknown_asset' });
    expect(safetyEnvelope(guardContext({ spec: undefined }))).toMatchObject({
      code: 'unknown_command',
    });
  });
});

describe('freshness', () => {
  it('passes a recent reported value', () => {
    expect(freshness(guardContext())).toMatchObject({ guard: 'freshness', pass: true });
  });
  it('passes at exactly maxStateAgeMs, refuses just after', () => {
    const at = (ageMs: number) =>
      freshness(
        guardContext({ asset: { reported: { value: 1000, sourceTimeMs: nowMs - ageMs } } }),
      );
    expect(at(60_000)).toMatchObject({ pass: true });
    expect(at(60_001)).toMatchObject({
      pass: false,
      code: 'stale_twin',
      message: 'the newest reported speed is 60.001s old, older than the 60s limit',
    });
  });
  it('refuses a stale asset and a property never reported', () => {
    expect(freshness(guardContext({ asset: { stale: true } }))).toMatchObject({
      code: 'stale_twin',
    });
    expect(freshness(guardContext({ asset: { reported: null } }))).toMatchObject({
      code: 'stale_twin',
    });
  });
});

describe('divergence', () => {
  it('passes an agreeing twin', () => {
    expect(divergence(guardContext())).toMatchObject({ guard: 'divergence', pass: true });
  });
  it('refuses a diverged twin', () => {
    expect(divergence(guardContext({ asset: { diverged: true } }))).toMatchObject({
      pass: false,
      code: 'diverged_twin',
    });
  });
});

describe('simulation', () => {
  it('passes a ramp whose overshoot stays inside the envelope', () => {
    // 1000 → 1200 with 0.2 overshoot peaks at 1240.
    const verdict = simulation(guardContext());
    expect(verdict).toMatchObject({ guard: 'simulation', pass: true });
    expect(verdict.message).toContain('peak at 1240');
  });
  it('refuses a ramp predicted to overshoot the maximum', () => {
    // A step the envelope allows (300), but 1150 → 1450 with 0.2 overshoot peaks at 1510.
    const ctx = guardContext({
      request: { params: { value: 1450 } },
      asset: { reported: { value: 1150, sourceTimeMs: nowMs } },
    });
    const verdict = simulation(ctx);
    expect(verdict).toMatchObject({ pass: false, code: 'simulation_out_of_envelope' });
    expect(verdict.message).toContain('peak at 1510, above the maximum 1500');
  });
  it('refuses a downward ramp that undershoots the minimum', () => {
    const ctx = guardContext({
      request: { params: { value: 10 } },
      asset: { reported: { value: 200, sourceTimeMs: nowMs } },
    });
    expect(simulation(ctx)).toMatchObject({ code: 'simulation_out_of_envelope' });
  });
  it('refuses a ramp without a reported value to ramp from', () => {
    expect(simulation(guardContext({ asset: { reported: null } }))).toMatchObject({
      code: 'simulation_out_of_envelope',
    });
  });
  it('predicts a set as exactly its value', () => {
    const set = (bar: number) =>
      simulation(guardContext({ request: { name: 'setPressure', params: { bar } } }));
    expect(set(10)).toMatchObject({ pass: true });
    expect(set(10.5)).toMatchObject({ pass: false, code: 'simulation_out_of_envelope' });
  });
});

describe('precondition', () => {
  it('passes without an expected version, or with the current one', () => {
    expect(precondition(guardContext())).toMatchObject({ pass: true });
    expect(precondition(guardContext({ request: { expectedVersion: 7 } }))).toMatchObject({
      pass: true,
    });
  });
  it('refuses when the asset moved on, or has no version', () => {
    const verdict = precondition(guardContext({ request: { expectedVersion: 6 } }));
    expect(verdict).toMatchObject({ pass: false, code: 'version_mismatch' });
    expect(verdict.message).toContain('version 6');
    expect(verdict.message).toContain('version 7');
    const unversioned = guardContext({
      request: { expectedVersion: 6 },
      asset: { stateVersion: null },
    });
    expect(precondition(unversioned)).toMatchObject({ code: 'version_mismatch' });
  });
});

describe('conflict', () => {
  it('passes with nothing in flight', () => {
    expect(conflict(guardContext())).toMatchObject({ guard: 'conflict', pass: true });
  });
  it('refuses while another command is in flight on the asset', () => {
    const verdict = conflict(
      guardContext({ inFlight: [{ id: 'cmd-7', name: 'setMode', status: 'dispatched' }] }),
    );
    expect(verdict).toMatchObject({ pass: false, code: 'command_in_flight' });
    expect(verdict.message).toContain('cmd-7 (setMode, dispatched)');
  });
});

describe('rate_limit', () => {
  const withAccepted = (...agesMs: number[]) =>
    rateLimit(guardContext({ recentAcceptedMs: agesMs.map((age) => nowMs - age) }));

  it('passes once the cooldown is over and under the limit', () => {
    expect(withAccepted(10_000, 30_000)).toMatchObject({ guard: 'rate_limit', pass: true });
  });
  it('refuses within the cooldown, saying when to retry', () => {
    const verdict = withAccepted(4_000);
    expect(verdict).toMatchObject({ pass: false, code: 'cooldown' });
    expect(verdict.message).toContain(`retry in 6s (at ${new Date(nowMs + 6_000).toISOString()})`);
  });
  it('refuses at the rate limit, retrying when the oldest counted command leaves the window', () => {
    const verdict = withAccepted(20_000, 40_000, 50_000, 70_000);
    expect(verdict).toMatchObject({ pass: false, code: 'rate_limited' });
    expect(verdict.message).toContain('accepted 3 times in the last 60s, the limit is 3');
    expect(verdict.message).toContain(
      `retry in 10s (at ${new Date(nowMs + 10_000).toISOString()})`,
    );
  });
  it('passes a command without limits', () => {
    const ctx = guardContext({
      request: { name: 'setMode', params: { mode: 'auto' } },
      recentAcceptedMs: [nowMs - 1, nowMs - 2, nowMs - 3, nowMs - 4],
    });
    expect(rateLimit(ctx)).toMatchObject({ pass: true });
  });
});

describe('approval', () => {
  const highRisk = { request: { name: 'setPressure', params: { bar: 5 } } };

  it('passes a command whose risk needs no approval', () => {
    expect(approval(guardContext())).toMatchObject({ guard: 'approval', pass: true });
  });
  it('holds a high-risk command for approval by a second person', () => {
    const verdict = approval(guardContext(highRisk));
    expect(verdict).toMatchObject({ pass: false, code: 'approval_required' });
    expect(verdict.message).toContain('engineer or admin');
  });
  it('passes once someone else approved, refuses approval by the submitter', () => {
    expect(
      approval(guardContext({ ...highRisk, approval: { approvedBy: bob.user } })),
    ).toMatchObject({
      pass: true,
    });
    expect(
      approval(guardContext({ ...highRisk, approval: { approvedBy: 'ALICE' } })),
    ).toMatchObject({
      pass: false,
      code: 'self_approval',
    });
  });
  it('follows the configured approvalFor', () => {
    const config = { ...testCommandsConfig, approvalFor: ['medium' as const] };
    expect(approval(guardContext({ config }))).toMatchObject({ code: 'approval_required' });
  });
});
