#!/usr/bin/env node
// @ts-check
/**
 * The preview host: serves the plugin's pages and panels outside Grafana (the bundle built by
 * preview/build.mjs) and answers the few Grafana URLs they call, the way Grafana does:
 *
 * - `/api/plugin-proxy/<plugin id>/<route path>`: Grafana 12's plugin proxy, driven by the routes of
 *   src/plugin.json (read at start, not copied): the path taken still escaped and cleaned, the
 *   first route whose method and path match, its `reqRole` checked against the signed-in user's
 *   org role (403 otherwise, 404 when no route matches), the route's URL and headers rendered from
 *   the app's jsonData and secureJsonData as Go's text/template renders them, `X-Grafana-Context`
 *   (the signed-in user), `X-Grafana-User` only with `--send-user-header`, Grafana's header strip
 *   list, `X-Forwarded-For`, and its error statuses (502, 504, 499). README.md lists each
 *   behaviour with the Grafana source it follows, and what is not emulated.
 * - `/api/plugins/<plugin id>/settings`: the app's settings (secrets only as "configured").
 * - `/api/datasources/proxy/uid/prometheus/…`: a Prometheus (optional), for the SLOs page.
 *
 * There is no login: the preview's users are fixed (`--users`), and whoever opens the page picks
 * one (`/preview/login?user=…`, kept in a cookie). It binds to loopback by default; never expose it.
 *
 *   node preview/server.mjs --exporter http://127.0.0.1:8787 [--port 3000] [--prometheus URL]
 *   (secrets from the environment: TWINOPS_PROXY_SECRET, TWINOPS_PREVIEW_API_TOKEN)
 */
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));

/** @typedef {'None' | 'Viewer' | 'Editor' | 'Admin'} OrgRole */
/**
 * A preview user. `kind` is what Grafana's identity would be: a signed-in user (the default), an
 * anonymous visitor ([auth.anonymous]) or a service account.
 * @typedef {{ login: string, role: OrgRole, kind?: 'user' | 'anonymous' | 'service-account' }} PreviewUser
 */
/**
 * @typedef {object} PluginRoute
 * @property {string} path
 * @property {string} [method]
 * @property {OrgRole} [reqRole]
 * @property {string} [url]
 * @property {Array<{ name: string, content: string }>} [headers]
 */
/**
 * @typedef {object} HostOptions
 * @property {string} [host]
 * @property {number} [port]
 * @property {string} [exporterUrl] the app's jsonData.exporterUrl
 * @property {string} [proxySecret] secureJsonData.proxySecret
 * @property {string} [apiToken] secureJsonData.apiToken
 * @property {string} [prometheusUrl]
 * @property {PreviewUser[]} [users]
 * @property {string} [defaultUser]
 * @property {boolean} [sendUserHeader] Grafana's [dataproxy] send_user_header (default false, as Grafana's)
 * @property {boolean} [appEnabled] whether the app is enabled in the org (default true)
 * @property {number} [dialTimeoutMs] how long the proxy waits for the upstream's connection (Grafana: 30 s)
 * @property {string} [pluginJson] path of the plugin.json whose routes are served
 * @property {string} [bundleDir] the built preview bundle
 * @property {string} [iconsDir] @grafana/ui's icons
 */

export const defaultUsers = /** @type {PreviewUser[]} */ ([
  { login: 'viewer', role: 'Viewer' },
  { login: 'olga', role: 'Editor' },
  { login: 'erin', role: 'Admin' },
  { login: 'emil', role: 'Admin' },
]);

const userCookie = 'twinops_preview_user';
const prometheusUid = 'prometheus';
/** Grafana's role hierarchy: Admin includes Editor includes Viewer. */
const roleRank = { None: 0, Viewer: 1, Editor: 2, Admin: 3 };
/**
 * Hop-by-hop headers, removed both ways by Go's httputil.ReverseProxy (under Grafana's
 * pkg/util/proxyutil/reverse_proxy.go), with any header the Connection header names.
 */
