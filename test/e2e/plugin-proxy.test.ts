import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, readBody, serveHttp, type LoopbackServer } from '../bed/index.js';
import { repoRoot } from '../../tools/paths.js';
import { buildPreviewBundle, startPreviewHost } from '../../tools/preview-host.js';
import type { RunningServer } from '../../tools/process.js';

/**
 * The preview host's emulation of Grafana 12's plugin proxy at Grafana's defaults, seen from the
 * upstream: a loopback server stands where the exporter would and echoes what reached it. The
 * routes come from the plugin's own plugin.json; the host is started as users start it (node
 * preview/server.mjs). Each expectation names the Grafana source it follows.
 */

const pluginDir = join(repoRoot, 'grafana-plugin');
const plugin = JSON.parse(readFileSync(join(pluginDir, 'src', 'plugin.json'), 'utf8')) as {
  id: string;
  routes: { path: string; method?: string; reqRole?: string }[];
};
const secret = 'preview-proxy-secret-for-this-test';
const apiToken = 'read-only-token-for-this-test';

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw GET (fetch would resolve `..` and re-encode the path before sending). */
function rawGet(base: string, path: string, login: string) {
  return new Promise<{ status: number; body: string }>((resolveGet, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: new URL(base).port,
        path,
        headers: { Cookie: `twinops_preview_user=${login}` },
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolveGet({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function waitUntil(condition: () => boolean, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms: ${condition}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 50));
  }
}

describe('the preview host answers like Grafana’s plugin proxy', () => {
  let upstream: LoopbackServer;
  let host: RunningServer;
  let base: string;
  const odd = 'site a/pump:1#2';

  /** A request through the proxy as `login` (the preview's session cookie), with extra headers. */
  const call = async (
    login: string,
    path: string,
    init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  ) => {
    const response = await fetch(`${base}/api/plugin-proxy/${plugin.id}/${path}`, {
      method: init.method ?? 'GET',
      headers: { Cookie: `twinops_preview_user=${login}`, ...init.headers },
      body: init.body,
    });
    return {
      status: response.status,
      body: (await response.json()) as Echo & { message?: string },
    };
  };

  beforeAll(async () => {
    await buildPreviewBundle();
    upstream = await serveHttp(async (req, res) => {
      if (req.url?.includes('/slow')) {
        await new Promise((resolveSlow) => setTimeout(resolveSlow, 1_500));
      }
      const echo: Echo = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        // A request the proxy gave up on (the 499 case) has no body left to read.
        body: await readBody(req).catch(() => ''),
      };
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('Set-Cookie', 'upstream=1');
      res.end(JSON.stringify(echo));
    });
    // A path on the exporter URL is kept, as Grafana joins it with the forwarded rest.
    ({ host, base } = await startPreviewHost(`${upstream.url}/twin`, [], {
      TWINOPS_PROXY_SECRET: secret,
      TWINOPS_PREVIEW_API_TOKEN: apiToken,
    }));
  });

  afterAll(async () => {
    await host?.stop();
    await upstream?.close();
  });

  it('reads its routes from plugin.json', () => {
    expect(plugin.routes.map((r) => [r.path, r.method ?? '*', r.reqRole])).toEqual([
      ['viewer/*', 'GET', 'Viewer'],
      ['editor/*', '*', 'Editor'],
      ['admin/*', '*', 'Admin'],
      ['token/*', 'GET', 'Viewer'],
    ]);
  });

  it('forwards the rest of the path and the query to the route URL, with the route headers, the signed-in user as X-Grafana-Context, and no X-Grafana-User (send_user_header is off by default)', async () => {
    const { status, body } = await call('viewer', 'viewer/api/v1/assets?limit=2&stale=true', {
      headers: {
        'X-Grafana-User': 'erin',
        'X-Grafana-Context': '{"Login":"erin","OrgRole":"Admin"}',
        'X-Grafana-Org-Role': 'Admin',
        'X-Twinops-Proxy-Secret': 'a guess',
        'X-Request-Id': 'kept-1',
      },
    });
    expect(status).toBe(200);
    expect(body.url).toBe('/twin/api/v1/assets?limit=2&stale=true');
    // pluginproxy/utils.go addHeaders: the route's headers are set, replacing the browser's.
    expect(body.headers).toMatchObject({
      'x-twinops-proxy-secret': secret,
      'x-grafana-org-role': 'Viewer',
      'x-request-id': 'kept-1',
    });
    // proxyutil.go ApplyUserHeader: deleted, and not set while send_user_header is false.
    expect(body.headers['x-grafana-user']).toBeUndefined();
    // pluginproxy.go director: json.Marshal of the signed-in user, Go field names, always set.
    const context = JSON.parse(body.headers['x-grafana-context'] as string) as Record<
      string,
      unknown
    >;
    expect(context).toMatchObject({
      UserID: 1,
      UserUID: 'preview-viewer',
      OrgID: 1,
      OrgName: 'Main Org.',
      OrgRole: 'Viewer',
      Login: 'viewer',
      Name: 'viewer',
      IsServiceAccount: false,
      IsGrafanaAdmin: false,
      IsAnonymous: false,
    });
    expect(Object.keys(context)).not.toContain('Permissions');
  });

  it('strips cookies, Origin, Referer (kept as X-Grafana-Referer) and X-Forwarded-Host|Port|Proto, appends to X-Forwarded-For, and lets everything else through', async () => {
    const { body } = await call('olga', 'editor/api/v1/commands', {
      headers: {
        Origin: 'http://grafana.example',
        Referer: 'http://grafana.example/a/twinops-twinops-app/fleet',
        'X-Forwarded-Host': 'grafana.example',
        'X-Forwarded-Port': '443',
        'X-Forwarded-Proto': 'https',
        'X-Forwarded-For': '203.0.113.7',
        Authorization: 'Bearer the-browser-sent-this',
        'X-Grafana-Id': 'a.browser.token',
      },
    });
    for (const gone of [
      'cookie',
      'origin',
      'referer',
      'x-forwarded-host',
      'x-forwarded-port',
      'x-forwarded-proto',
    ]) {
      expect(body.headers[gone], gone).toBeUndefined();
    }
    expect(body.headers['x-grafana-referer']).toBe(
      'http://grafana.example/a/twinops-twinops-app/fleet',
    );
    // proxyutil.go PrepareProxyRequest appends the client, then Go's ReverseProxy once more.
    expect(body.headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1, 127.0.0.1');
    // Not on the strip list: a route without its own Authorization forwards the browser's, and
    // X-Grafana-Id is only ever set, never removed, when Grafana signs ID tokens.
    expect(body.headers.authorization).toBe('Bearer the-browser-sent-this');
    expect(body.headers['x-grafana-id']).toBe('a.browser.token');
    expect(body.headers.host).toBe(new URL(upstream.url).host);
  });

  it('forwards the escaped path escaped once more, cleaned, without its trailing slash, and the raw query unchanged', async () => {
    const escaped = encodeURIComponent(odd);
    const asset = await rawGet(
      base,
      `/api/plugin-proxy/${plugin.id}/viewer/api/v1/assets/${escaped}/?id=${escaped}&x=%2F+`,
      'viewer',
    );
    expect(asset.status).toBe(200);
    const echo = JSON.parse(asset.body) as Echo;
    // plugin_proxy.go getProxyPath takes EscapedPath(); the director sets it as the (unescaped)
    // Path, which Go escapes again on the wire: %20 → %2520, %2F → %252F.
    expect(echo.url).toBe(
      `/twin/api/v1/assets/${escaped.replace(/%/g, '%25')}?id=${escaped}&x=%2F+`,
    );
    expect(new URL(echo.url, 'http://x').searchParams.get('id')).toBe(odd);
    // path.Join: `.`, `..` and repeated slashes resolved, the trailing slash dropped.
    const cleaned = JSON.parse(
      (await rawGet(base, `/api/plugin-proxy/${plugin.id}/viewer/./api//v1/x/../assets/`, 'viewer'))
        .body,
    ) as Echo;
    expect(cleaned.url).toBe('/twin/api/v1/assets');
  });

  it('checks reqRole against the org role (higher roles include lower), and the route method', async () => {
    const post = {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"a":1}',
    };
    const denied = { status: 403, body: { message: 'plugin proxy route access denied' } };
    const noRoute = { status: 404, body: { message: 'plugin route match not found' } };
    expect(await call('viewer', 'editor/api/v1/commands', post)).toEqual(denied);
    expect(await call('viewer', 'admin/api/v1/kill-switch')).toEqual(denied);
    expect(await call('olga', 'admin/api/v1/kill-switch')).toEqual(denied);
    // viewer/* is GET only, and no other route's path matches: no route at all.
    expect(await call('viewer', 'viewer/api/v1/commands', post)).toEqual(noRoute);
    expect(await call('olga', 'nowhere/api/v1/assets')).toEqual(noRoute);

    const asOlga = await call('olga', 'editor/api/v1/commands', post);
    expect(asOlga.status).toBe(200);
    expect(asOlga.body).toMatchObject({
      method: 'POST',
      url: '/twin/api/v1/commands',
      body: '{"a":1}',
    });
    expect(asOlga.body.headers['x-grafana-org-role']).toBe('Editor');
    expect(JSON.parse(asOlga.body.headers['x-grafana-context'] as string)).toMatchObject({
      Login: 'olga',
      OrgRole: 'Editor',
    });
    // An Admin may take the editor route too; the route's own role header is what goes out.
    const asErin = await call('erin', 'editor/api/v1/commands', post);
    expect(asErin.body.headers['x-grafana-org-role']).toBe('Editor');
    expect(JSON.parse(asErin.body.headers['x-grafana-context'] as string)).toMatchObject({
      Login: 'erin',
      OrgRole: 'Admin',
    });
    const asEmil = await call('emil', 'admin/api/v1/kill-switch', { ...post, method: 'PUT' });
    expect(asEmil.body).toMatchObject({ method: 'PUT', url: '/twin/api/v1/kill-switch' });
    expect(asEmil.body.headers['x-grafana-org-role']).toBe('Admin');
  });

  it('the token route sends the read-only token; what the browser adds passes through beside it', async () => {
    const { status, body } = await call('viewer', 'token/api/v1/assets', {
      headers: { 'X-Twinops-Proxy-Secret': 'a guess', 'X-Grafana-Org-Role': 'Admin' },
    });
    expect(status).toBe(200);
    expect(body.headers.authorization).toBe(`Bearer ${apiToken}`);
    // Grafana does not strip these; the exporter takes the bearer token instead of any proxy
    // identity, and a guessed secret is refused anyway.
    expect(body.headers['x-twinops-proxy-secret']).toBe('a guess');
    expect(body.headers['x-grafana-org-role']).toBe('Admin');
    expect(
      (await call('olga', 'token/api/v1/commands', { method: 'POST', body: '{}' })).status,
    ).toBe(404);
  });

  it('answers with the upstream’s status and body, without its cookies, sandboxed', async () => {
    const response = await fetch(`${base}/api/plugin-proxy/${plugin.id}/viewer/api/v1/assets`);
    expect(response.status).toBe(200);
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(response.headers.get('content-security-policy')).toBe('sandbox');
    // A raw `..` (fetch would resolve it before sending) is resolved first, as Grafana cleans
    // the path, and the route it lands on judges it: the viewer may not climb into admin/*.
    const traversal = await new Promise<number | undefined>((resolveStatus, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: new URL(base).port,
          path: `/api/plugin-proxy/${plugin.id}/viewer/../admin/api/v1/kill-switch`,
          headers: { Cookie: 'twinops_preview_user=viewer' },
        },
        (res) => {
          res.resume();
          resolveStatus(res.statusCode);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(traversal).toBe(403);
  });

  it('answers 499 when the browser gives up before the upstream answers', async () => {
    const giveUp = new AbortController();
    const pending = fetch(`${base}/api/plugin-proxy/${plugin.id}/viewer/api/v1/slow`, {
      headers: { Cookie: 'twinops_preview_user=viewer' },
      signal: giveUp.signal,
    }).catch((error: unknown) => error);
    setTimeout(() => giveUp.abort(), 300);
    expect(await pending).toBeInstanceOf(Error);
    // Nobody receives a 499; Grafana logs it, and so does the preview.
    await waitUntil(() => /path=\S*\/viewer\/api\/v1\/slow status=499/.test(host.log()));
  });

  it('with send_user_header on, sends X-Grafana-User for users and service accounts, never for anonymous visitors', async () => {
    const { host: withHeader, base: headerBase } = await startPreviewHost(
      upstream.url,
      [
        '--send-user-header',
        '--users',
        'olga:Editor,robot:Viewer:service-account,guest:Viewer:anonymous',
      ],
      { TWINOPS_PROXY_SECRET: secret },
    );
    try {
      const as = async (login: string) =>
        JSON.parse(
          (await rawGet(headerBase, `/api/plugin-proxy/${plugin.id}/viewer/api/v1/assets`, login))
            .body,
        ) as Echo;
      expect((await as('olga')).headers['x-grafana-user']).toBe('olga');
      const robot = await as('robot');
      expect(robot.headers['x-grafana-user']).toBe('robot');
      expect(JSON.parse(robot.headers['x-grafana-context'] as string)).toMatchObject({
        Login: 'robot',
        IsServiceAccount: true,
      });
      const guest = await as('guest');
      expect(guest.headers['x-grafana-user']).toBeUndefined();
      expect(JSON.parse(guest.headers['x-grafana-context'] as string)).toMatchObject({
        UserID: 0,
        Login: '',
        IsAnonymous: true,
        OrgRole: 'Viewer',
      });
    } finally {
      await withHeader.stop();
    }
  });

  it('renders a missing setting as <no value>: in a header as that text, as the URL a 502', async () => {
    // No proxy secret and no exporter URL configured.
    const { host: bare, base: bareBase } = await startPreviewHost('', []);
    const { host: noSecret, base: noSecretBase } = await startPreviewHost(upstream.url, []);
    try {
      const header = JSON.parse(
        (
          await rawGet(
            noSecretBase,
            `/api/plugin-proxy/${plugin.id}/viewer/api/v1/assets`,
            'viewer',
          )
        ).body,
      ) as Echo;
      expect(header.headers['x-twinops-proxy-secret']).toBe('<no value>');
      const token = JSON.parse(
        (await rawGet(noSecretBase, `/api/plugin-proxy/${plugin.id}/token/api/v1/assets`, 'viewer'))
          .body,
      ) as Echo;
      expect(token.headers.authorization).toBe('Bearer <no value>');
      // `<no value>` parses as a URL without scheme or host, which the transport refuses.
      const noUrl = await rawGet(
        bareBase,
        `/api/plugin-proxy/${plugin.id}/viewer/api/v1/assets`,
        'viewer',
      );
      expect(noUrl).toEqual({ status: 502, body: '' });
    } finally {
      await bare.stop();
      await noSecret.stop();
    }
  });

  it('answers 500 when the app is not enabled, and 404 for a plugin that is not there', async () => {
    const { host: off, base: offBase } = await startPreviewHost(upstream.url, ['--app-disabled'], {
      TWINOPS_PROXY_SECRET: secret,
    });
    try {
      const disabled = await rawGet(
        offBase,
        `/api/plugin-proxy/${plugin.id}/viewer/api/v1/assets`,
        'viewer',
      );
      expect(disabled.status).toBe(500);
      expect(JSON.parse(disabled.body)).toEqual({
        message: 'Failed to fetch plugin settings',
        traceID: '',
      });
      const settings = (await (
        await fetch(`${offBase}/api/plugins/${plugin.id}/settings`)
      ).json()) as {
        enabled: boolean;
      };
      expect(settings.enabled).toBe(false);
    } finally {
      await off.stop();
    }
    const other = await rawGet(
      base,
      '/api/plugin-proxy/someone-else-app/viewer/api/v1/assets',
      'viewer',
    );
    expect(other.status).toBe(404);
    expect(JSON.parse(other.body)).toEqual({
      message: 'Plugin not found, no installed plugin with that id',
    });
  });

  it('answers 502 when the upstream refuses the connection, 504 when it cannot be reached in time', async () => {
    const closedPort = await freePort();
    const { host: refused, base: refusedBase } = await startPreviewHost(
      `http://127.0.0.1:${closedPort}`,
      [],
      {
        TWINOPS_PROXY_SECRET: secret,
      },
    );
    // A listener that accepts nothing: once its backlog is full, connections hang unanswered.
    const stuck: ChildProcess = spawn(process.execPath, [
      '-e',
      "const s=require('net').createServer().listen({port:0,host:'127.0.0.1',backlog:1},()=>{console.log(s.address().port);process.kill(process.pid,'SIGSTOP')})",
    ]);
    const sockets: Socket[] = [];
    try {
      const stuckPort = await new Promise<number>((resolvePort) =>
        stuck.stdout!.once('data', (chunk: Buffer) => resolvePort(Number(String(chunk).trim()))),
      );
      for (let i = 0; i < 2; i++) {
        await new Promise<void>((resolveFill) => {
          const socket = connect({ host: '127.0.0.1', port: stuckPort }, resolveFill);
          sockets.push(socket);
          socket.on('error', () => resolveFill());
        });
      }
      const { host: slow, base: slowBase } = await startPreviewHost(
        `http://127.0.0.1:${stuckPort}`,
        ['--dial-timeout', '1'],
        { TWINOPS_PROXY_SECRET: secret },
      );
      try {
        const started = Date.now();
        const timedOut = await rawGet(
          slowBase,
          `/api/plugin-proxy/${plugin.id}/viewer/api/v1/assets`,
          'viewer',
        );
        expect(timedOut).toEqual({ status: 504, body: '' });
        expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      } finally {
        await slow.stop();
      }
      expect(
        await rawGet(refusedBase, `/api/plugin-proxy/${plugin.id}/viewer/api/v1/assets`, 'viewer'),
      ).toEqual({ status: 502, body: '' });
    } finally {
      for (const socket of sockets) socket.destroy();
      stuck.kill('SIGKILL');
      await refused.stop();
    }
  }, 60_000);

  it('tells the page which secrets are set, never their values, and signs users in by cookie', async () => {
    const settings = (await (await fetch(`${base}/api/plugins/${plugin.id}/settings`)).json()) as {
      jsonData: Record<string, unknown>;
      secureJsonFields: Record<string, boolean>;
    };
    expect(settings.jsonData).toEqual({ exporterUrl: `${upstream.url}/twin` });
    expect(settings.secureJsonFields).toEqual({ proxySecret: true, apiToken: true });
    const login = await fetch(`${base}/preview/login?user=erin&next=/preview/approvals`, {
      redirect: 'manual',
    });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/preview/approvals');
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^twinops_preview_user=erin; Path=\/; HttpOnly; SameSite=Strict/);
    const page = await (
      await fetch(`${base}/preview/approvals`, { headers: { Cookie: cookie } })
    ).text();
    expect(page).toContain('"login":"erin"');
    expect(page).toContain('"orgRole":"Admin"');
    expect(page).not.toContain(secret);
    expect(page).not.toContain(apiToken);
    expect((await fetch(`${base}/preview/login?user=mallory`)).status).toBe(400);
    // Elsewhere than the preview's own pages, `next` is not followed.
    const offsite = await fetch(`${base}/preview/login?user=erin&next=//evil.example/`, {
      redirect: 'manual',
    });
    expect(offsite.headers.get('location')).toBe('/preview/fleet');
  });
});
