import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { parse } from 'yaml';
import { durationExamples, parseDuration } from './duration.js';
import { roles, type Role } from '../model.js';
import type {
  CommandSpec,
  CommandsConfig,
  DivergenceRule,
  ExporterConfig,
  GrafanaIdTokenConfig,
  IngestAuthConfig,
  IngestHttpConfig,
  IngestTlsConfig,
  KafkaSaslConfig,
  KafkaTlsConfig,
  LogLevel,
  QuarantineConfig,
  ToleranceRule,
} from './types.js';

// Read at run time (not imported) so the compiled dist/ finds it beside src/ at the same depth.
const schema = JSON.parse(
  readFileSync(new URL('../../schemas/config.schema.json', import.meta.url), 'utf8'),
) as object;

const logLevels: readonly LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

/** Thrown with every problem found, each naming the key (or variable) at fault. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The configuration file as written: durations as text, every key optional. */
interface ConfigFile {
  server?: Partial<ExporterConfig['server']>;
  ingest?: Partial<
    Omit<ExporterConfig['ingest'], 'kafka' | 'retries' | 'http' | 'auth' | 'tls'>
  > & {
    retries?: { window?: string; maxRequests?: number };
    http?: {
      headersTimeout?: string;
      requestTimeout?: string;
      minBytesPerSecond?: number;
      minRateGrace?: string;
      keepAliveTimeout?: string;
      maxConnections?: number;
      maxConnectionsPerClient?: number;
      maxRequestsPerClient?: number;
    };
    auth?: Partial<IngestAuthConfig>;
    tls?: Partial<IngestTlsConfig>;
    kafka?: Partial<
      Omit<ExporterConfig['ingest']['kafka'], 'tls' | 'sasl' | 'sessionTimeoutMs'>
    > & {
      sessionTimeout?: string;
      tls?: Partial<KafkaTlsConfig>;
      sasl?: Partial<Omit<KafkaSaslConfig, 'password'>>;
    };
  };
  state?: Partial<Omit<ExporterConfig['state'], 'retentionMs' | 'snapshot' | 'quarantine'>> & {
    retention?: string;
    snapshot?: { path?: string; interval?: string };
    quarantine?: Partial<QuarantineConfig>;
  };
  sli?: {
    syncLatencyThresholdsSeconds?: number[];
    convergenceThresholdsSeconds?: number[];
    evaluationInterval?: string;
    freshness?: { staleAfter?: string; classes?: Record<string, { staleAfter: string }> };
    divergence?: {
      grace?: string;
      defaultTolerance?: ToleranceRule;
      rules?: (Omit<DivergenceRule, 'graceMs'> & { grace?: string })[];
    };
    prediction?: {
      matchWindow?: string;
      expireAfter?: string;
      rules?: ExporterConfig['sli']['prediction']['rules'];
    };
    vettedModels?: { name: string; version: string }[];
  };
  metrics?: { perAsset?: Partial<ExporterConfig['metrics']['perAsset']> };
  log?: Partial<ExporterConfig['log']>;
  tracing?: Partial<ExporterConfig['tracing']>;
  commands?: Partial<
    Omit<
      CommandsConfig,
      | 'approvalWithinMs'
      | 'maxStateAgeMs'
      | 'ackTimeoutMs'
      | 'convergenceTimeoutMs'
      | 'catalog'
      | 'auth'
    >
  > & {
    auth?: {
      tokens?: CommandsConfig['auth']['tokens'];
      grafanaProxy?: {
        roleMap?: Record<string, Role[]>;
        jwksUrl?: string;
        issuer?: string;
        audience?: string;
        jwksTimeout?: string;
      };
    };
    approvalWithin?: string;
    maxStateAge?: string;
    ackTimeout?: string;
    convergenceTimeout?: string;
    catalog?: Record<
      string,
      Record<
        string,
        Omit<CommandSpec, 'cooldownMs' | 'rateLimit' | 'envelope' | 'simulation'> &
          Partial<Pick<CommandSpec, 'envelope' | 'simulation'>> & {
            cooldown?: string;
            rateLimit?: { count: number; per: string };
          }
      >
    >;
  };
}

/** A settings block written in the file is on unless it says `enabled: false`. */
function onUnlessOff<T extends { enabled?: boolean }>(block: T | undefined): Partial<T> {
  return block ? { ...block, enabled: block.enabled ?? true } : {};
}

