/**
 * Who Grafana's plugin proxy says is asking, read only once the proxy secret has been verified.
 *
 * A stock Grafana 12 always sets `X-Grafana-Context` (the signed-in user, `json.Marshal` of
 * `*user.SignedInUser`, overwriting anything the browser sent) and, when it signs ID tokens,
 * `X-Grafana-Id` (an ES256 JWT whose keys Grafana serves at `/api/signing-keys/keys`).
 * `X-Grafana-User` only comes with `[dataproxy] send_user_header = true`, so it is the fallback.
 * Followed in Grafana's source: pkg/api/pluginproxy/pluginproxy.go (director),
 * pkg/util/proxyutil/proxyutil.go (ApplyUserHeader, ApplyForwardIDHeader),
 * pkg/services/user/identity.go (SignedInUser: Go field names, no json tags),
 * pkg/services/authn/identity.go (SignedInUser(), GetSubject()),
 * pkg/services/auth/idimpl/service.go and signer.go (the ID token's claims and header), and
 * grafana/authlib authn IDTokenClaims and types/type.go (claim names, identity types).
 */
import {
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type RemoteJWKSet,
} from 'jose';
import type { PrincipalKind } from './model.js';

/** What a request's identity headers establish, before the role map is applied. */
export interface GrafanaIdentity {
  user: string;
  kind: PrincipalKind;
  /** The org role the identity carries (context and/or token), when it carries one. */
  orgRole?: GrafanaOrgRole;
}

/** A refusal: a sentence naming the header and what is wrong, never its value when secret. */
export interface Refusal {
  refused: string;
}

export function isRefusal(value: unknown): value is Refusal {
  return typeof value === 'object' && value !== null && 'refused' in value;
}

const refuse = (refused: string): Refusal => ({ refused });

/** Grafana's basic org roles, lowest first (pkg/apimachinery/identity RoleType; None is "no basic role"). */
export const grafanaOrgRoles = ['None', 'Viewer', 'Editor', 'Admin'] as const;
export type GrafanaOrgRole = (typeof grafanaOrgRoles)[number];

export function isGrafanaOrgRole(value: unknown): value is GrafanaOrgRole {
  return typeof value === 'string' && (grafanaOrgRoles as readonly string[]).includes(value);
}

/** The lower of the roles given: a request through the viewer route stays a viewer request. */
export function lowerRole(roles: readonly GrafanaOrgRole[]): GrafanaOrgRole | undefined {
  let lowest: GrafanaOrgRole | undefined;
  for (const role of roles) {
    if (lowest === undefined || grafanaOrgRoles.indexOf(role) < grafanaOrgRoles.indexOf(lowest)) {
      lowest = role;
    }
  }
  return lowest;
}

/** Bounds: Node refuses more than 16 KiB of headers anyway; a login is a short name. */
export const maxContextLength = 16_384;
export const maxIdTokenLength = 8_192;
export const maxLoginLength = 256;
const maxUidLength = 128;

export function hasControlCharacters(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(text);
}

/**
 * Names Grafana never gives a person here: the audit's name for anonymous users, and the token
 * subjects of other identity types. A real login of that form is refused, so an audit line naming
 * `anonymous:org-1` was never written for a person who chose that login.
 */
const reservedName = /^(anonymous|service-account|api-key|render|access-policy|provisioning):/i;

export function anonymousName(orgId: number | undefined): string {
  return `anonymous:org-${orgId ?? 0}`;
}

// ---- X-Grafana-Context ----

/** The fields of `user.SignedInUser` the exporter reads (Grafana 12 marshals many more). */
export interface GrafanaContext {
  login: string;
  orgRole: string;
  kind: PrincipalKind;
  userId?: number;
  userUid?: string;
  orgId?: number;
}

/**
 * Parses `X-Grafana-Context`: a JSON object with Go's field names (`Login`, `OrgRole`, `UserID`,
 * `UserUID`, `OrgID`, `IsAnonymous`, `IsServiceAccount`, `ApiKeyID`, …); unknown fields are
 * ignored, known ones must have Grafana's types.
 */