const hopByHop = [
  'connection',
  'proxy-connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];
/**
 * What Grafana's plugin proxy removes from the browser's request before its own headers go on:
 * cookies (pkg/api/pluginproxy/pluginproxy.go, director), `X-Grafana-User` (always deleted, then
 * set only with send_user_header: pkg/util/proxyutil/proxyutil.go ApplyUserHeader), `Origin`,
 * `Referer` and `X-Forwarded-Host|Port|Proto` (proxyutil.go PrepareProxyRequest, and again in
 * reverse_proxy.go wrapDirector). Nothing else: `Authorization`, `X-Grafana-Id` (set only when
 * Grafana signs ID tokens) and any other header pass through unless the route sets them.
 */
const strippedRequestHeaders = [
  'cookie',
  'set-cookie',
  'x-grafana-user',
  'origin',
  'referer',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-proto',
];
/** Grafana answers a proxied request the browser gave up on with this (nginx's) status. */
const statusClientClosedRequest = 499;
/** Grafana's plugin proxy transport dials with a 30 s timeout and sets no response timeout. */
const grafanaDialTimeoutMs = 30_000;

const contentTypes = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Renders a route's `url` or header content as Grafana does (pkg/api/pluginproxy/utils.go
 * interpolateString: Go's text/template over `{ URL, JsonData, SecureJsonData }`). Go renders a
 * missing map key as `<no value>`, so an unset setting does not fail here: it becomes the literal
 * text `<no value>` in the header, or a URL without a scheme that the transport then refuses
 * (502). Only field references are understood; any other action is refused as a template error.
 * @param {string} template
 * @param {{ JsonData: Record<string, unknown>, SecureJsonData: Record<string, string> }} data
 */
export function interpolate(template, data) {
  return template.replace(/\{\{-?\s*([^}]*?)\s*-?\}\}/g, (_, action) => {
    const field = /^\.(JsonData|SecureJsonData)\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(action);
    if (!field) {
      throw new Error(`failed to execute template ${template}`);
    }
    const value = /** @type {Record<string, unknown>} */ (data[/** @type {'JsonData'} */ (field[1])] ?? {})[field[2]];
    if (value === undefined) {
      return '<no value>';
    }
    // Go prints nil as <nil>, and other values with fmt's %v.
    return value === null ? '<nil>' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  });
}

/**
 * The proxied path as Grafana takes it (pkg/api/plugin_proxy.go getProxyPath): from the request's
 * *escaped* path, the `/api/plugin-proxy/<id>/` prefix removed, then cleaned by Go's path.Join:
 * `.` and `..` resolved, repeated slashes folded, and the trailing slash dropped.
 * @param {string} escapedPath
 */
export function cleanProxyPath(escapedPath) {
  /** @type {string[]} */
  const out = [];
  for (const segment of escapedPath.split('/')) {
    if (segment === '' || segment === '.') {
      continue;
    }
    if (segment === '..') {
      out.pop();
    } else {
      out.push(segment);
    }
  }
  return `/${out.join('/')}`;
}

/**
 * Grafana's util.JoinURLFragments (pkg/util/url.go): exactly one slash between the two, and `a`
 * alone when `b` is empty.
 * @param {string} a
 * @param {string} b
 */
export function joinUrlFragments(a, b) {
  if (b === '') {
    return a;
  }
  const aSlash = a.endsWith('/');
  const bSlash = b.startsWith('/');
  if (aSlash && bSlash) {
    return a + b.slice(1);
  }
  if (!aSlash && !bSlash) {
    return `${a}/${b}`;
  }
  return a + b;
}

/**
 * Go's url.URL.EscapedPath for a Path set by hand (net/url shouldEscape, encodePath): everything
 * but letters, digits, `-_.~` and `$&+,/:;=@` is percent-encoded, `%` included. The plugin proxy
 * assigns the still-escaped proxy path to the upstream URL's (unescaped) Path, so this escapes it
 * once more: `site%20a%2Fpump` arrives as `site%2520a%252Fpump`.
 * @param {string} path
 */