/** Grafana org roles → twinops roles, when the proxy secret is set and no map is configured. */
/** The role × risk matrix used when the config says nothing else. */
export const defaultCommandPolicy: Pick<
  CommandsConfig,
  'submit' | 'approve' | 'killSwitch' | 'retire' | 'approvalFor'
> = {
  submit: {
    low: ['operator', 'engineer', 'admin'],
    medium: ['operator', 'engineer', 'admin'],
    high: ['engineer', 'admin'],
  },
  approve: { low: ['admin'], medium: ['engineer', 'admin'], high: ['engineer', 'admin'] },
  killSwitch: ['admin'],
  retire: ['engineer', 'admin'],
  approvalFor: ['high'],
};

export const defaultGrafanaRoleMap: Record<string, Role[]> = {
  Viewer: ['viewer'],
  Editor: ['operator'],
  Admin: ['admin'],
};

/**
 * The quarantine's default bounds (`defaultConfig.state.quarantine`), named on their own because
 * the engine also fills them into a configuration stored by an earlier version.
 */
export const defaultQuarantine: QuarantineConfig = {
  maxClasses: 500,
  maxPropertiesPerClass: 1000,
  maxProperties: 10_000,
};

/** The embedded default: one process, OTLP/HTTP on the architecture's ports, no Kafka. */
export const defaultConfig: ExporterConfig = {
  server: { host: '0.0.0.0', otlpPort: 4318, metricsPort: 9464, apiPort: 8787 },
  ingest: {
    maxBodyBytes: 8 * 1024 * 1024,
    maxConcurrentRequests: 32,
    maxElementsPerRequest: 250_000,
    maxPointsPerRequest: 50_000,
    retryAfterSeconds: 1,
    retries: { windowMs: 600_000, maxRequests: 100_000 },
    http: {
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      minBytesPerSecond: 8 * 1024,
      minRateGraceMs: 5_000,
      keepAliveTimeoutMs: 30_000,
      maxConnections: 1024,
      maxConnectionsPerClient: 64,
      maxRequestsPerClient: 16,
    },
    auth: { enabled: false, tokens: [] },
    tls: { enabled: false },
    kafka: {
      enabled: false,
      brokers: ['127.0.0.1:9092'],
      clientId: 'twinops-exporter',
      groupId: 'twinops-exporter',
      sessionTimeoutMs: 10_000,
      topics: [
        { name: 'twin.telemetry.metrics', signal: 'metrics', encoding: 'otlp_proto' },
        { name: 'twin.telemetry.logs', signal: 'logs', encoding: 'otlp_proto' },
      ],
      tls: { enabled: false, rejectUnauthorized: true },
      sasl: { enabled: false, mechanism: 'plain', username: '' },
    },
  },
  state: {
    maxAssets: 1_000_000,
    maxPropertiesPerAsset: 64,
    maxPendingPredictions: 16,
    retentionMs: 24 * 3_600_000,
    historyLength: 32,
    snapshot: { path: 'twinops-state.db', intervalMs: 10_000 },
    declared: {},
    quarantine: defaultQuarantine,
  },
  sli: {
    syncLatencyThresholdsSeconds: [1, 5, 30],
    convergenceThresholdsSeconds: [10, 60, 300],
    evaluationIntervalMs: 5_000,
    freshness: { staleAfterMs: 60_000, classes: {} },
    divergence: { graceMs: 30_000, defaultTolerance: { kind: 'absolute', epsilon: 0 }, rules: [] },
    prediction: { matchWindowMs: 2_000, expireAfterMs: 300_000, rules: [] },
    vettedModels: [],
  },
  metrics: { perAsset: { enabled: false, maxAssets: 100 } },
  log: { level: 'info' },
  tracing: { otlpEndpoint: '', sampleRatio: 1 },
  commands: {
    enabled: false,
    ledgerPath: 'twinops-commands.db',
    devices: 'simulated',
    auth: { tokens: [], grafanaRoleMap: defaultGrafanaRoleMap },
    ...defaultCommandPolicy,
    approvalWithinMs: 600_000,
    maxStateAgeMs: 30_000,
    ackTimeoutMs: 30_000,
    convergenceTimeoutMs: 60_000,
    catalog: {},
  },
};

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validate = ajv.compile<ConfigFile>(schema);

