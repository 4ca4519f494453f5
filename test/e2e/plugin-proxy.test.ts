import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, readBody, run, serveHttp, type LoopbackServer } from '../bed/index.js';
import { repoRoot } from '../bed/paths.js';
import { httpOk, startServer, type RunningServer } from '../bed/process.js';

/**
 * The preview host's emulation of Grafana's plugin proxy, seen from the upstream: a loopback
 * server stands where the exporter would and echoes what reached it. The routes come from the
 * plugin's own plugin.json; the host is started as users start it (node preview/server.mjs).
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

describe('the preview host answers like Grafana’s plugin proxy', () => {
  let upstream: LoopbackServer;
  let host: RunningServer;
  let base: string;

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
    await run(process.execPath, [join(pluginDir, 'preview', 'build.mjs')]);
    upstream = await serveHttp(async (req, res) => {
      const echo: Echo = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: await readBody(req),
      };
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('Set-Cookie', 'upstream=1');
      res.end(JSON.stringify(echo));
    });
    const port = await freePort();
    host = await startServer({
      name: 'preview',
      command: process.execPath,
      args: () => [
        join(pluginDir, 'preview', 'server.mjs'),
        '--port',
        String(port),
        // A path on the exporter URL is kept, as Grafana joins it with the forwarded rest.
        '--exporter',
        `${upstream.url}/twin`,
      ],
      env: { ...process.env, TWINOPS_PROXY_SECRET: secret, TWINOPS_PREVIEW_API_TOKEN: apiToken },
      ready: () => httpOk(`http://127.0.0.1:${port}/api/health`),
    });
    base = `http://127.0.0.1:${port}`;
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

  it('forwards the rest of the path and the query to the route URL, with the route headers and the signed-in user, and nothing the browser claimed', async () => {
    const { status, body } = await call('viewer', 'viewer/api/v1/assets?limit=2&stale=true', {
      headers: {
        'X-Grafana-User': 'erin',
        'X-Grafana-Org-Role': 'Admin',
        'X-Twinops-Proxy-Secret': 'a guess',
        Authorization: 'Bearer stolen',
        'X-Request-Id': 'kept-1',
      },
    });
    expect(status).toBe(200);
    expect(body.url).toBe('/twin/api/v1/assets?limit=2&stale=true');
    expect(body.headers).toMatchObject({
      'x-twinops-proxy-secret': secret,
      'x-grafana-org-role': 'Viewer',
      'x-grafana-user': 'viewer',
      'x-request-id': 'kept-1',
    });
    expect(JSON.parse(body.headers['x-grafana-context'] as string)).toMatchObject({
      login: 'viewer',
      orgRole: 'Viewer',
    });
    expect(body.headers.authorization).toBeUndefined();
    expect(body.headers.cookie).toBeUndefined();
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
    expect(asOlga.body.headers).toMatchObject({
      'x-grafana-org-role': 'Editor',
      'x-grafana-user': 'olga',
    });
    // An Admin may take the editor route too; the route's own role header is what goes out.
    const asErin = await call('erin', 'editor/api/v1/commands', post);
    expect(asErin.body.headers).toMatchObject({
      'x-grafana-org-role': 'Editor',
      'x-grafana-user': 'erin',
    });
    const asEmil = await call('emil', 'admin/api/v1/kill-switch', { ...post, method: 'PUT' });
    expect(asEmil.body).toMatchObject({ method: 'PUT', url: '/twin/api/v1/kill-switch' });
    expect(asEmil.body.headers).toMatchObject({
      'x-grafana-org-role': 'Admin',
      'x-grafana-user': 'emil',
    });
  });

  it('the token route sends the read-only token and no proxy identity', async () => {
    const { status, body } = await call('viewer', 'token/api/v1/assets', {
      headers: { 'X-Twinops-Proxy-Secret': 'a guess', 'X-Grafana-Org-Role': 'Admin' },
    });
    expect(status).toBe(200);
    expect(body.headers.authorization).toBe(`Bearer ${apiToken}`);
    expect(body.headers['x-twinops-proxy-secret']).toBeUndefined();
    expect(body.headers['x-grafana-org-role']).toBeUndefined();
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
