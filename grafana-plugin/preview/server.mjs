#!/usr/bin/env node
// @ts-check
/**
 * The preview host: serves the plugin's pages and panels outside Grafana (the bundle built by
 * preview/build.mjs) and answers the few Grafana URLs they call, the way Grafana does:
 *
 * - `/api/plugin-proxy/<plugin id>/<route path>`: Grafana's plugin proxy, driven by the routes of
 *   src/plugin.json (read at start, not copied): the first route whose method and path match,
 *   its `reqRole` checked against the signed-in user's org role (403 otherwise, 404 when no route
 *   matches), the route's URL and headers rendered from the app's jsonData and secureJsonData,
 *   `X-Grafana-User` set to the login ([dataproxy] send_user_header), cookies dropped.
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
/** @typedef {{ login: string, role: OrgRole }} PreviewUser */
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
 * @property {boolean} [sendUserHeader] Grafana's [dataproxy] send_user_header (default true)
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
/** Hop-by-hop headers (RFC 9110 7.6.1) never cross a proxy. */
const hopByHop = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
];
/**
 * Identity a browser could try to claim. Grafana deletes X-Grafana-User and cookies and *sets*
 * each route header (so the identity routes' own headers always win); the preview also drops
 * these on every route, so no client-sent identity reaches the exporter through it at all.
 */
const clientIdentityHeaders = [
  'cookie',
  'x-grafana-user',
  'x-grafana-context',
  'x-grafana-org-role',
  'x-twinops-proxy-secret',
  'authorization',
];

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
 * Renders `{{ .JsonData.key }}` and `{{ .SecureJsonData.key }}`, the only template data Grafana
 * gives plugin routes; anything else is an error, as Grafana's template would be for this data.
 * @param {string} template
 * @param {{ JsonData: Record<string, unknown>, SecureJsonData: Record<string, string> }} data
 */
export function interpolate(template, data) {
  const rendered = template.replace(/\{\{\s*\.(JsonData|SecureJsonData)\.([A-Za-z0-9_]+)\s*\}\}/g, (_, scope, key) => {
    const value = /** @type {Record<string, unknown>} */ (data[/** @type {'JsonData'} */ (scope)])[key];
    return value === undefined || value === null ? '' : String(value);
  });
  if (rendered.includes('{{')) {
    throw new Error(`cannot render "${template}": only .JsonData and .SecureJsonData fields are known`);
  }
  return rendered;
}

/**
 * Grafana matches a route path as a tree pattern: `prefix/*` takes the rest of the path (which is
 * what is forwarded), a path without `*` matches exactly and forwards nothing.
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
    const [login, role] = entry.split(':').map((part) => part.trim());
    if (!login || !role || !(role in roleRank)) {
      throw new Error(`--users: "${entry}" is not login:Viewer|Editor|Admin`);
    }
    return { login, role: /** @type {OrgRole} */ (role) };
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
  const sendUserHeader = options.sendUserHeader ?? true;
  const jsonData = {
    ...(options.exporterUrl ? { exporterUrl: options.exporterUrl } : {}),
    ...(options.prometheusUrl ? { prometheusUid } : {}),
  };
  /** @type {Record<string, string>} */
  const secureJsonData = {
    ...(options.proxySecret ? { proxySecret: options.proxySecret } : {}),
    ...(options.apiToken ? { apiToken: options.apiToken } : {}),
  };
  const settings = {
    id: plugin.id,
    type: 'app',
    enabled: true,
    jsonData,
    secureJsonFields: Object.fromEntries(Object.keys(secureJsonData).map((k) => [k, true])),
  };
  const proxyPrefix = `/api/plugin-proxy/${plugin.id}/`;
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
   * Grafana's plugin proxy for one request.
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   * @param {URL} url
   */
  const proxy = (req, res, url) => {
    const user = userOf(req);
    const path = url.pathname.slice(proxyPrefix.length);
    // `..` segments are already resolved (new URL), as Grafana cleans the path before matching:
    // a path climbing into another route is judged as that route.
    const found = resolveRoute(routes, req.method ?? 'GET', path, user.role);
    if (found.status !== 200) {
      sendJson(res, found.status, { message: found.message });
      return;
    }
    const data = { JsonData: jsonData, SecureJsonData: secureJsonData };
    let target;
    /** @type {Record<string, string>} */
    const routeHeaders = {};
    try {
      target = new URL(interpolate(found.route.url ?? '', data));
      for (const header of found.route.headers ?? []) {
        routeHeaders[header.name.toLowerCase()] = interpolate(header.content, data);
      }
    } catch (error) {
      sendJson(res, 500, { message: 'Could not interpolate plugin route url', error: String(error) });
      return;
    }
    /** @type {import('node:http').OutgoingHttpHeaders} */
    const headers = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!hopByHop.includes(name) && !clientIdentityHeaders.includes(name)) {
        headers[name] = value;
      }
    }
    headers['x-grafana-context'] = JSON.stringify({ login: user.login, orgId: 1, orgRole: user.role });
    if (sendUserHeader) {
      headers['x-grafana-user'] = user.login;
    }
    Object.assign(headers, routeHeaders);
    const upstreamPath = `${target.pathname.replace(/\/+$/, '')}/${found.rest.replace(/^\/+/, '')}${url.search}`;
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const upstream = send(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: upstreamPath,
        headers,
      },
      (answer) => {
        /** @type {import('node:http').OutgoingHttpHeaders} */
        const back = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          if (!hopByHop.includes(name) && name !== 'set-cookie') {
            back[name] = value;
          }
        }
        // As Grafana's proxy: a proxied answer must not run as a page of the host's origin.
        back['content-security-policy'] = 'sandbox';
        res.writeHead(answer.statusCode ?? 502, back);
        answer.pipe(res);
      }
    );
    upstream.on('error', () => {
      if (!res.headersSent) {
        sendJson(res, 502, { message: 'Bad Gateway' });
      } else {
        res.destroy();
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
      return proxy(req, res, url);
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

async function main() {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '3000' },
      exporter: { type: 'string' },
      prometheus: { type: 'string' },
      users: { type: 'string' },
      'default-user': { type: 'string' },
      'no-user-header': { type: 'boolean', default: false },
      bundle: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(`usage: node preview/server.mjs --exporter URL [--port 3000] [--host 127.0.0.1] [--prometheus URL]
  [--users viewer:Viewer,olga:Editor,erin:Admin,emil:Admin] [--default-user LOGIN] [--no-user-header] [--bundle DIR]
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
    sendUserHeader: !values['no-user-header'],
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