/** `/sli/freshness/staleAfter` → `sli.freshness.staleAfter`, with ajv's message made plain. */
function describe(error: ErrorObject): string {
  const key = error.instancePath.slice(1).replaceAll('/', '.') || '(top level)';
  if (error.keyword === 'additionalProperties') {
    return `${key}: unknown key "${(error.params as { additionalProperty: string }).additionalProperty}"`;
  }
  if (error.keyword === 'pattern' && error.schemaPath.includes('duration')) {
    return `${key}: must be a duration such as ${durationExamples}`;
  }
  if (error.keyword === 'pattern' && error.schemaPath.includes('otlpEndpoint')) {
    return `${key}: must be empty or an http(s) URL such as http://otel-collector:4318/v1/traces`;
  }
  if (error.keyword === 'enum') {
    return `${key}: must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  }
  return `${key}: ${error.message ?? 'is invalid'}`;
}

/** Validates a parsed config document and applies the defaults. */
export function configFromDocument(document: unknown, source = 'config'): ExporterConfig {
  const file = document ?? {};
  if (!validate(file)) {
    // oneOf failures repeat each branch's complaint: keep one line per distinct problem.
    const problems = [
      ...new Set((validate.errors ?? []).filter((e) => e.keyword !== 'oneOf').map(describe)),
    ];
    throw new ConfigError(source, problems);
  }
  const d = defaultConfig;
  const duration = (text: string | undefined, fallback: number): number =>
    text === undefined ? fallback : parseDuration(text);
  const { server, ingest, state, sli, metrics, log, tracing, commands } = file;
  const dc = d.commands;
  return {
    server: { ...d.server, ...server },
    ingest: {
      ...d.ingest,
      ...ingest,
      retries: {
        windowMs: duration(ingest?.retries?.window, d.ingest.retries.windowMs),
        maxRequests: ingest?.retries?.maxRequests ?? d.ingest.retries.maxRequests,
      },
      http: ingestHttpFrom(ingest?.http, source),
      // Present in the file: on unless it says `enabled: false`.
      auth: { ...d.ingest.auth, ...onUnlessOff(ingest?.auth) },
      tls: { ...d.ingest.tls, ...onUnlessOff(ingest?.tls) },
      kafka: {
        ...d.ingest.kafka,
        ...ingest?.kafka,
        sessionTimeoutMs: duration(ingest?.kafka?.sessionTimeout, d.ingest.kafka.sessionTimeoutMs),
        // Present in the file: on unless it says `enabled: false`.
        tls: { ...d.ingest.kafka.tls, ...onUnlessOff(ingest?.kafka?.tls) },
        sasl: { ...d.ingest.kafka.sasl, ...onUnlessOff(ingest?.kafka?.sasl) },
      },
    },
    state: {
      maxAssets: state?.maxAssets ?? d.state.maxAssets,
      maxPropertiesPerAsset: state?.maxPropertiesPerAsset ?? d.state.maxPropertiesPerAsset,
      maxPendingPredictions: state?.maxPendingPredictions ?? d.state.maxPendingPredictions,
      retentionMs: duration(state?.retention, d.state.retentionMs),
      historyLength: state?.historyLength ?? d.state.historyLength,
      snapshot: {
        path: state?.snapshot?.path ?? d.state.snapshot.path,
        intervalMs: duration(state?.snapshot?.interval, d.state.snapshot.intervalMs),
      },
      declared: state?.declared ?? {},
      quarantine: { ...defaultQuarantine, ...state?.quarantine },
    },
    sli: {
      syncLatencyThresholdsSeconds:
        sli?.syncLatencyThresholdsSeconds ?? d.sli.syncLatencyThresholdsSeconds,
      convergenceThresholdsSeconds:
        sli?.convergenceThresholdsSeconds ?? d.sli.convergenceThresholdsSeconds,
      evaluationIntervalMs: duration(sli?.evaluationInterval, d.sli.evaluationIntervalMs),
      freshness: {
        staleAfterMs: duration(sli?.freshness?.staleAfter, d.sli.freshness.staleAfterMs),
        classes: Object.fromEntries(
          Object.entries(sli?.freshness?.classes ?? {}).map(([name, c]) => [
            name,
            { staleAfterMs: parseDuration(c.staleAfter) },
          ]),
        ),
      },
      divergence: {
        graceMs: duration(sli?.divergence?.grace, d.sli.divergence.graceMs),
        defaultTolerance: sli?.divergence?.defaultTolerance ?? d.sli.divergence.defaultTolerance,
        rules: (sli?.divergence?.rules ?? []).map(({ grace, ...rule }) =>
          grace === undefined ? rule : { ...rule, graceMs: parseDuration(grace) },
        ),
      },
      prediction: {
        matchWindowMs: duration(sli?.prediction?.matchWindow, d.sli.prediction.matchWindowMs),
        expireAfterMs: duration(sli?.prediction?.expireAfter, d.sli.prediction.expireAfterMs),
        rules: sli?.prediction?.rules ?? d.sli.prediction.rules,
      },
      vettedModels: sli?.vettedModels ?? d.sli.vettedModels,
    },
    metrics: { perAsset: { ...d.metrics.perAsset, ...metrics?.perAsset } },
    log: { ...d.log, ...log },
    tracing: { ...d.tracing, ...tracing },
    commands: {
      enabled: commands?.enabled ?? dc.enabled,
      ledgerPath: commands?.ledgerPath ?? dc.ledgerPath,
      devices: commands?.devices ?? dc.devices,
      auth: {
        tokens: commands?.auth?.tokens ?? [],
        grafanaRoleMap: commands?.auth?.grafanaProxy?.roleMap ?? defaultGrafanaRoleMap,
        ...grafanaIdTokenFrom(commands?.auth?.grafanaProxy, source),
      },
      submit: { ...dc.submit, ...commands?.submit },
      approve: { ...dc.approve, ...commands?.approve },
      killSwitch: commands?.killSwitch ?? dc.killSwitch,
      retire: commands?.retire ?? dc.retire,
      approvalFor: commands?.approvalFor ?? dc.approvalFor,
      approvalWithinMs: duration(commands?.approvalWithin, dc.approvalWithinMs),
      maxStateAgeMs: duration(commands?.maxStateAge, dc.maxStateAgeMs),
      ackTimeoutMs: duration(commands?.ackTimeout, dc.ackTimeoutMs),
      convergenceTimeoutMs: duration(commands?.convergenceTimeout, dc.convergenceTimeoutMs),
      catalog: Object.fromEntries(
        Object.entries(commands?.catalog ?? {}).map(([assetClass, specs]) => [
          assetClass,
          Object.fromEntries(
            Object.entries(specs).map(([name, { cooldown, rateLimit, ...spec }]) => [
              name,
              {
                ...spec,
                envelope: spec.envelope ?? {},
                simulation: spec.simulation ?? { kind: 'set' },
                ...(cooldown === undefined ? {} : { cooldownMs: parseDuration(cooldown) }),
                ...(rateLimit === undefined
                  ? {}
                  : { rateLimit: { count: rateLimit.count, perMs: parseDuration(rateLimit.per) } }),
              },
            ]),
          ),
        ]),
      ),
    },
  };
}

/** `ingest.http`: durations to milliseconds; a whole request cannot take less than its headers. */
function ingestHttpFrom(
  http: NonNullable<ConfigFile['ingest']>['http'],
  source: string,
): IngestHttpConfig {
  const d = defaultConfig.ingest.http;
  const ms = (text: string | undefined, fallback: number): number =>
    text === undefined ? fallback : Math.round(parseDuration(text));
  const result: IngestHttpConfig = {
    headersTimeoutMs: ms(http?.headersTimeout, d.headersTimeoutMs),
    requestTimeoutMs: ms(http?.requestTimeout, d.requestTimeoutMs),
    minBytesPerSecond: http?.minBytesPerSecond ?? d.minBytesPerSecond,
    minRateGraceMs: ms(http?.minRateGrace, d.minRateGraceMs),
    keepAliveTimeoutMs: ms(http?.keepAliveTimeout, d.keepAliveTimeoutMs),
    maxConnections: http?.maxConnections ?? d.maxConnections,
    maxConnectionsPerClient: http?.maxConnectionsPerClient ?? d.maxConnectionsPerClient,
    maxRequestsPerClient: http?.maxRequestsPerClient ?? d.maxRequestsPerClient,
  };
  const problems = Object.entries({
    headersTimeout: result.headersTimeoutMs,
    requestTimeout: result.requestTimeoutMs,
    keepAliveTimeout: result.keepAliveTimeoutMs,
  })
    .filter(([, value]) => value < 100)
    .map(([name]) => `ingest.http.${name}: must be at least 100ms`);
  if (result.headersTimeoutMs > result.requestTimeoutMs) {
    problems.push('ingest.http.headersTimeout: must not exceed ingest.http.requestTimeout');
  }
  if (result.minRateGraceMs >= result.requestTimeoutMs) {
    problems.push('ingest.http.minRateGrace: must be shorter than ingest.http.requestTimeout');
  }
  if (problems.length) throw new ConfigError(source, problems);
  return result;
}

/** Grafana signs ID tokens for 10 minutes; a JWKS slower than this is as good as down. */
export const defaultJwksTimeoutMs = 2_000;

/**
 * `commands.auth.grafanaProxy.{jwksUrl, issuer, audience, jwksTimeout}`: without `jwksUrl`,
 * `X-Grafana-Id` is ignored, so the other three alone would promise a check that never runs.
 */
function grafanaIdTokenFrom(
  proxy: { jwksUrl?: string; issuer?: string; audience?: string; jwksTimeout?: string } | undefined,
  source: string,
): { grafanaIdToken?: GrafanaIdTokenConfig } {
  const key = 'commands.auth.grafanaProxy';
  const { jwksUrl, issuer, audience, jwksTimeout } = proxy ?? {};
  if (jwksUrl === undefined) {
    const orphans = Object.entries({ issuer, audience, jwksTimeout })
      .filter(([, value]) => value !== undefined)
      .map(([name]) => `${key}.${name}: needs ${key}.jwksUrl (without it X-Grafana-Id is ignored)`);
    if (orphans.length) throw new ConfigError(source, orphans);
    return {};
  }
  if (!URL.canParse(jwksUrl)) {
    throw new ConfigError(source, [`${key}.jwksUrl: must be an http(s) URL`]);
  }
  const timeoutMs = jwksTimeout === undefined ? defaultJwksTimeoutMs : parseDuration(jwksTimeout);
  if (timeoutMs < 1 || timeoutMs > 60_000) {
    throw new ConfigError(source, [`${key}.jwksTimeout: must be between 1ms and 60s`]);
  }
  return {
    grafanaIdToken: {
      jwksUrl,
      ...(issuer === undefined ? {} : { issuer }),
      ...(audience === undefined ? {} : { audience }),
      timeoutMs,
    },
  };
}

/** Reads and validates a YAML config file (a YAML syntax error names its line). */
export function loadConfigFile(path: string): ExporterConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [`cannot read the file: ${(error as Error).message}`]);
  }
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new ConfigError(path, [`not valid YAML: ${(error as Error).message.split('\n')[0]}`]);
  }
  return configFromDocument(document, path);
}

/**
 * Addresses and secrets come from the environment in deployments (Helm, systemd): these
 * variables override the file. A bad value is an error naming the variable.
 */
export function applyEnvironment(config: ExporterConfig, env: NodeJS.ProcessEnv): ExporterConfig {
  const problems: string[] = [];
  const port = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0 || value > 65535) {
      problems.push(
        `${name}="${raw}" is not a port (an integer from 0 to 65535; 0 picks a free one)`,
      );
      return fallback;
    }
    return value;
  };
  const flag = (name: string, fallback: boolean): boolean => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    problems.push(`${name}="${raw}" must be true or false`);
    return fallback;
  };
  const brokers = env.TWINOPS_KAFKA_BROKERS?.split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers?.some((b) => !/^[^\s:]+:[0-9]+$/.test(b))) {
    problems.push(
      `TWINOPS_KAFKA_BROKERS="${env.TWINOPS_KAFKA_BROKERS}" must be host:port[,host:port…]`,
    );
  }
  const tokens = parseTokens(env.TWINOPS_API_TOKENS, problems);
  const sasl = {
    ...config.ingest.kafka.sasl,
    username: env.TWINOPS_KAFKA_SASL_USERNAME?.trim() || config.ingest.kafka.sasl.username,
    password: env.TWINOPS_KAFKA_SASL_PASSWORD || undefined,
  };
  if (sasl.enabled && !sasl.password) {
    problems.push('ingest.kafka.sasl is enabled: set its password in TWINOPS_KAFKA_SASL_PASSWORD');
  }
  if (sasl.enabled && !sasl.username) {
    problems.push(
      'ingest.kafka.sasl is enabled: set ingest.kafka.sasl.username or TWINOPS_KAFKA_SASL_USERNAME',
    );
  }
  // TWINOPS_INGEST_TOKEN="t1[,t2]" (two during a rotation): hashed at once, and ingest auth is on.
  const ingestTokens = (env.TWINOPS_INGEST_TOKEN ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map((token) => ({ sha256: createHash('sha256').update(token, 'utf8').digest('hex') }));
  const ingestAuth = {
    enabled: config.ingest.auth.enabled || ingestTokens.length > 0,
    tokens: [...config.ingest.auth.tokens, ...ingestTokens],
  };
  if (ingestAuth.enabled && ingestAuth.tokens.length === 0) {
    problems.push(
      'ingest.auth is enabled: list ingest.auth.tokens[].sha256 or set TWINOPS_INGEST_TOKEN',
    );
  }
  // The OpenTelemetry SDKs' own variable: a deployment that sets it for every service gets the
  // exporter's spans too. The full URL, used as given (as the SDKs do).
  // Not echoed when wrong: a URL may carry credentials.
  const tracesEndpoint =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || config.tracing.otlpEndpoint;
  if (tracesEndpoint && !/^https?:\/\/.+/.test(tracesEndpoint)) {
    problems.push(
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http(s) URL such as http://otel-collector:4318/v1/traces',
    );
  }
  const logLevel = env.TWINOPS_LOG_LEVEL?.trim() || config.log.level;
  if (!logLevels.includes(logLevel as LogLevel)) {
    problems.push(`TWINOPS_LOG_LEVEL="${logLevel}" must be one of ${logLevels.join(', ')}`);
  }
  const proxySecret = env.TWINOPS_PROXY_SECRET;
  const result: ExporterConfig = {
    ...config,
    commands: {
      ...config.commands,
      ledgerPath: env.TWINOPS_LEDGER_PATH ?? config.commands.ledgerPath,
      auth: {
        ...config.commands.auth,
        tokens: [...config.commands.auth.tokens, ...tokens],
        ...(proxySecret
          ? {
              grafanaProxy: {
                secret: proxySecret,
                roleMap: config.commands.auth.grafanaRoleMap ?? defaultGrafanaRoleMap,
                ...(config.commands.auth.grafanaIdToken
                  ? { idToken: config.commands.auth.grafanaIdToken }
                  : {}),
              },
            }
          : {}),
      },
    },
    server: {
      host: env.TWINOPS_HOST?.trim() || config.server.host,
      otlpPort: port('TWINOPS_OTLP_PORT', config.server.otlpPort),
      metricsPort: port('TWINOPS_METRICS_PORT', config.server.metricsPort),
      apiPort: port('TWINOPS_API_PORT', config.server.apiPort),
    },
    ingest: {
      ...config.ingest,
      auth: ingestAuth,
      kafka: {
        ...config.ingest.kafka,
        enabled: flag('TWINOPS_KAFKA_ENABLED', config.ingest.kafka.enabled),
        brokers: brokers?.length ? brokers : config.ingest.kafka.brokers,
        sasl,
      },
    },
    state: {
      ...config.state,
      snapshot: {
        ...config.state.snapshot,
        path: env.TWINOPS_SNAPSHOT_PATH ?? config.state.snapshot.path,
      },
    },
    log: { level: logLevel as LogLevel },
    tracing: { ...config.tracing, otlpEndpoint: tracesEndpoint },
  };
  if (problems.length) throw new ConfigError('the environment', problems);
  return result;
}

/**
 * `TWINOPS_API_TOKENS="alice:operator:TOKEN,bob:engineer+admin:TOKEN2"`: tokens are hashed at
 * once and only their SHA-256 digests are kept, so the configuration never holds a secret.
 */
function parseTokens(
  raw: string | undefined,
  problems: string[],
): CommandsConfig['auth']['tokens'] {
  if (!raw) return [];
  const tokens: CommandsConfig['auth']['tokens'] = [];
  raw.split(',').forEach((entry, index) => {
    const [user, roleList, ...rest] = entry.trim().split(':');
    const token = rest.join(':');
    const entryRoles = (roleList ?? '').split('+').filter(Boolean);
    const bad = entryRoles.filter((role) => !roles.includes(role as Role));
    if (!user || !token || entryRoles.length === 0 || bad.length) {
      // Never echo the entry: it holds a secret.
      problems.push(
        `TWINOPS_API_TOKENS entry ${index + 1} must be user:role[+role]:token with roles among ${roles.join(', ')}`,
      );
      return;
    }
    tokens.push({
      sha256: createHash('sha256').update(token).digest('hex'),
      user,
      roles: entryRoles as Role[],
    });
  });
  return tokens;
}
