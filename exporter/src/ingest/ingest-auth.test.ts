import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyEnvironment, configFromDocument } from '../config/index.js';
import { startExporter, type RunningExporter } from '../exporter.js';

const token = 'collector-token-7f3a';
const server = { host: '127.0.0.1', otlpPort: 0, metricsPort: 0, apiPort: 0 };
const state = { snapshot: { path: ':memory:' } };
const emptyJson = JSON.stringify({ resourceMetrics: [] });

describe('OTLP/HTTP ingest with a bearer token', () => {
  let exporter: RunningExporter;
  beforeAll(async () => {
    const config = applyEnvironment(configFromDocument({ server, state }), {
      TWINOPS_INGEST_TOKEN: token,
    });
    exporter = await startExporter(config);
  });
  afterAll(async () => exporter?.close());

  const post = (headers: Record<string, string>, body: string | Uint8Array = emptyJson) =>
    fetch(`${exporter.urls.otlp}/v1/metrics`, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/json', ...headers },
    });

  it('refuses a request without a token or with a wrong one: 401, an OTLP Status, WWW-Authenticate', async () => {
    const refused: Record<string, string>[] = [
      {},
      { Authorization: 'Bearer wrong-token' },
      { Authorization: `Basic ${token}` },
      { Authorization: `Bearer ${token}x` },
    ];
    for (const headers of refused) {
      const response = await post(headers);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      const status = (await response.json()) as { code: number; message: string };
      expect(status.code).toBe(16); // UNAUTHENTICATED
      expect(status.message).not.toContain(token);
    }
  });

  it('accepts the right token, protobuf and JSON', async () => {
    expect((await post({ Authorization: `Bearer ${token}` })).status).toBe(200);
    const protobuf = await post(
      { Authorization: `bearer ${token}`, 'Content-Type': 'application/x-protobuf' },
      new Uint8Array(0),
    );
    expect(protobuf.status).toBe(200);
    expect(protobuf.headers.get('content-type')).toBe('application/x-protobuf');
  });

  it('answers 401 before reading the body, and counts it', async () => {
    const port = Number(new URL(exporter.urls.otlp).port);
    const socket = connect({ host: '127.0.0.1', port });
    try {
      let received = '';
      const closed = new Promise<void>((done) => socket.once('close', () => done()));
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (received += chunk));
      socket.on('error', () => undefined);
      // A megabyte promised, none sent: the answer may not wait for it.
      socket.write(
        'POST /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
          'Content-Length: 1000000\r\n\r\n',
      );
      const start = Date.now();
      await closed;
      expect(Date.now() - start).toBeLessThan(1_000);
      expect(received).toMatch(/^HTTP\/1\.1 401 /);
      expect(received).toMatch(/connection: close/i);
    } finally {
      socket.destroy();
    }
    const metrics = await (await fetch(`${exporter.urls.metrics}/metrics`)).text();
    expect(metrics).toMatch(
      /twin_exporter_ingest_refused_total\{transport="otlp_http",reason="unauthenticated"\} 5/,
    );
  });
});

describe('OTLP/HTTP ingest over mutual TLS', () => {
  let dir: string;
  let exporter: RunningExporter;
  const file = (name: string) => readFileSync(join(dir, name));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'twinops-ingest-tls-'));
    const openssl = (...args: string[]) =>
      execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    const selfSigned = (name: string) =>
      openssl(
        'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
        '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`,
      ); // prettier-ignore
    const signed = (name: string, ca: string, ext: string) => {
      openssl(
        'req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`,
        '-keyout', `${name}.key`, '-out', `${name}.csr`,
      ); // prettier-ignore
      openssl(
        'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`,
        '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', `${name}.crt`,
      ); // prettier-ignore
    };
    selfSigned('server-ca');
    selfSigned('client-ca');
    selfSigned('other-ca');
    execFileSync('sh', ['-c', 'echo "subjectAltName=IP:127.0.0.1" > server.ext'], { cwd: dir });
    execFileSync('sh', ['-c', 'echo "extendedKeyUsage=clientAuth" > client.ext'], { cwd: dir });
    signed('server', 'server-ca', 'server.ext');
    signed('collector', 'client-ca', 'client.ext');
    signed('stranger', 'other-ca', 'client.ext');
    exporter = await startExporter(
      configFromDocument({
        server,
        state,
        ingest: {
          tls: {
            certFile: join(dir, 'server.crt'),
            keyFile: join(dir, 'server.key'),
            clientCaFile: join(dir, 'client-ca.crt'),
          },
        },
      }),
    );
  });
  afterAll(async () => {
    await exporter?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A POST over HTTPS with the given client certificate (or none): its status, or the error. */
  const post = (client?: string): Promise<number | Error> =>
    new Promise((resolve) => {
      const request = httpsRequest(
        `${exporter.urls.otlp}/v1/metrics`,
        {
          method: 'POST',
          ca: file('server-ca.crt'),
          ...(client ? { cert: file(`${client}.crt`), key: file(`${client}.key`) } : {}),
          headers: { 'Content-Type': 'application/json' },
          agent: false,
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on('error', resolve);
      request.end(emptyJson);
    });

  it('serves HTTPS and accepts a client certificate signed by the client CA', async () => {
    expect(exporter.urls.otlp).toMatch(/^https:\/\//);
    expect(await post('collector')).toBe(200);
  });

  it('refuses a client without a certificate, or with one the client CA did not sign, at TLS', async () => {
    for (const client of [undefined, 'stranger']) {
      const outcome = await post(client);
      expect(outcome).toBeInstanceOf(Error);
      expect((outcome as NodeJS.ErrnoException).code).toMatch(/ECONNRESET|EPROTO|ERR_SSL/);
    }
  });
});
