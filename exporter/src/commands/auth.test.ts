import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandAuthConfig } from '../config/types.js';
import { defaultCommandPolicy } from '../config/load.js';
import { authenticate, authorize, isPrincipal, tokenDigest } from './auth.js';
import { roles, type Role } from '../model.js';
import { risks, type Principal, type Risk } from './model.js';

const token = 'tw_s3cret-token-value';
const proxySecret = 'proxy-shared-secret';
const roleMap = { Viewer: ['viewer'], Editor: ['operator'], Admin: ['admin'] } as Record<
  string,
  Role[]
>;

type RawHeaders = Record<string, string | string[] | undefined>;

// ---- Grafana's signing keys, served by a real HTTP server ----

const kid = 'grafana-id-key-1';
let signingKey: CryptoKey;
let strangerKey: CryptoKey;
let jwks: Server;
let jwksUrl = '';
let jwksRequests = 0;
/** Accepts connections and never answers: a Grafana that hangs. */
let silent: Server;
let silentUrl = '';
/** A port nothing listens on: a Grafana that is down. */
let downUrl = '';

async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Server> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
const urlOf = (server: Server): string =>
  `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/signing-keys/keys`;

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  signingKey = privateKey;
  ({ privateKey: strangerKey } = await generateKeyPair('ES256'));
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  jwks = await listen((req, res) => {
    jwksRequests += 1;
    if (req.url !== '/api/signing-keys/keys') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  jwksUrl = urlOf(jwks);
  silent = await listen(() => undefined);
  silentUrl = urlOf(silent);
  const closed = await listen(() => undefined);
  downUrl = urlOf(closed);
  await new Promise((resolve) => closed.close(resolve));
});

afterAll(async () => {
  for (const server of [jwks, silent]) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** An ID token as Grafana 12 signs one (pkg/services/auth/idimpl): ES256, kid, typ jwt. */
async function idToken(
  claims: JWTPayload = {},
  options: { key?: CryptoKey; kid?: string; expiresIn?: string | number } = {},
): Promise<string> {
  return new SignJWT({
    sub: 'user:5',
    aud: ['org:1'],
    iss: 'http://grafana.example/',
    identifier: 'u-grace',
    type: 'user',
    namespace: 'default',
    username: 'grace',
    name: 'Grace Hopper',
    role: 'Editor',
    ...claims,
  })
    .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? kid, typ: 'jwt' })
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '10m')
    .sign(options.key ?? signingKey);
}

/** `X-Grafana-Context` as Grafana 12 marshals `*user.SignedInUser` (a subset of its fields). */
function grafanaContext(fields: Record<string, unknown> = {}): string {
  return JSON.stringify({
    UserID: 5,
    UserUID: 'u-grace',
    OrgID: 1,
    OrgName: 'Main Org.',
    OrgRole: 'Editor',
    Login: 'grace',
    Name: 'Grace Hopper',
    Email: 'grace@example.com',
    EmailVerified: true,
    AuthID: '',
    AuthenticatedBy: 'password',
    Namespace: 'default',
    ApiKeyID: 0,
    IsServiceAccount: false,
    IsGrafanaAdmin: false,
    IsAnonymous: false,
    IsDisabled: false,
    HelpFlags1: 0,
    LastSeenAt: '2025-06-01T12:00:00Z',
    Teams: [],
    FallbackType: 'user',
    ...fields,
  });
}

const authWith = (idTokenOptions?: Partial<NonNullable<CommandAuthConfig['grafanaIdToken']>>) => {
  const auth: CommandAuthConfig = {
    tokens: [
      { sha256: 'not-a-digest', user: 'broken', roles: ['admin'] },
      { sha256: tokenDigest('other-token'), user: 'olga', roles: ['operator'] },
      { sha256: tokenDigest(token).toUpperCase(), user: 'alice', roles: ['engineer'] },
    ],
    grafanaProxy: {
      secret: proxySecret,
      roleMap,
      ...(idTokenOptions ? { idToken: { jwksUrl, timeoutMs: 2_000, ...idTokenOptions } } : {}),
    },
  };
  return auth;
};
const auth = authWith();

