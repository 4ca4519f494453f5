import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLevel, redactUrl, requestForLog } from './access-log.js';
import { tokenDigest } from './commands/auth.js';
import { applyEnvironment, configFromDocument } from './config/index.js';
import { startExporter, type RunningExporter } from './exporter.js';
import { capturedLogger } from '../test/log-fixtures.js';

describe('redactUrl', () => {
  it('keeps the path and the parameters the routes define', () => {
    expect(redactUrl('/api/v1/assets?class=pump&site=north&offset=0&limit=50')).toBe(
      '/api/v1/assets?class=pump&site=north&offset=0&limit=50',
    );
    expect(redactUrl('/api/v1/asset/history?id=a%2Fb&property=speed')).toBe(
      '/api/v1/asset/history?id=a%2Fb&property=speed',
    );
    expect(redactUrl('/metrics')).toBe('/metrics');
    expect(redactUrl('/metrics?')).toBe('/metrics?');
  });

  it('redacts, name and value, every other parameter: it could hold a token', () => {
    expect(redactUrl('/api/v1/assets?class=pump&access_token=s3cret&limit=5')).toBe(
      '/api/v1/assets?class=pump&[redacted]&limit=5',
    );
    expect(redactUrl('/metrics?eyJhbGciOiJFUzI1NiJ9.e30.sig')).toBe('/metrics?[redacted]');
    expect(redactUrl('/x?token=a&token=b&&id=1')).toBe('/x?[redacted]&[redacted]&&id=1');
    // A name is compared as sent: an escaped one is not a route's parameter.
    expect(redactUrl('/x?%69d=s3cret')).toBe('/x?[redacted]');
  });

  it('cuts a URL longer than 1 KiB', () => {
    const url = redactUrl(`/api/v1/assets/${'a'.repeat(2000)}`);
    expect(url).toHaveLength(1025);
    expect(url.endsWith('…')).toBe(true);
  });
});

describe('requestForLog', () => {
  it('shows method, redacted URL and address, never headers', () => {
    const request = {
      method: 'GET',
      url: '/api/v1/assets?secret=x',
      ip: '10.0.0.1',
      headers: { authorization: 'Bearer s3cret', cookie: 'session=s3cret' },
    };
    expect(requestForLog(request)).toEqual({
      method: 'GET',
      url: '/api/v1/assets?[redacted]',
      remoteAddress: '10.0.0.1',
    });
    expect(requestForLog({ method: 'POST', socket: { remoteAddress: '::1' } })).toEqual({
      method: 'POST',
      url: undefined,
      remoteAddress: '::1',
    });
  });
});

describe('accessLevel', () => {
  it.each([
    [200, false, 'info'],
    [404, false, 'info'],
    [401, false, 'info'],
    [200, true, 'debug'],
    [429, true, 'debug'],
    [503, true, 'debug'],
    [503, false, 'warn'],
    [500, true, 'error'],
    [500, false, 'error'],
  ] as const)('status %i, from machines %s: %s', (status, machines, level) => {
    expect(accessLevel(status, machines)).toBe(level);
  });
});

