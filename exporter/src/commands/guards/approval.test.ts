import { describe, expect, it } from 'vitest';
import type { Principal } from '../model.js';
import { checkApproval } from './approval.js';
import { nowMs, testCommandsConfig as config } from '../../../test/commands/guards/fixtures.js';

const engineer: Principal = { user: 'erin', roles: ['engineer'], via: 'token', kind: 'user' };
const held = { submittedBy: 'alice', risk: 'high' as const, submittedAtMs: nowMs - 60_000 };

describe('checkApproval', () => {
  it('passes a different person with an approving role, in time', () => {
    expect(checkApproval(engineer, held, nowMs, config)).toMatchObject({
      guard: 'approval',
      pass: true,
    });
  });

  it('refuses the submitter approving their own command, whatever the case', () => {
    const self: Principal = { user: 'Alice', roles: ['admin'], via: 'grafana-proxy', kind: 'user' };
    expect(checkApproval(self, held, nowMs, config)).toMatchObject({
      pass: false,
      code: 'self_approval',
    });
  });

  it('refuses a role that may not approve that risk', () => {
    const operator: Principal = { user: 'olga', roles: ['operator'], via: 'token', kind: 'user' };
    expect(checkApproval(operator, held, nowMs, config)).toMatchObject({
      guard: 'approval',
      pass: false,
      code: 'forbidden',
    });
    const low = { ...held, risk: 'low' as const };
    expect(checkApproval(engineer, low, nowMs, config)).toMatchObject({ code: 'forbidden' });
  });

  it('passes at exactly approvalWithinMs, refuses after it', () => {
    const at = (ageMs: number) =>
      checkApproval(engineer, { ...held, submittedAtMs: nowMs - ageMs }, nowMs, config);
    expect(at(900_000)).toMatchObject({ pass: true });
    const late = at(900_001);
    expect(late).toMatchObject({ pass: false, code: 'approval_expired' });
    expect(late.message).toContain('within 900s');
  });
});
