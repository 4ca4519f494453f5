/**
 * Who is asking, and may they? Authentication accepts a bearer token (stored only as its SHA-256
 * digest) or Grafana's plugin-proxy identity headers, the latter only alongside the shared proxy
 * secret, which is verified before any of them is read (an unauthenticated request costs a digest,
 * never a JSON parse or a JWKS fetch). Both compare in constant time, and no message ever echoes a
 * token or a secret.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { CommandAuthConfig, CommandsConfig } from '../config/types.js';
import {
  grafanaIdentity,
  hasControlCharacters,
  isGrafanaOrgRole,
  isRefusal,
  lowerRole,
  maxLoginLength,
  parseGrafanaContext,
  verifyIdToken,
  type GrafanaContext,
  type GrafanaOrgRole,
  type IdTokenIdentity,
  type Refusal,
} from './grafana-identity.js';
import type { Role } from '../model.js';
import { risks, type Principal, type Risk, type Verdict } from './model.js';

export type Headers = Record<string, string | string[] | undefined>;

/** Bounds on what we are willing to look at; anything longer is refused unread. */
const maxTokenLength = 4096;
const maxSecretLength = 4096;
const maxRoleLength = 64;

/** The hex SHA-256 digest of a token, as stored in `commands.auth.tokens[].sha256`. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Why authentication failed, from a fixed set: a metric label and a log word that never carries
 * what the request sent (the message may quote a header; this never does).
 */
export const authFailures = [
  'no_credentials',
  'malformed_authorization',
  'unknown_token',
  'proxy_disabled',
  'bad_proxy_secret',
  'bad_grafana_identity',
  'bad_id_token',
] as const;
export type AuthFailure = (typeof authFailures)[number];

/** A refused authentication: the verdict the caller is answered with, and why, as a label. */
export interface AuthRefusal extends Verdict {
  reason: AuthFailure;
}

export function isPrincipal(who: Principal | Verdict): who is Principal {
  return 'user' in who;
}

/**
 * A bearer token when an `Authorization` header is present (a wrong one is refused, never
 * ignored in favour of other headers), else Grafana's proxy identity when the proxy secret
 * header is present, else unauthenticated.
 */
export async function authenticate(
  headers: Headers,
  auth: CommandAuthConfig,
): Promise<Principal | AuthRefusal> {
  const authorization = header(headers, 'authorization');
  if (authorization !== undefined) return bearer(authorization, auth);
  const secret = header(headers, 'x-twinops-proxy-secret');
  if (secret !== undefined) return grafanaProxy(headers, secret, auth);
  return refuse(
    'no credentials: send "Authorization: Bearer <token>" or come through the Grafana proxy',
    'no_credentials',
  );
}

function bearer(value: string | string[], auth: CommandAuthConfig): Principal | AuthRefusal {
  if (Array.isArray(value))
    return refuse('the Authorization header was sent more than once', 'malformed_authorization');
  if (value.length > maxTokenLength + 7)
    return refuse('the Authorization header is too long', 'malformed_authorization');
  const match = /^Bearer +(\S+) *$/i.exec(value);
  if (!match)
    return refuse('the Authorization header must be "Bearer <token>"', 'malformed_authorization');
  const digest = sha256(match[1] as string);
  // Compare with every configured digest, without stopping early, so timing says nothing about
  // which entry (if any) matched. Malformed digests in the config never match.
  let found: (typeof auth.tokens)[number] | undefined;
  for (const entry of auth.tokens) {
    const stored = /^[0-9a-f]{64}$/i.test(entry.sha256) ? Buffer.from(entry.sha256, 'hex') : null;
    if (stored !== null && timingSafeEqual(stored, digest) && found === undefined) found = entry;
  }
  if (!found) return refuse('the bearer token is not recognised', 'unknown_token');
  return { user: found.user, roles: [...found.roles], via: 'token', kind: 'user' };
}

/**
 * Grafana's plugin proxy, once its secret is verified: the identity from `X-Grafana-Id` (verified,
 * when `jwksUrl` is configured), `X-Grafana-Context`, or `X-Grafana-User` (see
 * grafana-identity.ts), and the org role as the lower of what the identity carries and the
 * route's `X-Grafana-Org-Role`.
 */
