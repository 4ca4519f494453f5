import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  applyEnvironment,
  configFromDocument,
  defaultConfig,
  loadConfigFile,
} from './index.js';

const example = fileURLToPath(new URL('../../config.example.yaml', import.meta.url));

function problemsOf(action: () => unknown): string[] {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('exporter configuration', () => {
  it('takes the defaults from an empty document', () => {
    expect(configFromDocument(null)).toEqual(defaultConfig);
    expect(configFromDocument({})).toEqual(defaultConfig);
  });

  it('accepts the commented example, which sits on the default ports', () => {
    const config = loadConfigFile(example);
    expect(config.server).toEqual(defaultConfig.server);
    expect(config.state.retentionMs).toBe(24 * 3_600_000);
    expect(config.sli.freshness.classes).toEqual({ pump: { staleAfterMs: 30_000 } });
    expect(config.sli.divergence.rules[4]).toEqual({
      property: 'config',
      tolerance: { kind: 'hash' },
      graceMs: 120_000,
    });
    expect(config.sli.prediction.rules).toHaveLength(2);
  });

  it('reads the command catalog, converting durations', () => {
    const config = loadConfigFile(example);
    expect(config.commands.enabled).toBe(false);
    expect(config.commands.catalog.conveyor?.setSpeed).toMatchObject({
      risk: 'medium',
      sets: { property: 'speed', param: 'mps' },
      envelope: { min: 0, max: 3, maxStep: 0.5 },
      simulation: { kind: 'ramp', overshootFraction: 0.05 },
      cooldownMs: 10_000,
      rateLimit: { count: 6, perMs: 60_000 },
    });
    expect(config.commands.ackTimeoutMs).toBe(30_000);
  });

  it('hashes API tokens from the environment and never echoes a bad entry', () => {
    const config = applyEnvironment(defaultConfig, {
      TWINOPS_API_TOKENS: 'alice:operator:s3cret,bob:engineer+admin:t0ken:with:colons',
      TWINOPS_PROXY_SECRET: 'proxy-secret',
    });
    expect(config.commands.auth.tokens).toEqual([
      {
        user: 'alice',
        roles: ['operator'],
        sha256: createHash('sha256').update('s3cret').digest('hex'),
      },
      {
        user: 'bob',
        roles: ['engineer', 'admin'],
        sha256: createHash('sha256').update('t0ken:with:colons').digest('hex'),
      },
    ]);
    expect(JSON.stringify(config.commands.auth.tokens)).not.toContain('s3cret');
    expect(config.commands.auth.grafanaProxy).toEqual({
      secret: 'proxy-secret',
      roleMap: { Viewer: ['viewer'], Editor: ['operator'], Admin: ['admin'] },
    });
    const problems = problemsOf(() =>
      applyEnvironment(defaultConfig, { TWINOPS_API_TOKENS: 'carol:pilot:hunter2' }),
    );
    expect(problems).toEqual([
      'TWINOPS_API_TOKENS entry 1 must be user:role[+role]:token with roles among viewer, operator, engineer, admin',
    ]);
    expect(problems.join()).not.toContain('hunter2');
  });

  it('verifies X-Grafana-Id only with a JWKS URL, and says so when the rest comes without it', () => {
    const document = {
      commands: {
        auth: {
          grafanaProxy: {
            jwksUrl: 'http://grafana:3000/api/signing-keys/keys',
            issuer: 'https://grafana.example/',
            audience: 'org:1',
          },
        },
      },
    };
    const config = applyEnvironment(configFromDocument(document), {
      TWINOPS_PROXY_SECRET: 'proxy-secret',
    });
    expect(config.commands.auth.grafanaProxy?.idToken).toEqual({
      jwksUrl: 'http://grafana:3000/api/signing-keys/keys',
      issuer: 'https://grafana.example/',
      audience: 'org:1',
      timeoutMs: 2_000,
    });
    const timed = {
      commands: { auth: { grafanaProxy: { jwksUrl: 'https://g/k', jwksTimeout: '500ms' } } },
    };
    expect(configFromDocument(timed).commands.auth.grafanaIdToken?.timeoutMs).toBe(500);
    expect(
      applyEnvironment(defaultConfig, { TWINOPS_PROXY_SECRET: 's' }).commands.auth.grafanaProxy,
    ).not.toHaveProperty('idToken');
    expect(
      problemsOf(() =>
        configFromDocument({ commands: { auth: { grafanaProxy: { issuer: 'https://g/' } } } }),
      ),
    ).toEqual([
      'commands.auth.grafanaProxy.issuer: needs commands.auth.grafanaProxy.jwksUrl (without it X-Grafana-Id is ignored)',
    ]);
    expect(
      problemsOf(() =>
        configFromDocument({
          commands: { auth: { grafanaProxy: { jwksUrl: 'grafana:3000/keys' } } },
        }),
      ),
    ).toEqual(['commands.auth.grafanaProxy.jwksUrl: must match pattern "^https?://[^\\s]+$"']);
    expect(
      problemsOf(() =>
        configFromDocument({
          commands: { auth: { grafanaProxy: { roleMap: { Owner: ['admin'] } } } },
        }),
      ),
    ).toContain('commands.auth.grafanaProxy.roleMap: must be one of None, Viewer, Editor, Admin');
  });

  it('converts durations', () => {
    const config = configFromDocument({
      sli: { evaluationInterval: '500ms', prediction: { expireAfter: '1m30s' } },
    });
    expect(config.sli.evaluationIntervalMs).toBe(500);
    expect(config.sli.prediction.expireAfterMs).toBe(90_000);
    // One grammar, Prometheus's: no decimals, units largest first and once each.
    for (const text of ['1.5m', '30s1m', '5m5m', '']) {
      expect(problemsOf(() => configFromDocument({ state: { retention: text } }))).toEqual([
        'state.retention: must be a duration such as 500ms, 30s, 5m, 1h30m or 30d',
      ]);
    }
  });

  it('names every bad key with what is wrong', () => {
    const problems = problemsOf(() =>
      configFromDocument({
        server: { otlpPort: 70000, color: 'blue' },
        state: { retention: 'forever' },
        sli: { divergence: { defaultTolerance: { kind: 'fuzzy' } } },
        ingest: { kafka: { topics: [{ name: 'x', signal: 'traces' }] } },
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        'server.otlpPort: must be <= 65535',
        'server: unknown key "color"',
        'state.retention: must be a duration such as 500ms, 30s, 5m, 1h30m or 30d',
        'ingest.kafka.topics.0.signal: must be one of metrics, logs',
      ]),
    );
    expect(problems.some((p) => p.startsWith('sli.divergence.defaultTolerance'))).toBe(true);
  });

  it('reads the OTLP/HTTP limits, ingest auth and TLS, naming bad values', () => {
    const config = configFromDocument({
      ingest: {
        http: { headersTimeout: '2s', requestTimeout: '20s', minRateGrace: '1s500ms' },
        tls: { certFile: '/tls/cert.pem', keyFile: '/tls/key.pem', clientCaFile: '/tls/ca.pem' },
      },
    });
    expect(config.ingest.http).toMatchObject({
      headersTimeoutMs: 2_000,
      requestTimeoutMs: 20_000,
      minRateGraceMs: 1_500,
      maxConnectionsPerClient: 64,
    });
    expect(config.ingest.tls).toMatchObject({ enabled: true, clientCaFile: '/tls/ca.pem' });
    expect(config.ingest.auth.enabled).toBe(false);

    expect(
      problemsOf(() =>
        configFromDocument({
          ingest: {
            http: { headersTimeout: '-5s', maxConnectionsPerClient: 0 },
            tls: { certFile: '/tls/cert.pem' },
          },
        }),
      ),
    ).toEqual(
      expect.arrayContaining([
        'ingest.http.headersTimeout: must be a duration such as 500ms, 30s, 5m, 1h30m or 30d',
        'ingest.http.maxConnectionsPerClient: must be >= 1',
        "ingest.tls: must have required property 'keyFile'",
      ]),
    );
    expect(
      problemsOf(() =>
        configFromDocument({
          ingest: { http: { requestTimeout: '0s', headersTimeout: '40s', minRateGrace: '1m' } },
        }),
      ),
    ).toEqual([
      'ingest.http.requestTimeout: must be at least 100ms',
      'ingest.http.headersTimeout: must not exceed ingest.http.requestTimeout',
      'ingest.http.minRateGrace: must be shorter than ingest.http.requestTimeout',
    ]);
  });

  it('turns ingest auth on with TWINOPS_INGEST_TOKEN, keeping only digests', () => {
    const config = applyEnvironment(configFromDocument({}), {
      TWINOPS_INGEST_TOKEN: 'ingest-secret, next-secret',
    });
    expect(config.ingest.auth.enabled).toBe(true);
    expect(config.ingest.auth.tokens).toEqual([
      { sha256: createHash('sha256').update('ingest-secret').digest('hex') },
      { sha256: createHash('sha256').update('next-secret').digest('hex') },
    ]);
    expect(JSON.stringify(config)).not.toContain('ingest-secret');
    expect(
      problemsOf(() => applyEnvironment(configFromDocument({ ingest: { auth: {} } }), {})),
    ).toEqual([
      'ingest.auth is enabled: list ingest.auth.tokens[].sha256 or set TWINOPS_INGEST_TOKEN',
    ]);
    expect(
      problemsOf(() => configFromDocument({ ingest: { auth: { tokens: [{ sha256: 'abc' }] } } })),
    ).toEqual(['ingest.auth.tokens.0.sha256: must match pattern "^[0-9a-fA-F]{64}$"']);
  });

  it('reports a YAML syntax error and a missing file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'twinops-config-'));
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'server:\n  host: [unclosed\n');
    expect(problemsOf(() => loadConfigFile(broken))[0]).toMatch(/^not valid YAML/);
    expect(problemsOf(() => loadConfigFile(join(dir, 'absent.yaml')))[0]).toMatch(
      /^cannot read the file/,
    );
  });

  it('lets the environment override addresses, naming a bad variable', () => {
    const config = applyEnvironment(defaultConfig, {
      TWINOPS_HOST: '127.0.0.1',
      TWINOPS_OTLP_PORT: '14318',
      TWINOPS_KAFKA_ENABLED: 'true',
      TWINOPS_KAFKA_BROKERS: 'k1:9092, k2:9092',
      TWINOPS_SNAPSHOT_PATH: ':memory:',
    });
    expect(config.server).toMatchObject({ host: '127.0.0.1', otlpPort: 14318, metricsPort: 9464 });
    expect(config.ingest.kafka).toMatchObject({ enabled: true, brokers: ['k1:9092', 'k2:9092'] });
    expect(config.state.snapshot.path).toBe(':memory:');
    expect(
      problemsOf(() =>
        applyEnvironment(defaultConfig, { TWINOPS_API_PORT: 'x', TWINOPS_KAFKA_ENABLED: 'yes' }),
      ),
    ).toEqual([
      'TWINOPS_API_PORT="x" is not a port (an integer from 0 to 65535; 0 picks a free one)',
      'TWINOPS_KAFKA_ENABLED="yes" must be true or false',
    ]);
  });

  it('logs at info unless log.level or TWINOPS_LOG_LEVEL says otherwise', () => {
    expect(defaultConfig.log).toEqual({ level: 'info' });
    const file = configFromDocument({ log: { level: 'warn' } });
    expect(file.log).toEqual({ level: 'warn' });
    expect(applyEnvironment(file, {}).log).toEqual({ level: 'warn' });
    expect(applyEnvironment(file, { TWINOPS_LOG_LEVEL: 'debug' }).log).toEqual({ level: 'debug' });
    expect(problemsOf(() => configFromDocument({ log: { level: 'verbose' } }))).toEqual([
      'log.level: must be one of fatal, error, warn, info, debug, trace, silent',
    ]);
    expect(problemsOf(() => applyEnvironment(file, { TWINOPS_LOG_LEVEL: 'loud' }))).toEqual([
      'TWINOPS_LOG_LEVEL="loud" must be one of fatal, error, warn, info, debug, trace, silent',
    ]);
  });

  it('keeps traces in the process unless an OTLP endpoint is given, in the file or the environment', () => {
    expect(defaultConfig.tracing).toEqual({ otlpEndpoint: '', sampleRatio: 1 });
    const file = configFromDocument({
      tracing: { otlpEndpoint: 'http://collector:4318/v1/traces', sampleRatio: 0.25 },
    });
    expect(file.tracing).toEqual({
      otlpEndpoint: 'http://collector:4318/v1/traces',
      sampleRatio: 0.25,
    });
    const env = { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example:4318/v1/traces' };
    expect(applyEnvironment(file, env).tracing).toEqual({
      otlpEndpoint: 'https://traces.example:4318/v1/traces',
      sampleRatio: 0.25,
    });
    expect(applyEnvironment(file, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' }).tracing).toEqual(
      file.tracing,
    );
    expect(
      problemsOf(() =>
        configFromDocument({ tracing: { otlpEndpoint: 'collector:4318', sampleRatio: 2 } }),
      ),
    ).toEqual([
      'tracing.otlpEndpoint: must be empty or an http(s) URL such as http://otel-collector:4318/v1/traces',
      'tracing.sampleRatio: must be <= 1',
    ]);
    // A URL may carry credentials: a bad one is named, never echoed.
    const problems = problemsOf(() =>
      applyEnvironment(defaultConfig, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'user:s3cret@host' }),
    );
    expect(problems).toEqual([
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http(s) URL such as http://otel-collector:4318/v1/traces',
    ]);
  });

  describe('Kafka TLS and SASL', () => {
    const secured = configFromDocument({
      ingest: {
        kafka: {
          enabled: true,
          tls: { caFile: '/etc/twinops/kafka-ca.pem' },
          sasl: { mechanism: 'scram-sha-512', username: 'twinops' },
        },
      },
    });

    it('switches a block on by writing it, and takes the password only from the environment', () => {
      expect(secured.ingest.kafka.tls).toEqual({
        enabled: true,
        caFile: '/etc/twinops/kafka-ca.pem',
        rejectUnauthorized: true,
      });
      expect(secured.ingest.kafka.sasl).toMatchObject({ enabled: true, username: 'twinops' });
      const config = applyEnvironment(secured, { TWINOPS_KAFKA_SASL_PASSWORD: 's3cret' });
      expect(config.ingest.kafka.sasl).toEqual({
        enabled: true,
        mechanism: 'scram-sha-512',
        username: 'twinops',
        password: 's3cret',
      });
      expect(
        configFromDocument({ ingest: { kafka: { tls: { enabled: false } } } }).ingest.kafka.tls
          .enabled,
      ).toBe(false);
    });

    it('refuses SASL without a password, and a password in the file', () => {
      expect(problemsOf(() => applyEnvironment(secured, {}))).toEqual([
        'ingest.kafka.sasl is enabled: set its password in TWINOPS_KAFKA_SASL_PASSWORD',
      ]);
      const problems = problemsOf(() =>
        configFromDocument({
          ingest: { kafka: { sasl: { mechanism: 'plain', username: 'u', password: 'p' } } },
        }),
      );
      expect(problems.join('\n')).toMatch(/ingest\.kafka\.sasl.*password/);
    });

    it('refuses a client certificate without its key, naming both', () => {
      const problems = problemsOf(() =>
        configFromDocument({ ingest: { kafka: { tls: { certFile: '/c.pem' } } } }),
      );
      expect(problems.join('\n')).toMatch(/ingest\.kafka\.tls.*keyFile/);
    });
  });
});