export function goEscapePath(path) {
  let out = '';
  for (const byte of Buffer.from(path, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~$&+,/:;=@]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * Grafana's X-Grafana-Context: the signed-in user marshalled as JSON (pluginproxy.go director,
 * `json.Marshal` of the requester). The struct (pkg/services/user/identity.go SignedInUser) has
 * no json tags, so the keys are the Go field names; Permissions, IDToken and its claims are
 * tagged `json:"-"` and never sent.
 * @param {PreviewUser} user
 * @param {number} index the user's place in the list (its numeric id is index + 1)
 */
export function signedInUser(user, index) {
  const anonymous = user.kind === 'anonymous';
  return {
    UserID: anonymous ? 0 : index + 1,
    UserUID: anonymous ? '' : `preview-${user.login}`,
    OrgID: 1,
    OrgName: 'Main Org.',
    OrgRole: user.role,
    Login: anonymous ? '' : user.login,
    Name: anonymous ? '' : user.login,
    Email: anonymous ? '' : `${user.login}@preview.invalid`,
    AuthenticatedBy: anonymous ? 'anonymous' : user.kind === 'service-account' ? 'api-key' : 'password',
    ApiKeyID: 0,
    IsServiceAccount: user.kind === 'service-account',
    IsGrafanaAdmin: false,
    IsAnonymous: anonymous,
    IsDisabled: false,
    HelpFlags1: 0,
    LastSeenAt: new Date().toISOString(),
    Teams: [],
  };
}

/**
 * Grafana matches a route path as a tree pattern (pluginproxy.go HandleRequest, web.NewTree) on
 * the cleaned, still-escaped proxy path: `prefix/*` takes the rest of the path (which is what is
 * forwarded, escapes and all), a path without `*` matches exactly and forwards nothing.
 * @param {string} pattern
 * @param {string} path
 * @returns {string | undefined} the forwarded rest, or undefined when it does not match
 */
export function matchRoutePath(pattern, path) {
  const clean = pattern.replace(/^\/+/, '');
  if (clean.endsWith('*')) {
    const prefix = clean.slice(0, -1);
    return path.startsWith(prefix) ? path.slice(prefix.length) : undefined;
  }
  return path === clean || path === `${clean}/` ? '' : undefined;
}

/**
 * @param {PluginRoute[]} routes
 * @param {string} method
 * @param {string} path
 * @param {OrgRole} role
 * @returns {{ status: 200, route: PluginRoute, rest: string } | { status: 403 | 404, message: string }}
 */
export function resolveRoute(routes, method, path, role) {
  for (const route of routes) {
    if (route.method && route.method !== '*' && route.method !== method) {
      continue;
    }
    const rest = matchRoutePath(route.path, path);
    if (rest === undefined) {
      continue;
    }
    if (route.reqRole && roleRank[role] < (roleRank[route.reqRole] ?? Infinity)) {
      return { status: 403, message: 'plugin proxy route access denied' };
    }
    return { status: 200, route, rest };
  }
  return { status: 404, message: 'plugin route match not found' };
}

/** @param {string} text */
function parseUsers(text) {
  return text.split(',').map((entry) => {
    const [login, role, kind = 'user', ...rest] = entry.split(':').map((part) => part.trim());
    if (
      !login ||
      !role ||
      !(role in roleRank) ||
      !['user', 'anonymous', 'service-account'].includes(kind) ||
      rest.length
    ) {
      throw new Error(`--users: "${entry}" is not login:Viewer|Editor|Admin[:anonymous|:service-account]`);
    }
    return { login, role: /** @type {OrgRole} */ (role), kind: /** @type {PreviewUser['kind']} */ (kind) };
  });
}

/** @param {string | undefined} header */
function cookies(header) {
  /** @type {Record<string, string>} */
  const jar = {};
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0) {
      jar[part.slice(0, at).trim()] = decodeURIComponent(part.slice(at + 1).trim());
    }
  }
  return jar;
}

/**
 * JSON inside a <script>: `<` escaped so no value can close the script element.
 * @param {unknown} value
 */
const scriptJson = (value) => JSON.stringify(value).replace(/</g, '\\u003c');

/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {unknown} body
 */
