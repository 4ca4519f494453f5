import { describe, expect, it } from 'vitest';
import type { CommandAuthConfig } from '../config/types.js';
import { authenticate, authorize, defaultCommandPolicy, isPrincipal, tokenDigest } from './auth.js';
import { risks, roles, type Risk, type Role } from './model.js';

const token = 'tw_s3cret-token-value';
const proxySecret = 'proxy-shared-secret';

const auth: CommandAuthConfig = {
  tokens: [
    { sha256: 'not-a-digest', user: 'broken', roles: ['admin'] },
    { sha256: tokenDigest('other-token'), user: 'olga', roles: ['operator'] },
    { sha256: tokenDigest(token).toUpperCase(), user: 'alice', roles: ['engineer'] },
  ],
  grafanaProxy: {
    secret: proxySecret,
    roleMap: { Viewer: ['viewer'], Editor: ['operator'], Admin: ['admin'] },
  },
};

const proxied = (extra: Record<string, string | string[] | undefined> = {}) => ({
  'x-twinops-proxy-secret': proxySecret,
  'x-grafana-user': 'grace',
  'x-grafana-org-role': 'Editor',
  ...extra,
});

/** The verdict's message, asserting it is a refusal that gives nothing secret away. */
function refusal(headers: Record<string, string | string[] | undefined>): string {
  const result = authenticate(headers, auth);
  expect(isPrincipal(result)).toBe(false);
  expect(result).toMatchObject({ guard: 'authentication', pass: false, code: 'unauthenticated' });
  const { message } = result as { message: string };
  expect(message).not.toContain(token);
  expect(message).not.toContain(proxySecret);
  return message;
}