export function parseGrafanaContext(raw: string): GrafanaContext | Refusal {
  const name = 'the X-Grafana-Context header';
  if (raw.length > maxContextLength) {
    return refuse(`${name} is longer than ${maxContextLength} characters`);
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return refuse(`${name} is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return refuse(`${name} is not a JSON object`);
  }
  const fields = value as Record<string, unknown>;
  const wrongType = (field: string, type: string) =>
    refuse(`${name} has ${field} of the wrong type (expected ${type})`);
  for (const field of ['Login', 'OrgRole'] as const) {
    if (!Object.hasOwn(fields, field)) return refuse(`${name} has no ${field}`);
    if (typeof fields[field] !== 'string') return wrongType(field, 'a string');
  }
  for (const field of ['UserID', 'OrgID', 'ApiKeyID'] as const) {
    if (fields[field] !== undefined && !Number.isSafeInteger(fields[field])) {
      return wrongType(field, 'an integer');
    }
  }
  for (const field of ['IsAnonymous', 'IsServiceAccount'] as const) {
    if (fields[field] !== undefined && typeof fields[field] !== 'boolean') {
      return wrongType(field, 'true or false');
    }
  }
  if (fields.UserUID !== undefined && typeof fields.UserUID !== 'string') {
    return wrongType('UserUID', 'a string');
  }
  const login = fields.Login as string;
  const orgRole = fields.OrgRole as string;
  const userUid = fields.UserUID as string | undefined;
  if (login.length > maxLoginLength) {
    return refuse(`${name} has a Login longer than ${maxLoginLength} characters`);
  }
  if ((userUid?.length ?? 0) > maxUidLength) {
    return refuse(`${name} has a UserUID longer than ${maxUidLength} characters`);
  }
  if ([login, orgRole, userUid ?? ''].some(hasControlCharacters)) {
    return refuse(`${name} has control characters in Login, OrgRole or UserUID`);
  }
  const kind = contextKind(fields);
  if (!kind)
    return refuse(`${name} names no user (UserID 0, neither anonymous nor a service account)`);
  if (kind !== 'anonymous' && login === '') return refuse(`${name} has an empty Login`);
  return {
    login,
    orgRole,
    kind,
    ...(fields.UserID === undefined ? {} : { userId: fields.UserID as number }),
    ...(userUid ? { userUid } : {}),
    ...(fields.OrgID === undefined ? {} : { orgId: fields.OrgID as number }),
  };
}

/**
 * SignedInUser's own order (getTypeAndID): an API key or a service account, then a user (UserID
 * above 0; a context without UserID is taken as a user), then anonymous. What is left (the image
 * renderer, UserID 0) is nobody commands should hear from.
 */
function contextKind(fields: Record<string, unknown>): PrincipalKind | undefined {
  if (((fields.ApiKeyID as number | undefined) ?? 0) !== 0) return 'service-account';
  if (fields.IsServiceAccount === true) return 'service-account';
  const userId = fields.UserID as number | undefined;
  if (userId === undefined ? fields.IsAnonymous !== true : userId > 0) return 'user';
  if (fields.IsAnonymous === true) return 'anonymous';
  return undefined;
}

// ---- X-Grafana-Id ----

export interface IdTokenOptions {
  /** Grafana's JWKS, e.g. http://grafana:3000/api/signing-keys/keys. */
  jwksUrl: string;
  /** Grafana's root_url, when set: the token's `iss` must equal it. */
  issuer?: string;
  /** E.g. `org:1`: Grafana's ID tokens name the user's org as their audience. */
  audience?: string;
  /** How long one fetch of the JWKS may take before the request is refused. */
  timeoutMs: number;
}

/** The claims of a Grafana ID token the exporter reads (authlib authn.IDTokenClaims). */
export interface IdTokenIdentity {
  /** `sub`: `<type>:<internal id>`, e.g. `user:5`, `service-account:7`, `anonymous:0`. */
  subject: string;
  type: string;
  id: string;
  /** `identifier`: the identity's UID. */
  uid?: string;
  /** `username`: the login, on user tokens only. */
  username?: string;
  role?: string;
  /** `aud` entries of the form `org:<id>`. */
  orgs: number[];
}

/** A fetch failure blocks further fetches this long, so an outage costs no per-request wait. */
const jwksRetryAfterMs = 5_000;

interface KeySet {
  keys: RemoteJWKSet;
  failedAtMs?: number;
}

/** One key set per URL and timeout, for the life of the process (jose caches and de-duplicates). */
const keySets = new Map<string, KeySet>();

function keySetFor(options: IdTokenOptions): KeySet {
  const id = `${options.timeoutMs} ${options.jwksUrl}`;
  let set = keySets.get(id);
  if (!set) {
    set = {
      keys: createRemoteJWKSet(new URL(options.jwksUrl), {
        timeoutDuration: options.timeoutMs,
        // An unknown kid refetches at most every 30s; keys are refreshed every 10 minutes.
        cooldownDuration: 30_000,
        cacheMaxAge: 600_000,
      }),
    };
    keySets.set(id, set);
  }
  return set;
}

/** Thrown by the key lookup when the JWKS could not be fetched or used. */
class KeysUnavailable extends Error {}

/**
 * Verifies an `X-Grafana-Id` token against Grafana's JWKS: ES256 only (Grafana's signer), the
 * signature, `exp` and `nbf` (30 s of clock skew), and `iss` / `aud` when configured. Every
 * failure is a refusal that says why; the token itself is never echoed.
 */
export async function verifyIdToken(
  token: string,
  options: IdTokenOptions,
  nowMs = Date.now(),
): Promise<IdTokenIdentity | Refusal> {
  const name = 'the X-Grafana-Id token';
  if (token.length > maxIdTokenLength) {
    return refuse(`${name} is longer than ${maxIdTokenLength} characters`);
  }
  const set = keySetFor(options);
  const unreachable = `${name} cannot be verified: Grafana's signing keys (commands.auth.grafanaProxy.jwksUrl) are unreachable`;
  if (
    set.failedAtMs !== undefined &&
    nowMs - set.failedAtMs < jwksRetryAfterMs &&
    !set.keys.fresh
  ) {
    return refuse(`${unreachable}; retry in a few seconds`);
  }
  const getKey: JWTVerifyGetKey = async (header, input) => {
    try {
      return await set.keys(header, input);
    } catch (error) {
      if (
        error instanceof errors.JWKSNoMatchingKey ||
        error instanceof errors.JWKSMultipleMatchingKeys
      ) {
        throw error;
      }
      throw new KeysUnavailable(error instanceof errors.JWKSTimeout ? 'timed out' : 'failed', {
        cause: error,
      });
    }
  };
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, getKey, {
      algorithms: ['ES256'],
      clockTolerance: 30,
      currentDate: new Date(nowMs),
      requiredClaims: ['exp', 'sub'],
      ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
      ...(options.audience === undefined ? {} : { audience: options.audience }),
    }));
    set.failedAtMs = undefined;
  } catch (error) {
    if (error instanceof KeysUnavailable) {
      set.failedAtMs = nowMs;
      return refuse(`${unreachable} (the fetch ${error.message})`);
    }
    return refuse(`${name} ${tokenProblem(error)}`);
  }
  return identityOf(payload, name);
}