function sendJson(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

/**
 * Starts the host; resolves once it listens.
 * @param {HostOptions} options
 */
export async function startPreviewHost(options = {}) {
  const pluginJsonPath = options.pluginJson ?? join(here, '..', 'src', 'plugin.json');
  const plugin = /** @type {{ id: string, routes?: PluginRoute[] }} */ (
    JSON.parse(readFileSync(pluginJsonPath, 'utf8'))
  );
  const routes = plugin.routes ?? [];
  const bundleDir = resolve(options.bundleDir ?? join(here, 'dist'));
  const iconsDir = resolve(
    options.iconsDir ?? join(here, '..', 'node_modules', '@grafana', 'ui', 'dist', 'public', 'img', 'icons')
  );
  if (!existsSync(join(bundleDir, 'preview.js'))) {
    throw new Error(`no preview bundle in ${bundleDir}: run "npm run build:preview" (or node preview/build.mjs) first`);
  }
  const users = options.users ?? defaultUsers;
  const defaultUser = users.find((u) => u.login === (options.defaultUser ?? users[0]?.login)) ?? users[0];
  // Grafana's defaults: [dataproxy] send_user_header = false; the app enabled once configured.
  const sendUserHeader = options.sendUserHeader ?? false;
  const appEnabled = options.appEnabled ?? true;
  const dialTimeoutMs = options.dialTimeoutMs ?? grafanaDialTimeoutMs;
  const jsonData = {
    ...(options.exporterUrl ? { exporterUrl: options.exporterUrl } : {}),
    ...(options.prometheusUrl ? { prometheusUid } : {}),
  };
  /** @type {Record<string, string>} */
  const secureJsonData = {
    ...(options.proxySecret ? { proxySecret: options.proxySecret } : {}),
    ...(options.apiToken ? { apiToken: options.apiToken } : {}),
  };
  // An app never enabled in the org has no settings stored: nothing configured, nothing proxied.
  const settings = appEnabled
    ? {
        id: plugin.id,
        type: 'app',
        enabled: true,
        jsonData,
        secureJsonFields: Object.fromEntries(Object.keys(secureJsonData).map((k) => [k, true])),
      }
    : { id: plugin.id, type: 'app', enabled: false, jsonData: {}, secureJsonFields: {} };
  const proxyPrefix = '/api/plugin-proxy/';
  const appPrefix = `/a/${plugin.id}`;

  /** @param {import('node:http').IncomingMessage} req */
  const userOf = (req) => users.find((u) => u.login === cookies(req.headers.cookie)[userCookie]) ?? defaultUser;

  /** @param {PreviewUser} user */
  const indexHtml = (user) => {
    const bootData = {
      user: {
        id: 1,
        login: user.login,
        name: user.login,
        orgId: 1,
        orgName: 'Main Org.',
        orgRole: user.role,
        isSignedIn: true,
        theme: 'dark',
        regionalFormat: 'en-US',
      },
      settings: { appSubUrl: '', buildInfo: { version: 'preview', env: 'production' }, featureToggles: {} },
      navTree: [],
      assets: { dark: '', light: '' },
    };
    const preview = { users, settings: { jsonData, secureJsonFields: settings.secureJsonFields } };
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>twinops preview</title>
<script>
window.__grafana_public_path__ = '/public/';
window.grafanaBootData = ${scriptJson(bootData)};
window.twinopsPreview = ${scriptJson(preview)};
</script>
<script defer src="/preview/assets/preview.js"></script>
</head>
<body>
<div id="root"></div>
</body>
</html>
`;
  };

  /**
   * @param {import('node:http').ServerResponse} res
   * @param {string} dir
   * @param {string} relative
   * @param {string} cacheControl
   */
  const sendFile = (res, dir, relative, cacheControl) => {
    const file = normalize(join(dir, relative));
    if (!file.startsWith(dir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      sendJson(res, 404, { message: 'Not found' });
      return;
    }
    res.writeHead(200, {
      'Content-Type': contentTypes[/** @type {keyof contentTypes} */ (extname(file))] ?? 'application/octet-stream',
      'Cache-Control': cacheControl,
    });
    createReadStream(file).pipe(res);
  };

  /**
   * A Grafana-style JSON error (pkg/api/pluginproxy/pluginproxy.go writeJSONErr, and c.JsonApiErr
   * for the handler's own errors: a `traceID` only when there was an underlying error).
   * @param {import('node:http').ServerResponse} res
   * @param {number} status
   * @param {string} message
   * @param {boolean} [withError]
   */
  const grafanaError = (res, status, message, withError = false) => {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8' });
    res.end(`${JSON.stringify(withError ? { message, traceID: '' } : { message })}\n`);
  };

  /**
   * One line per proxied request that did not succeed, shaped like Grafana's "Request Completed"
   * log line, so a status nobody receives (499) can still be seen.
   * @param {import('node:http').IncomingMessage} req
   * @param {PreviewUser} user
   * @param {string} path
   * @param {number} status
   */
  const logFailure = (req, user, path, status) => {
    console.error(
      `logger=context uname=${user.login} method=${req.method} path=${path} status=${status} msg="Request Completed"`
    );
  };

  /**
   * Grafana's plugin proxy for one request: pkg/api/plugin_proxy.go (ProxyPluginRequest),
   * pkg/api/pluginproxy/pluginproxy.go (HandleRequest, director), pkg/util/proxyutil/*.go.
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   */
  const proxy = (req, res) => {
    const user = userOf(req);
    const rawUrl = req.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    // The escaped path as it arrived, and the raw query, which Grafana forwards byte for byte.
    const escapedPath = queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt);
    const rawQuery = queryAt < 0 ? '' : rawUrl.slice(queryAt + 1);
    const idMatch = /^\/api\/plugin-proxy\/([\w-]+)\/?/.exec(escapedPath);
    /** @param {number} status */
    const finish = (status) => {
      if (status >= 400) {
        logFailure(req, user, escapedPath, status);
      }
    };
    if (!idMatch || idMatch[1] !== plugin.id) {
      grafanaError(res, 404, 'Plugin not found, no installed plugin with that id');
      return finish(404);
    }
    if (!appEnabled) {
      // plugin_proxy.go: no settings stored for the app in this org → "Failed to fetch plugin settings".
      grafanaError(res, 500, 'Failed to fetch plugin settings', true);
      return finish(500);
    }
    const proxyPath = cleanProxyPath(escapedPath.slice(idMatch[0].length));
    const found = resolveRoute(routes, req.method ?? 'GET', proxyPath.slice(1), user.role);
    if (found.status !== 200) {
      grafanaError(res, found.status, found.message);
      return finish(found.status);
    }
    const data = { JsonData: jsonData, SecureJsonData: secureJsonData };
    let rendered;
    /** @type {Record<string, string>} */
    const routeHeaders = {};
    try {
      rendered = interpolate(found.route.url ?? '', data);
    } catch {
      grafanaError(res, 500, 'Could not interpolate plugin route url', true);
      return finish(500);
    }
    try {
      for (const header of found.route.headers ?? []) {
        routeHeaders[header.name.toLowerCase()] = interpolate(header.content, data);
      }
    } catch {
      grafanaError(res, 500, 'Failed to render plugin headers', true);
      return finish(500);
    }
    // Go's url.Parse takes `<no value>` (an unset exporterUrl) as a bare path: no scheme, no host,
    // which the transport refuses; Grafana's error handler turns that into a 502.
    /** @type {URL | undefined} */
    let target;
    if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(rendered)) {
      try {
        target = new URL(rendered);
      } catch {
        grafanaError(res, 500, 'Could not parse url', true);
        return finish(500);
      }
    }
    if (!target || (target.protocol !== 'http:' && target.protocol !== 'https:')) {
      res.writeHead(502);
      res.end();
      return finish(502);
    }

    /** @type {import('node:http').OutgoingHttpHeaders} */
    const headers = {};
    const connectionNamed = String(req.headers.connection ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase());
    for (const [name, value] of Object.entries(req.headers)) {
      if (
        name !== 'host' &&
        !hopByHop.includes(name) &&
        !connectionNamed.includes(name) &&
        !strippedRequestHeaders.includes(name)
      ) {
        headers[name] = value;
      }
    }
    headers.host = target.host;
    // proxyutil.go PrepareProxyRequest: the Referer kept as X-Grafana-Referer (empty when none).
    headers['x-grafana-referer'] = req.headers.referer ?? '';
    // The user, always, overwriting whatever the browser sent.
    headers['x-grafana-context'] = JSON.stringify(signedInUser(user, users.indexOf(user)));
    // proxyutil.go ApplyUserHeader: users and service accounts, never anonymous visitors.
    if (sendUserHeader && user.kind !== 'anonymous') {
      headers['x-grafana-user'] = user.login;
    }
    // pluginproxy/utils.go addHeaders: each route header *set*, replacing the browser's.
    Object.assign(headers, routeHeaders);
    // X-Forwarded-For: PrepareProxyRequest appends the client's address, then Go's ReverseProxy
    // appends it once more, so a direct browser appears twice.
    const client = req.socket.remoteAddress ?? '';
    const prior = req.headers['x-forwarded-for'];
    const forwarded = [...(prior ? [String(prior)] : []), client, client];
    headers['x-forwarded-for'] = forwarded.join(', ');

    // pluginproxy.go director: the proxy path, still escaped, becomes the upstream URL's Path.
    let targetPath;
    try {
      targetPath = decodeURIComponent(target.pathname);
    } catch {
      grafanaError(res, 500, 'Could not parse url', true);
      return finish(500);
    }
    const wirePath = goEscapePath(joinUrlFragments(targetPath, found.rest)) || '/';
    const upstreamPath = rawQuery === '' ? wirePath : `${wirePath}?${rawQuery}`;

    let status = 0;
    let timedOut = false;
    let clientGone = false;
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const upstream = send(
      {
        protocol: target.protocol,
        hostname: target.hostname.replace(/^\[|\]$/g, ''),
        port: target.port,
        method: req.method,
        path: upstreamPath,
        headers,
        agent: false,
      },
      (answer) => {
        /** @type {import('node:http').OutgoingHttpHeaders} */
        const back = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          if (!hopByHop.includes(name) && name !== 'set-cookie') {
            back[name] = value;
          }
        }
        // reverse_proxy.go modifyResponse: Set-Cookie removed, Content-Security-Policy: sandbox.
        back['content-security-policy'] = 'sandbox';
        status = answer.statusCode ?? 502;
        res.writeHead(status, back);
        answer.pipe(res);
      }
    );
    // plugin_proxy.go: the transport's dialer gives up after 30 s; there is no response timeout.
    upstream.on('socket', (socket) => {
      if (!socket.connecting) {
        return;
      }
      const timer = setTimeout(() => {
        timedOut = true;
        upstream.destroy(new Error('dial timeout'));
      }, dialTimeoutMs);
      socket.once('connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    });
    // reverse_proxy.go errorHandler: 499 when the client went away, 504 on a timeout, else 502.
    upstream.on('error', () => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      status = clientGone ? statusClientClosedRequest : timedOut ? 504 : 502;
      finish(status);
      if (!clientGone) {
        res.writeHead(status);
        res.end();
      }
    });
    res.on('close', () => {
      if (!res.writableFinished && status === 0) {
        clientGone = true;
        upstream.destroy(new Error('context canceled'));
      } else if (status >= 400) {
        finish(status);
      }
    });
    req.pipe(upstream);
  };

  /**
   * Grafana's datasource proxy, for the one Prometheus the SLOs page queries.
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   * @param {URL} url
   */
  const prometheus = (req, res, url) => {
    const prefix = `/api/datasources/proxy/uid/${prometheusUid}/`;
    if (!options.prometheusUrl || !url.pathname.startsWith(prefix) || req.method !== 'GET') {
      sendJson(res, 404, { message: 'Data source not found' });
      return;
    }
    const target = new URL(url.pathname.slice(prefix.length) + url.search, options.prometheusUrl.replace(/\/?$/, '/'));
    fetch(target)
      .then(async (answer) => {
        res.writeHead(answer.status, { 'Content-Type': answer.headers.get('content-type') ?? 'application/json' });
        res.end(Buffer.from(await answer.arrayBuffer()));
      })
      .catch(() => sendJson(res, 502, { message: 'Bad Gateway' }));
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://preview.invalid');
    const path = url.pathname;
    if (path.startsWith(proxyPrefix)) {
      return proxy(req, res);
    }
    if (path.startsWith('/api/datasources/proxy/')) {
      return prometheus(req, res, url);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendJson(res, 405, { message: 'Method not allowed' });
    }
    if (path === '/api/health') {
      return sendJson(res, 200, { database: 'ok', version: 'twinops-preview' });
    }
    if (path === `/api/plugins/${plugin.id}/settings`) {
      return sendJson(res, 200, settings);
    }
    if (path === '/api/user') {
      const user = userOf(req);
      return sendJson(res, 200, { id: 1, login: user.login, name: user.login, orgId: 1, orgRole: user.role });
    }
    if (path.startsWith('/preview/assets/')) {
      return sendFile(res, bundleDir, path.slice('/preview/assets/'.length), 'no-cache');
    }
    if (path.startsWith('/public/build/img/icons/')) {
      return sendFile(res, iconsDir, path.slice('/public/build/img/icons/'.length), 'max-age=3600');
    }
    if (path === '/preview/login') {
      const login = url.searchParams.get('user') ?? '';
      const next = url.searchParams.get('next') ?? '/preview/fleet';
      if (!users.some((u) => u.login === login)) {
        return sendJson(res, 400, {
          message: `no preview user "${login}"; known: ${users.map((u) => u.login).join(', ')}`,
        });
      }
      const safeNext = /^\/preview(\/|$)/.test(next) && !next.startsWith('//') ? next : '/preview/fleet';
      res.writeHead(303, {
        'Set-Cookie': `${userCookie}=${encodeURIComponent(login)}; Path=/; HttpOnly; SameSite=Strict`,
        Location: safeNext,
      });
      return res.end();
    }
    // Grafana's own URL of an app page (the panels link there) shows the same page here.
    if (path === appPrefix || path.startsWith(`${appPrefix}/`)) {
      res.writeHead(302, { Location: `/preview${path.slice(appPrefix.length)}${url.search}` });
      return res.end();
    }
    if (path === '/' || path === '/preview' || path === '/preview/') {
      res.writeHead(302, { Location: '/preview/fleet' });
      return res.end();
    }
    if (path.startsWith('/preview/')) {
      // ?user=NAME on any page signs in as NAME first (a link that opens the page as someone).
      const login = url.searchParams.get('user');
      if (login !== null) {
        url.searchParams.delete('user');
        res.writeHead(303, {
          Location: `/preview/login?${new URLSearchParams({ user: login, next: `${path}${url.search}` })}`,
        });
        return res.end();
      }
      res.writeHead(200, { 'Content-Type': contentTypes['.html'], 'Cache-Control': 'no-store' });
      return res.end(indexHtml(userOf(req)));
    }
    return sendJson(res, 404, { message: 'Not found' });
  });

  await new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, options.host ?? '127.0.0.1', () => resolveListen(undefined));
  });
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  const host = options.host && options.host !== '0.0.0.0' && options.host !== '::' ? options.host : '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise((resolveClose) => {
        server.close(() => resolveClose(undefined));
        server.closeAllConnections();
      }),
  };
}

/**
 * @param {string} flag
 * @param {string | undefined} text
 */
function seconds(flag, text) {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`${flag}: "${text}" is not a number of seconds above 0`);
  }
  return value;
}

async function main() {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '3000' },
      exporter: { type: 'string' },
      prometheus: { type: 'string' },
      users: { type: 'string' },
      'default-user': { type: 'string' },
      'send-user-header': { type: 'boolean', default: false },
      'app-disabled': { type: 'boolean', default: false },
      'dial-timeout': { type: 'string', default: String(grafanaDialTimeoutMs / 1000) },
      bundle: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(`usage: node preview/server.mjs --exporter URL [--port 3000] [--host 127.0.0.1] [--prometheus URL]
  [--users viewer:Viewer,olga:Editor,erin:Admin,emil:Admin] [--default-user LOGIN] [--bundle DIR]
  [--send-user-header] [--app-disabled] [--dial-timeout SECONDS]
Grafana's defaults unless told: no X-Grafana-User ([dataproxy] send_user_header = false), the app
enabled, the upstream's connection awaited 30 s. A user may be login:Role:anonymous or
login:Role:service-account.
secrets from the environment: TWINOPS_PROXY_SECRET (the app's proxy secret), TWINOPS_PREVIEW_API_TOKEN (its API token)`);
    return;
  }
  const host = await startPreviewHost({
    host: values.host,
    port: Number(values.port),
    exporterUrl: values.exporter ?? process.env.TWINOPS_PREVIEW_EXPORTER,
    proxySecret: process.env.TWINOPS_PROXY_SECRET || undefined,
    apiToken: process.env.TWINOPS_PREVIEW_API_TOKEN || undefined,
    prometheusUrl: values.prometheus,
    users: values.users ? parseUsers(values.users) : undefined,
    defaultUser: values['default-user'],
    sendUserHeader: values['send-user-header'],
    appEnabled: !values['app-disabled'],
    dialTimeoutMs: seconds('--dial-timeout', values['dial-timeout']) * 1000,
    bundleDir: values.bundle,
  });
  console.log(`twinops preview host on ${host.url}/preview/fleet`);
  const stop = () => void host.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(`preview host: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