describe('tokenDigest', () => {
  it('is the hex SHA-256 of the token', () => {
    expect(tokenDigest('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});

describe('authenticate with a bearer token', () => {
  it('finds the user of a configured digest (any hex case)', () => {
    expect(authenticate({ authorization: `Bearer ${token}` }, auth)).toEqual({
      user: 'alice',
      roles: ['engineer'],
      via: 'token',
    });
  });

  it('reads header names case-insensitively and the scheme in any case', () => {
    expect(authenticate({ Authorization: `bearer ${token}` }, auth)).toMatchObject({
      user: 'alice',
    });
  });

  it('returns a copy of the roles, not the config', () => {
    const principal = authenticate({ authorization: `Bearer ${token}` }, auth);
    expect(isPrincipal(principal) && principal.roles).not.toBe(auth.tokens[2]!.roles);
  });

  it('refuses an unknown token without echoing it', () => {
    expect(refusal({ authorization: `Bearer ${token}x` })).toBe(
      'the bearer token is not recognised',
    );
  });

  it('refuses other schemes, empty tokens, repeated and oversized headers', () => {
    expect(refusal({ authorization: `Basic ${token}` })).toContain('must be "Bearer <token>"');
    expect(refusal({ authorization: 'Bearer ' })).toContain('must be "Bearer <token>"');
    expect(refusal({ authorization: [`Bearer ${token}`, 'Bearer x'] })).toContain('more than once');
    expect(refusal({ authorization: `Bearer ${'a'.repeat(5000)}` })).toContain('too long');
  });

  it('never matches a malformed configured digest', () => {
    expect(refusal({ authorization: 'Bearer not-a-digest' })).toBe(
      'the bearer token is not recognised',
    );
  });

  it('does not fall back to proxy headers when the token is wrong', () => {
    refusal({ authorization: 'Bearer nope', ...proxied() });
  });

  it('refuses a request with no credentials at all', () => {
    expect(refusal({})).toContain('no credentials');
  });
});

describe('authenticate through the Grafana proxy', () => {
  it('maps the org role to twinops roles when the secret matches', () => {
    expect(authenticate(proxied(), auth)).toEqual({
      user: 'grace',
      roles: ['operator'],
      via: 'grafana-proxy',
    });
  });

  it('ignores identity headers without the secret', () => {
    expect(refusal({ 'x-grafana-user': 'grace', 'x-grafana-org-role': 'Admin' })).toContain(
      'no credentials',
    );
  });

  it('refuses a wrong secret, whatever its length', () => {
    for (const secret of ['x', `${proxySecret}x`, proxySecret.toUpperCase(), '']) {
      expect(refusal(proxied({ 'x-twinops-proxy-secret': secret }))).toBe(
        'the proxy secret is wrong',
      );
    }
  });

  it('refuses when proxy auth is off, or its secret is empty', () => {
    const off = authenticate(proxied(), { tokens: [] });
    expect(off).toMatchObject({
      code: 'unauthenticated',
      message: expect.stringContaining('not enabled'),
    });
    const empty = {
      tokens: [],
      grafanaProxy: { secret: '', roleMap: { Admin: ['admin' as const] } },
    };
    expect(authenticate(proxied({ 'x-twinops-proxy-secret': '' }), empty)).toMatchObject({
      code: 'unauthenticated',
    });
  });

  it('refuses missing, oversized or odd identity headers', () => {
    expect(refusal(proxied({ 'x-grafana-user': undefined }))).toContain(
      'x-grafana-user header is missing',
    );
    expect(refusal(proxied({ 'x-grafana-user': 'g'.repeat(257) }))).toContain('longer than 256');
    expect(authenticate(proxied({ 'x-grafana-user': 'g'.repeat(256) }), auth)).toMatchObject({
      via: 'grafana-proxy',
    });
    expect(refusal(proxied({ 'x-grafana-user': 'grace\nadmin' }))).toContain('control characters');
    expect(refusal(proxied({ 'x-grafana-org-role': undefined }))).toContain(
      'org-role header is missing',
    );
    expect(refusal(proxied({ 'x-grafana-org-role': 'Owner' }))).toBe(
      'Grafana org role "Owner" is not mapped to any twinops role',
    );
    expect(refusal(proxied({ 'x-grafana-org-role': 'constructor' }))).toContain('not mapped');
  });
});

describe('authorize', () => {
  // The default policy, written out cell by cell.
  const allowed: Record<Role, { submit: Risk[]; approve: Risk[]; killSwitch: boolean }> = {
    viewer: { submit: [], approve: [], killSwitch: false },
    operator: { submit: ['low', 'medium'], approve: [], killSwitch: false },
    engineer: { submit: ['low', 'medium', 'high'], approve: ['medium', 'high'], killSwitch: false },
    admin: {
      submit: ['low', 'medium', 'high'],
      approve: ['low', 'medium', 'high'],
      killSwitch: true,
    },
  };
  const cells = roles.flatMap((role) =>
    risks.flatMap((risk) => [
      { role, risk, action: 'submit' as const, pass: allowed[role].submit.includes(risk) },
      { role, risk, action: 'approve' as const, pass: allowed[role].approve.includes(risk) },
      { role, risk, action: 'kill_switch' as const, pass: allowed[role].killSwitch },
    ]),
  );

  it('covers every role × risk × action', () => {
    expect(cells).toHaveLength(4 * 3 * 3);
    expect(cells.filter((c) => c.pass)).toHaveLength(8 + 5 + 3);
  });

  it.each(cells)('$role $action $risk-risk → $pass', ({ role, risk, action, pass }) => {
    const verdict = authorize(
      { user: 'u', roles: [role], via: 'token' },
      action,
      risk,
      defaultCommandPolicy,
    );
    expect(verdict.guard).toBe('authorization');
    expect(verdict.pass).toBe(pass);
    expect(verdict.code).toBe(pass ? undefined : 'forbidden');
  });

  it('grants when any of several roles allows, and says which', () => {
    const principal = {
      user: 'sam',
      roles: ['viewer', 'engineer'] as Role[],
      via: 'token' as const,
    };
    const verdict = authorize(principal, 'submit', 'high', defaultCommandPolicy);
    expect(verdict).toMatchObject({
      pass: true,
      message: 'sam may submit high-risk commands as engineer',
    });
  });

  it('says who may, when refusing', () => {
    const principal = { user: 'olga', roles: ['operator'] as Role[], via: 'token' as const };
    expect(authorize(principal, 'submit', 'high', defaultCommandPolicy).message).toBe(
      'olga (roles: operator) may not submit high-risk commands; that needs role engineer or admin',
    );
  });

  it('without a risk, allows whoever may submit at some risk', () => {
    const as = (role: Role) =>
      authorize(
        { user: 'u', roles: [role], via: 'token' },
        'submit',
        undefined,
        defaultCommandPolicy,
      ).pass;
    expect(roles.map(as)).toEqual([false, true, true, true]);
  });

  it('refuses a principal without roles', () => {
    expect(
      authorize({ user: 'u', roles: [], via: 'token' }, 'submit', 'low', defaultCommandPolicy),
    ).toMatchObject({
      pass: false,
      code: 'forbidden',
    });
  });
});