function tokenProblem(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'is not valid yet (nbf)';
    if (error.claim === 'iss') return 'has an iss other than commands.auth.grafanaProxy.issuer';
    if (error.claim === 'aud') return 'has an aud other than commands.auth.grafanaProxy.audience';
    return `has an invalid ${error.claim} claim`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return "has a signature that does not verify with Grafana's signing keys";
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return "is signed with a key (kid) that Grafana's signing keys do not hold";
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'is not signed with ES256';
  return 'is malformed';
}

function identityOf(payload: JWTPayload, name: string): IdTokenIdentity | Refusal {
  const subject = payload.sub ?? '';
  const match = /^([a-z-]+):([^:]*)$/.exec(subject);
  if (!match || subject.length > maxLoginLength) {
    return refuse(`${name} has a sub that is not <type>:<id>`);
  }
  const [, subType, id] = match as unknown as [string, string, string];
  const claim = (key: string): string | undefined | Refusal => {
    const value = payload[key];
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string' || value.length > maxLoginLength || hasControlCharacters(value)) {
      return refuse(`${name} has an invalid ${key} claim`);
    }
    return value;
  };
  const type = claim('type');
  const uid = claim('identifier');
  const username = claim('username');
  const role = claim('role');
  for (const value of [type, uid, username, role]) if (isRefusal(value)) return value;
  if (type !== undefined && type !== subType) {
    return refuse(`${name} has a type claim that disagrees with its sub`);
  }
  const audience = Array.isArray(payload.aud) ? payload.aud : payload.aud ? [payload.aud] : [];
  const orgs = audience.flatMap((aud) => {
    const org = /^org:([0-9]{1,15})$/.exec(aud);
    return org ? [Number(org[1])] : [];
  });
  return {
    subject,
    type: subType,
    id,
    ...(uid === undefined ? {} : { uid: uid as string }),
    ...(username === undefined ? {} : { username: username as string }),
    ...(role === undefined ? {} : { role: role as string }),
    orgs,
  };
}