async function grafanaProxy(
  headers: Headers,
  secret: string | string[],
  auth: CommandAuthConfig,
): Promise<Principal | AuthRefusal> {
  const proxy = auth.grafanaProxy;
  // An empty configured secret would let an empty header through: treat it as proxy auth off.
  if (!proxy || proxy.secret === '')
    return refuse('Grafana proxy authentication is not enabled', 'proxy_disabled');
  if (Array.isArray(secret) || secret.length > maxSecretLength) {
    return refuse('the proxy secret is wrong', 'bad_proxy_secret');
  }
  // Digests first, so the comparison is of equal lengths and the secret's length never leaks.
  if (!timingSafeEqual(sha256(secret), sha256(proxy.secret))) {
    return refuse('the proxy secret is wrong', 'bad_proxy_secret');
  }

  const raw = {
    context: single(headers, 'x-grafana-context'),
    token: single(headers, 'x-grafana-id'),
    user: single(headers, 'x-grafana-user'),
    role: single(headers, 'x-grafana-org-role'),
  };
  for (const value of Object.values(raw)) if (isRefusal(value)) return refuse(value.refused);
  const {
    context: contextHeader,
    token: tokenHeader,
    user,
    role: routeRole,
  } = raw as Record<keyof typeof raw, string | undefined>;

  if (user !== undefined) {
    if (user.length > maxLoginLength) {
      return refuse(`the x-grafana-user header is longer than ${maxLoginLength} characters`);
    }
    if (hasControlCharacters(user)) {
      return refuse('the x-grafana-user header contains control characters');
    }
  }
  let routeOrgRole: GrafanaOrgRole | undefined;
  if (routeRole !== undefined) {
    if (routeRole.length > maxRoleLength || hasControlCharacters(routeRole)) {
      return refuse('the x-grafana-org-role header is not a Grafana org role');
    }
    if (!isGrafanaOrgRole(routeRole)) {
      return refuse(
        `the x-grafana-org-role header ${JSON.stringify(routeRole)} is not a Grafana org role (None, Viewer, Editor or Admin)`,
      );
    }
    routeOrgRole = routeRole;
  }

  let context: GrafanaContext | undefined;
  if (contextHeader !== undefined) {
    const parsed = parseGrafanaContext(contextHeader);
    if (isRefusal(parsed)) return refuse(parsed.refused);
    context = parsed;
  }
  // Without a configured JWKS the token cannot be verified, so it is not read at all.
  let token: IdTokenIdentity | undefined;
  if (tokenHeader !== undefined && proxy.idToken) {
    const verified = await verifyIdToken(tokenHeader, proxy.idToken);
    if (isRefusal(verified)) return refuse(verified.refused, 'bad_id_token');
    token = verified;
  }

  const identity = grafanaIdentity({
    ...(context ? { context } : {}),
    ...(token ? { token } : {}),
    ...(user === undefined ? {} : { userHeader: user }),
  });
  if (isRefusal(identity)) return refuse(identity.refused);
  const orgRole = lowerRole([identity.orgRole, routeOrgRole].filter((r) => r !== undefined));
  if (orgRole === undefined) return refuse('the x-grafana-org-role header is missing');
  if (!Object.hasOwn(proxy.roleMap, orgRole)) {
    return refuse(`Grafana org role ${JSON.stringify(orgRole)} is not mapped to any twinops role`);
  }
  return {
    user: identity.user,
    roles: [...(proxy.roleMap[orgRole] as Role[])],
    via: 'grafana-proxy',
    kind: identity.kind,
  };
}

/** A header sent once (or not at all); empty counts as absent, repeated is refused. */
function single(headers: Headers, name: string): string | undefined | Refusal {
  const value = header(headers, name);
  if (Array.isArray(value)) return { refused: `the ${name} header was sent more than once` };
  return value === '' ? undefined : value;
}

/** Header names are case-insensitive; Node lowercases them, other callers may not. */
function header(headers: Headers, name: string): string | string[] | undefined {
  if (headers[name] !== undefined) return headers[name];
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name && value !== undefined) return value;
  }
  return undefined;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The remaining refusals come from Grafana's identity headers, read once the secret matched. */
function refuse(message: string, reason: AuthFailure = 'bad_grafana_identity'): AuthRefusal {
  return { guard: 'authentication', pass: false, code: 'unauthenticated', message, reason };
}

export type Action = 'submit' | 'approve' | 'kill_switch' | 'retire' | 'archive_audit';

/** Removing audit history is for admins alone, whatever the policy grants otherwise. */
const archiveRoles: Role[] = ['admin'];

/** Who may do what; without `retire`, nobody may retire assets. */
type Policy = Pick<CommandsConfig, 'submit' | 'approve' | 'killSwitch'> &
  Partial<Pick<CommandsConfig, 'retire'>>;

/**
 * May the principal do this? Submit and approve are judged per risk; without a risk (e.g. the
 * command is unknown) the question is whether the principal may do it at any risk at all, so a
 * viewer is refused before learning anything about the catalog. The kill switch ignores risk.
 */
export function authorize(
  principal: Principal,
  action: Action,
  risk: Risk | undefined,
  config: Policy,
): Verdict {
  const what = describeAction(action, risk);
  // Nobody answers for what an anonymous user or a service account does: read-only, whatever
  // the role map grants them.
  if (principal.kind !== 'user') {
    const who = principal.kind === 'anonymous' ? 'an anonymous user' : 'a service account';
    return {
      guard: 'authorization',
      pass: false,
      code: 'forbidden',
      message: `${principal.user} is ${who}, which may read but never ${what}; sign in as a person`,
    };
  }
  const allowed = allowedRoles(action, risk, config);
  const granted = principal.roles.find((role) => allowed.includes(role));
  if (granted !== undefined) {
    return {
      guard: 'authorization',
      pass: true,
      message: `${principal.user} may ${what} as ${granted}`,
    };
  }
  const has = principal.roles.length > 0 ? principal.roles.join(', ') : 'none';
  const needs = allowed.length > 0 ? allowed.join(' or ') : 'nobody (not allowed by the policy)';
  return {
    guard: 'authorization',
    pass: false,
    code: 'forbidden',
    message: `${principal.user} (roles: ${has}) may not ${what}; that needs role ${needs}`,
  };
}

function allowedRoles(action: Action, risk: Risk | undefined, config: Policy): Role[] {
  if (action === 'kill_switch') return config.killSwitch;
  if (action === 'retire') return config.retire ?? [];
  if (action === 'archive_audit') return archiveRoles;
  const byRisk = action === 'submit' ? config.submit : config.approve;
  if (risk !== undefined) return byRisk[risk] ?? [];
  return [...new Set(risks.flatMap((r) => byRisk[r] ?? []))];
}

function describeAction(action: Action, risk: Risk | undefined): string {
  if (action === 'kill_switch') return 'engage or release the kill switch';
  if (action === 'retire') return 'retire assets';
  if (action === 'archive_audit') return 'archive the audit log';
  const verb = action === 'submit' ? 'submit' : 'approve';
  return risk === undefined ? `${verb} commands` : `${verb} ${risk}-risk commands`;
}