describe("the exporter's servers", () => {
  // Each secret is distinct, so finding any of them in the output names what leaked.
  const apiToken = 'api-token-SECRET-1';
  const ingestToken = 'ingest-token-SECRET-2';
  const proxySecret = 'proxy-secret-SECRET-3';
  const cookie = 'grafana_session=cookie-SECRET-4';
  const idToken = 'eyJhbGciOiJFUzI1NiJ9.id-token-SECRET-5.sig';
  const queryToken = 'query-token-SECRET-6';
  const wrongToken = 'wrong-token-SECRET-7';
  const secrets = [apiToken, ingestToken, proxySecret, 'cookie-SECRET-4', idToken, queryToken];
  secrets.push(wrongToken, 'SECRET');

  let exporter: RunningExporter;
  const log = capturedLogger('debug');
  beforeAll(async () => {
    const config = applyEnvironment(
      configFromDocument({
        server: { host: '127.0.0.1', otlpPort: 0, metricsPort: 0, apiPort: 0 },
        state: { snapshot: { path: ':memory:' } },
        commands: {
          enabled: true,
          ledgerPath: ':memory:',
          devices: 'simulated',
          auth: {
            tokens: [{ sha256: tokenDigest(apiToken), user: 'olga', roles: ['operator'] }],
            grafanaProxy: { roleMap: { Viewer: ['viewer'], Editor: ['engineer'] } },
          },
        },
      }),
      { TWINOPS_INGEST_TOKEN: ingestToken, TWINOPS_PROXY_SECRET: proxySecret },
    );
    exporter = await startExporter(config, { logger: log.logger });
  });
  afterAll(() => exporter?.close());

  it('writes an access record per request, and no token, secret or cookie anywhere', async () => {
    const answers = await Promise.all([
      fetch(`${exporter.urls.api}/api/v1/assets?class=pump&access_token=${queryToken}`, {
        headers: { Authorization: `Bearer ${apiToken}`, Cookie: cookie },
      }),
      fetch(`${exporter.urls.api}/api/v1/commands?limit=5`, {
        headers: { Authorization: `Bearer ${apiToken}`, Cookie: cookie },
      }),
      fetch(`${exporter.urls.api}/api/v1/commands?asset=p1`, {
        headers: {
          'X-Twinops-Proxy-Secret': proxySecret,
          'X-Grafana-Context': JSON.stringify({ Login: 'vic', OrgRole: 'Viewer', UserID: 7 }),
          'X-Grafana-Org-Role': 'Viewer',
          'X-Grafana-Id': idToken,
        },
      }),
      fetch(`${exporter.urls.api}/api/v1/commands`, {
        headers: { Authorization: `Bearer ${wrongToken}` },
      }),
      fetch(`${exporter.urls.otlp}/v1/metrics`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${ingestToken}`, 'Content-Type': 'application/json' },
        body: '{}',
      }),
      fetch(`${exporter.urls.otlp}/v1/metrics`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${wrongToken}`, 'Content-Type': 'application/json' },
        body: '{}',
      }),
      fetch(`${exporter.urls.metrics}/metrics?token=${queryToken}`, {
        headers: { Cookie: cookie },
      }),
      fetch(`${exporter.urls.api}/no/such/route?secret=${queryToken}`),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([
      400, 200, 200, 401, 200, 401, 200, 404,
    ]);
    await Promise.all(answers.map((answer) => answer.arrayBuffer()));
    // The records are written once each response is done.
    await new Promise((resolve) => setTimeout(resolve, 100));

    const access = log
      .records()
      .filter((record) => record.msg === 'request')
      .map(({ component, method, route, url, status, durationMs }) => ({
        component,
        method,
        route,
        url,
        status,
        durationMs: typeof durationMs,
      }));
    expect(access).toEqual(
      expect.arrayContaining([
        {
          component: 'api',
          method: 'GET',
          route: '/api/v1/assets',
          url: '/api/v1/assets?class=pump&[redacted]',
          status: 400,
          durationMs: 'number',
        },
        {
          component: 'api',
          method: 'GET',
          route: '/api/v1/commands',
          url: '/api/v1/commands?limit=5',
          status: 200,
          durationMs: 'number',
        },
        {
          component: 'api',
          method: 'GET',
          route: '/api/v1/commands',
          url: '/api/v1/commands?asset=p1',
          status: 200,
          durationMs: 'number',
        },
        {
          component: 'api',
          method: 'GET',
          route: '/api/v1/commands',
          url: '/api/v1/commands',
          status: 401,
          durationMs: 'number',
        },
        {
          component: 'otlp',
          method: 'POST',
          route: '/v1/metrics',
          url: '/v1/metrics',
          status: 200,
          durationMs: 'number',
        },
        {
          component: 'otlp',
          method: 'POST',
          route: '/v1/metrics',
          url: '/v1/metrics',
          status: 401,
          durationMs: 'number',
        },
        {
          component: 'metrics',
          method: 'GET',
          route: '/metrics',
          url: '/metrics?[redacted]',
          status: 200,
          durationMs: 'number',
        },
        {
          component: 'api',
          method: 'GET',
          route: 'unmatched',
          url: '/no/such/route?[redacted]',
          status: 404,
          durationMs: 'number',
        },
      ]),
    );
    expect(access).toHaveLength(8);
    // The stranger with a wrong token is counted and logged by reason only.
    expect(log.records()).toContainEqual(
      expect.objectContaining({
        level: 40,
        component: 'commands',
        msg: expect.stringContaining('unknown_token'),
      }),
    );
    const output = log.text();
    for (const secret of secrets) expect(output).not.toContain(secret);
    expect(output).not.toMatch(/bearer/i);
  });
});