/** Grafana identity types → what twinops lets them do (authlib types/type.go). */
function kindOfType(type: string): PrincipalKind | undefined {
  if (type === 'user') return 'user';
  if (type === 'service-account' || type === 'api-key') return 'service-account';
  if (type === 'anonymous') return 'anonymous';
  return undefined;
}

// ---- the identity, from what Grafana sent ----

export interface ProxiedIdentityHeaders {
  context?: GrafanaContext;
  token?: IdTokenIdentity;
  /** `X-Grafana-User`, already bounded and checked for control characters. */
  userHeader?: string;
}

/**
 * One identity from the headers Grafana sent: the verified token first, else the context, else
 * the user header. When several are present they must name the same identity; any disagreement
 * is refused rather than resolved, since one of them is not what Grafana said.
 */
export function grafanaIdentity(headers: ProxiedIdentityHeaders): GrafanaIdentity | Refusal {
  const { context, token, userHeader } = headers;
  if (!context && !token) {
    if (userHeader === undefined) {
      return refuse(
        'no Grafana identity: X-Grafana-Context (or X-Grafana-User) must come with the proxy secret',
      );
    }
    return checked({ user: userHeader, kind: 'user' }, 'the X-Grafana-User header');
  }
  let identity: GrafanaIdentity | Refusal;
  if (token) {
    identity = fromToken(token, context);
  } else {
    const c = context as GrafanaContext;
    identity = {
      user: c.kind === 'anonymous' ? anonymousName(c.orgId) : c.login,
      kind: c.kind,
    };
  }
  if (isRefusal(identity)) return identity;
  if (userHeader !== undefined && userHeader !== identity.user) {
    return refuse(
      `the X-Grafana-User header names someone other than ${token ? 'X-Grafana-Id' : 'X-Grafana-Context'}`,
    );
  }
  const roles: GrafanaOrgRole[] = [];
  for (const [role, where] of [
    [context?.orgRole, 'X-Grafana-Context OrgRole'],
    [token?.role, 'X-Grafana-Id role claim'],
  ] as const) {
    if (role === undefined) continue;
    if (!isGrafanaOrgRole(role)) {
      return refuse(`the ${where} ${JSON.stringify(role)} is not a Grafana org role`);
    }
    roles.push(role);
  }
  const orgRole = lowerRole(roles);
  return checked(
    { ...identity, ...(orgRole === undefined ? {} : { orgRole }) },
    token ? 'the X-Grafana-Id token' : 'the X-Grafana-Context header',
  );
}

/** The token's identity, checked against the context when Grafana sent both. */
function fromToken(
  token: IdTokenIdentity,
  context: GrafanaContext | undefined,
): GrafanaIdentity | Refusal {
  const kind = kindOfType(token.type);
  if (!kind) {
    return refuse(`the X-Grafana-Id token names a ${token.type} identity, not a user`);
  }
  const mismatch = (what: string) =>
    refuse(
      `the X-Grafana-Id token and the X-Grafana-Context header name different identities (${what})`,
    );
  if (context) {
    if (context.kind !== kind) return mismatch('kind');
    if (
      kind !== 'anonymous' &&
      context.userId !== undefined &&
      String(context.userId) !== token.id
    ) {
      return mismatch('user id');
    }
    if (token.uid && context.userUid && token.uid !== context.userUid) return mismatch('uid');
    if (token.username && token.username !== context.login) return mismatch('login');
    if (
      context.orgId !== undefined &&
      token.orgs.length > 0 &&
      !token.orgs.includes(context.orgId)
    ) {
      return mismatch('org');
    }
  }
  if (kind === 'anonymous') return { user: anonymousName(context?.orgId ?? token.orgs[0]), kind };
  if (kind === 'user') {
    const user = token.username ?? context?.login;
    if (!user)
      return refuse('the X-Grafana-Id token has no username and no X-Grafana-Context came with it');
    return { user, kind };
  }
  // Service accounts carry no username claim; their login is unique among Grafana's users.
  return { user: context?.login || token.subject, kind };
}

function checked(identity: GrafanaIdentity, source: string): GrafanaIdentity | Refusal {
  if (identity.kind === 'user' && reservedName.test(identity.user.normalize('NFKC'))) {
    return refuse(`${source} names a user whose login is reserved for non-person identities`);
  }
  return identity;
}