/** What a stock Grafana 12 sends through the app's editor route (user header off). */
const proxied = (extra: RawHeaders = {}): RawHeaders => ({
  'x-twinops-proxy-secret': proxySecret,
  'x-grafana-context': grafanaContext(),
  'x-grafana-org-role': 'Editor',
  ...extra,
});

/** The verdict's message, asserting it is a refusal that gives nothing secret away. */
async function refusal(headers: RawHeaders, config: CommandAuthConfig = auth): Promise<string> {
  const result = await authenticate(headers, config);
  expect(isPrincipal(result)).toBe(false);
  expect(result).toMatchObject({ guard: 'authentication', pass: false, code: 'unauthenticated' });
  const { message } = result as { message: string };
  expect(message).not.toContain(token);
  expect(message).not.toContain(proxySecret);
  const sentToken = headers['x-grafana-id'];
  if (typeof sentToken === 'string' && sentToken.length > 0) {
    expect(message).not.toContain(sentToken);
  }
  return message;
}

async function principal(
  headers: RawHeaders,
  config: CommandAuthConfig = auth,
): Promise<Principal> {
  const result = await authenticate(headers, config);
  if (!isPrincipal(result)) throw new Error(`refused: ${result.message}`);
  return result;
}

describe('tokenDigest', () => {
  it('is the hex SHA-256 of the token', () => {
    expect(tokenDigest('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});

describe('authenticate with a bearer token', () => {
  it('finds the user of a configured digest (any hex case)', async () => {
    expect(await authenticate({ authorization: `Bearer ${token}` }, auth)).toEqual({
      user: 'alice',
      roles: ['engineer'],
      via: 'token',
      kind: 'user',
    });
  });

  it('reads header names case-insensitively and the scheme in any case', async () => {
    expect(await authenticate({ Authorization: `bearer ${token}` }, auth)).toMatchObject({
      user: 'alice',
    });
  });

  it('returns a copy of the roles, not the config', async () => {
    const found = await principal({ authorization: `Bearer ${token}` });
    expect(found.roles).not.toBe(auth.tokens[2]!.roles);
  });

  it('refuses an unknown token without echoing it', async () => {
    expect(await refusal({ authorization: `Bearer ${token}x` })).toBe(
      'the bearer token is not recognised',
    );
  });

  it('refuses other schemes, empty tokens, repeated and oversized headers', async () => {
    expect(await refusal({ authorization: `Basic ${token}` })).toContain(
      'must be "Bearer <token>"',
    );
    expect(await refusal({ authorization: 'Bearer ' })).toContain('must be "Bearer <token>"');
    expect(await refusal({ authorization: [`Bearer ${token}`, 'Bearer x'] })).toContain(
      'more than once',
    );
    expect(await refusal({ authorization: `Bearer ${'a'.repeat(5000)}` })).toContain('too long');
  });

  it('never matches a malformed configured digest', async () => {
    expect(await refusal({ authorization: 'Bearer not-a-digest' })).toBe(
      'the bearer token is not recognised',
    );
  });

  it('does not fall back to proxy headers when the token is wrong', async () => {
    await refusal({ authorization: 'Bearer nope', ...proxied() });
  });

  it('refuses a request with no credentials at all', async () => {
    expect(await refusal({})).toContain('no credentials');
  });
});

describe('the proxy secret comes first', () => {
  it('ignores a spoofed X-Grafana-Context (or X-Grafana-Id) without the secret', async () => {
    const spoofed = {
      'x-grafana-context': grafanaContext({ Login: 'ada', OrgRole: 'Admin' }),
      'x-grafana-id': await idToken({ username: 'ada' }),
      'x-grafana-org-role': 'Admin',
    };
    expect(await refusal(spoofed, authWith({}))).toContain('no credentials');
  });

  it('refuses a wrong secret, whatever its length, before reading any identity header', async () => {
    const before = jwksRequests;
    for (const secret of ['x', `${proxySecret}x`, proxySecret.toUpperCase(), '']) {
      const headers = proxied({
        'x-twinops-proxy-secret': secret,
        // Neither parsed nor verified: a wrong secret costs a digest, nothing more.
        'x-grafana-context': '{not json',
        'x-grafana-id': await idToken({}, { kid: 'never-fetched' }),
      });
      expect(await refusal(headers, authWith({}))).toBe('the proxy secret is wrong');
    }
    expect(jwksRequests).toBe(before);
  });

  it('refuses when proxy auth is off, or its secret is empty', async () => {
    expect(await refusal(proxied(), { tokens: [] })).toContain('not enabled');
    const empty = { tokens: [], grafanaProxy: { secret: '', roleMap } };
    expect(await refusal(proxied({ 'x-twinops-proxy-secret': '' }), empty)).toContain(
      'not enabled',
    );
  });
});

describe('authenticate with X-Grafana-Context (a stock Grafana 12)', () => {
  it('takes the user from Login and the role from OrgRole, with no X-Grafana-User', async () => {
    expect(await principal(proxied())).toEqual({
      user: 'grace',
      roles: ['operator'],
      via: 'grafana-proxy',
      kind: 'user',
    });
  });

  it('works without the route role header too, and ignores fields it does not read', async () => {
    const headers = proxied({
      'x-grafana-org-role': undefined,
      'x-grafana-context': grafanaContext({ OrgRole: 'Admin', Teams: [1, 2], Extra: { a: 1 } }),
    });
    expect(await principal(headers)).toMatchObject({ user: 'grace', roles: ['admin'] });
  });

  it('applies the lower of the route role and the context role', async () => {
    const as = async (contextRole: string, routeRole: string) =>
      (
        await principal(
          proxied({
            'x-grafana-context': grafanaContext({ OrgRole: contextRole }),
            'x-grafana-org-role': routeRole,
          }),
        )
      ).roles;
    // An Admin through the viewer route stays a viewer request.
    expect(await as('Admin', 'Viewer')).toEqual(['viewer']);
    // A Viewer cannot borrow the editor route's role.
    expect(await as('Viewer', 'Editor')).toEqual(['viewer']);
    expect(await as('Admin', 'Admin')).toEqual(['admin']);
    expect(
      await refusal(proxied({ 'x-grafana-context': grafanaContext({ OrgRole: 'None' }) })),
    ).toBe('Grafana org role "None" is not mapped to any twinops role');
  });

  it('refuses a malformed context, naming the header and what is wrong', async () => {
    const bad = (context: string | string[]) => refusal(proxied({ 'x-grafana-context': context }));
    expect(await bad('{"Login": "grace"')).toBe('the X-Grafana-Context header is not valid JSON');
    expect(await bad('["grace"]')).toBe('the X-Grafana-Context header is not a JSON object');
    expect(await bad('"grace"')).toBe('the X-Grafana-Context header is not a JSON object');
    expect(await bad(JSON.stringify({ OrgRole: 'Editor', UserID: 5 }))).toBe(
      'the X-Grafana-Context header has no Login',
    );
    expect(await bad(JSON.stringify({ Login: 'grace', UserID: 5 }))).toBe(
      'the X-Grafana-Context header has no OrgRole',
    );
    expect(await bad(grafanaContext({ Login: 42 }))).toContain('Login of the wrong type');
    expect(await bad(grafanaContext({ OrgRole: ['Admin'] }))).toContain(
      'OrgRole of the wrong type',
    );
    expect(await bad(grafanaContext({ UserID: '5' }))).toContain('UserID of the wrong type');
    expect(await bad(grafanaContext({ IsAnonymous: 'yes' }))).toContain(
      'IsAnonymous of the wrong type',
    );
    expect(await bad(grafanaContext({ Login: '' }))).toContain('has an empty Login');
    expect(await bad(grafanaContext({ Login: 'grace\u0000admin' }))).toContain(
      'control characters',
    );
    expect(await bad(grafanaContext({ Login: 'g'.repeat(257) }))).toContain('longer than 256');
    expect(await bad(grafanaContext({ Name: 'n'.repeat(17_000) }))).toContain(
      'longer than 16384 characters',
    );
    expect(await bad(grafanaContext({ OrgRole: 'Owner' }))).toBe(
      'the X-Grafana-Context OrgRole "Owner" is not a Grafana org role',
    );
    expect(await bad([grafanaContext(), grafanaContext()])).toContain('more than once');
    expect(await bad(grafanaContext({ UserID: 0, IsAnonymous: false }))).toContain('names no user');
  });

  it('prefers the context over X-Grafana-User, and refuses one that disagrees', async () => {
    // Grafana with send_user_header on sends both; the context says what the identity is.
    const robot = grafanaContext({ Login: 'sa-1-robot', IsServiceAccount: true, UserID: 7 });
    expect(
      await principal(proxied({ 'x-grafana-context': robot, 'x-grafana-user': 'sa-1-robot' })),
    ).toMatchObject({ user: 'sa-1-robot', kind: 'service-account' });
    expect(await refusal(proxied({ 'x-grafana-user': 'ada' }))).toContain(
      'X-Grafana-User header names someone other than X-Grafana-Context',
    );
  });

  it('names anonymous users apart from every login, and keeps them read-only', async () => {
    const anonymous = grafanaContext({
      UserID: 0,
      UserUID: '',
      Login: '',
      Name: '',
      Email: '',
      IsAnonymous: true,
      OrgRole: 'Viewer',
      OrgID: 3,
    });
    const who = await principal(proxied({ 'x-grafana-context': anonymous }));
    expect(who).toEqual({
      user: 'anonymous:org-3',
      roles: ['viewer'],
      via: 'grafana-proxy',
      kind: 'anonymous',
    });
    // A person cannot take that name (or any other non-person identity's).
    for (const login of ['anonymous:org-3', 'Service-Account:7']) {
      expect(
        await refusal(proxied({ 'x-grafana-context': grafanaContext({ Login: login }) })),
      ).toContain('reserved for non-person identities');
    }
  });

  it('carries a service account (or an API key) as such, whatever its role', async () => {
    for (const fields of [{ IsServiceAccount: true }, { ApiKeyID: 12 }]) {
      const context = grafanaContext({ Login: 'sa-1-ci', UserID: 7, OrgRole: 'Admin', ...fields });
      const who = await principal(
        proxied({ 'x-grafana-context': context, 'x-grafana-org-role': 'Admin' }),
      );
      expect(who).toMatchObject({ user: 'sa-1-ci', roles: ['admin'], kind: 'service-account' });
    }
  });
});

describe('authenticate with X-Grafana-User (no X-Grafana-Context: older setups)', () => {
  const fallback = (extra: RawHeaders = {}): RawHeaders =>
    proxied({ 'x-grafana-context': undefined, 'x-grafana-user': 'grace', ...extra });

  it('takes the user from X-Grafana-User and the role from X-Grafana-Org-Role', async () => {
    expect(await principal(fallback())).toEqual({
      user: 'grace',
      roles: ['operator'],
      via: 'grafana-proxy',
      kind: 'user',
    });
  });

  it('refuses missing, oversized or odd identity headers', async () => {
    expect(await refusal(fallback({ 'x-grafana-user': undefined }))).toContain(
      'no Grafana identity',
    );
    expect(await refusal(fallback({ 'x-grafana-user': 'g'.repeat(257) }))).toContain(
      'longer than 256',
    );
    expect(await principal(fallback({ 'x-grafana-user': 'g'.repeat(256) }))).toMatchObject({
      via: 'grafana-proxy',
    });
    expect(await refusal(fallback({ 'x-grafana-user': 'grace\nadmin' }))).toContain(
      'control characters',
    );
    expect(await refusal(fallback({ 'x-grafana-user': ['grace', 'ada'] }))).toContain(
      'more than once',
    );
    expect(await refusal(fallback({ 'x-grafana-org-role': undefined }))).toContain(
      'org-role header is missing',
    );
    expect(await refusal(fallback({ 'x-grafana-org-role': 'Owner' }))).toContain(
      'is not a Grafana org role',
    );
    expect(await refusal(fallback({ 'x-grafana-org-role': 'constructor' }))).toContain(
      'is not a Grafana org role',
    );
  });
});

describe('authenticate with X-Grafana-Id (verified with Grafana JWKS)', () => {
  const verifying = () => authWith({});
  const withToken = async (
    claims: JWTPayload = {},
    options: Parameters<typeof idToken>[1] = {},
    extra: RawHeaders = {},
  ): Promise<RawHeaders> => proxied({ 'x-grafana-id': await idToken(claims, options), ...extra });

  it('prefers the verified token: it suffices alone, and the context must agree with it', async () => {
    const alone = proxied({ 'x-grafana-context': undefined, 'x-grafana-id': await idToken() });
    expect(await principal(alone, verifying())).toEqual({
      user: 'grace',
      roles: ['operator'],
      via: 'grafana-proxy',
      kind: 'user',
    });
    expect(await principal(await withToken(), verifying())).toMatchObject({ user: 'grace' });
    // The token's role counts too: the lowest of token, context and route applies.
    expect((await principal(await withToken({ role: 'Viewer' }), verifying())).roles).toEqual([
      'viewer',
    ]);
  });

  it('refuses a token and a context that name different identities', async () => {
    const mismatch = async (claims: JWTPayload, context: Record<string, unknown> = {}) =>
      refusal(
        await withToken(claims, {}, { 'x-grafana-context': grafanaContext(context) }),
        verifying(),
      );
    expect(await mismatch({ username: 'ada' })).toContain('different identities (login)');
    expect(await mismatch({ sub: 'user:6' })).toContain('different identities (user id)');
    expect(await mismatch({ identifier: 'u-ada' })).toContain('different identities (uid)');
    expect(await mismatch({ aud: ['org:2'] })).toContain('different identities (org)');
    expect(await mismatch({}, { IsServiceAccount: true })).toContain('different identities (kind)');
  });

  it('carries a service account by its token subject', async () => {
    const claims = { sub: 'service-account:7', type: 'service-account', identifier: 'sa-uid' };
    const saToken = { username: undefined, name: undefined, ...claims };
    const alone = proxied({
      'x-grafana-context': undefined,
      'x-grafana-id': await idToken(saToken),
    });
    expect(await principal(alone, verifying())).toMatchObject({
      user: 'service-account:7',
      kind: 'service-account',
    });
    const context = grafanaContext({
      Login: 'sa-1-ci',
      UserID: 7,
      UserUID: 'sa-uid',
      IsServiceAccount: true,
    });
    expect(
      await principal(
        proxied({ 'x-grafana-context': context, 'x-grafana-id': await idToken(saToken) }),
        verifying(),
      ),
    ).toMatchObject({ user: 'sa-1-ci', kind: 'service-account' });
  });

  it('refuses a token with a wrong signature, an unknown kid, or not ES256', async () => {
    expect(await refusal(await withToken({}, { key: strangerKey }), verifying())).toBe(
      "the X-Grafana-Id token has a signature that does not verify with Grafana's signing keys",
    );
    expect(await refusal(await withToken({}, { kid: 'rotated-away' }), verifying())).toContain(
      'signed with a key (kid)',
    );
    const hs256 = await new SignJWT({ sub: 'user:5' })
      .setProtectedHeader({ alg: 'HS256', kid })
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode('a-shared-secret-of-enough-length-0123456789'));
    expect(await refusal(proxied({ 'x-grafana-id': hs256 }), verifying())).toBe(
      'the X-Grafana-Id token is not signed with ES256',
    );
  });

  it('refuses an expired token, and one not valid yet', async () => {
    const expired = await withToken({}, { expiresIn: Math.floor(Date.now() / 1000) - 120 });
    expect(await refusal(expired, verifying())).toBe('the X-Grafana-Id token has expired');
    const early = await withToken({ nbf: Math.floor(Date.now() / 1000) + 600 });
    expect(await refusal(early, verifying())).toContain('is not valid yet (nbf)');
  });

  it('refuses a malformed token, and one without a usable subject', async () => {
    for (const malformed of ['abc', 'a.b.c', `${'x'.repeat(9000)}`]) {
      expect(await refusal(proxied({ 'x-grafana-id': malformed }), verifying())).toMatch(
        /the X-Grafana-Id token (is malformed|is longer than 8192 characters)/,
      );
    }
    expect(await refusal(await withToken({ sub: 'grace' }), verifying())).toContain(
      'sub that is not <type>:<id>',
    );
    expect(
      await refusal(await withToken({ sub: 'render:0', type: 'render' }), verifying()),
    ).toContain('names a render identity');
  });

  it('checks iss and aud when configured', async () => {
    const strict = authWith({ issuer: 'http://grafana.example/', audience: 'org:1' });
    expect(await principal(await withToken(), strict)).toMatchObject({ user: 'grace' });
    expect(await refusal(await withToken({ iss: 'http://evil.example/' }), strict)).toContain(
      'has an iss other than commands.auth.grafanaProxy.issuer',
    );
    const other = await withToken({ aud: ['org:2'] }, {}, { 'x-grafana-context': undefined });
    expect(await refusal(other, strict)).toContain(
      'has an aud other than commands.auth.grafanaProxy.audience',
    );
  });

  it('refuses at once when the JWKS is down, and within the timeout when it hangs', async () => {
    const down = authWith({ jwksUrl: downUrl });
    expect(await refusal(await withToken(), down)).toMatch(
      /cannot be verified: Grafana's signing keys .* are unreachable \(the fetch failed\)/,
    );
    // Within a few seconds of a failure the next request does not wait on the keys again.
    expect(await refusal(await withToken(), down)).toContain('retry in a few seconds');

    const hanging = authWith({ jwksUrl: silentUrl, timeoutMs: 200 });
    const started = performance.now();
    expect(await refusal(await withToken(), hanging)).toContain(
      'are unreachable (the fetch timed out)',
    );
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it('ignores X-Grafana-Id when no jwksUrl is configured', async () => {
    // Unverifiable, so never read: the context decides.
    expect(await principal(await withToken({ username: 'ada' }), auth)).toMatchObject({
      user: 'grace',
    });
    const alone = proxied({ 'x-grafana-context': undefined, 'x-grafana-id': await idToken() });
    expect(await refusal(alone, auth)).toContain('no Grafana identity');
  });
});

describe('authorize', () => {
  const as = (role: Role, kind: Principal['kind'] = 'user'): Principal => ({
    user: 'u',
    roles: [role],
    via: 'token',
    kind,
  });
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
    const verdict = authorize(as(role), action, risk, defaultCommandPolicy);
    expect(verdict.guard).toBe('authorization');
    expect(verdict.pass).toBe(pass);
    expect(verdict.code).toBe(pass ? undefined : 'forbidden');
  });

  it('grants when any of several roles allows, and says which', () => {
    const principal: Principal = {
      user: 'sam',
      roles: ['viewer', 'engineer'],
      via: 'token',
      kind: 'user',
    };
    const verdict = authorize(principal, 'submit', 'high', defaultCommandPolicy);
    expect(verdict).toMatchObject({
      pass: true,
      message: 'sam may submit high-risk commands as engineer',
    });
  });

  it('says who may, when refusing', () => {
    const principal: Principal = { user: 'olga', roles: ['operator'], via: 'token', kind: 'user' };
    expect(authorize(principal, 'submit', 'high', defaultCommandPolicy).message).toBe(
      'olga (roles: operator) may not submit high-risk commands; that needs role engineer or admin',
    );
  });

  it('without a risk, allows whoever may submit at some risk', () => {
    const may = (role: Role) => authorize(as(role), 'submit', undefined, defaultCommandPolicy).pass;
    expect(roles.map(may)).toEqual([false, true, true, true]);
  });

  it('refuses a principal without roles', () => {
    expect(
      authorize({ ...as('admin'), roles: [] }, 'submit', 'low', defaultCommandPolicy),
    ).toMatchObject({ pass: false, code: 'forbidden' });
  });

  it('never lets an anonymous user or a service account write, whatever the role', () => {
    for (const kind of ['anonymous', 'service-account'] as const) {
      for (const action of ['submit', 'approve', 'kill_switch', 'retire'] as const) {
        const verdict = authorize(as('admin', kind), action, 'low', defaultCommandPolicy);
        expect(verdict).toMatchObject({ pass: false, code: 'forbidden' });
        expect(verdict.message).toContain(
          kind === 'anonymous' ? 'is an anonymous user' : 'is a service account',
        );
        expect(verdict.message).toContain('may read but never');
      }
    }
  });
});
