import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encode } from '../../exporter/test/ingest/otlp/testing.js';
import { run, startKafka, waitFor, type KafkaBroker } from '../bed/index.js';
import { repoRoot } from '../../tools/paths.js';
import { startExporterProcess, type ExporterProcess } from '../support/exporter-process.js';
import {
  existingSecrets,
  exporterContainer,
  onlyOne,
  podFilesystem,
  render,
  renderedConfig,
  resolveEnv,
  scenarios,
  type DeploymentObject,
  type Values,
} from './chart.js';

const exporterBin = join(repoRoot, 'exporter', 'bin', 'twinops-exporter.mjs');

/**
 * The rendered Pod, laid out on this machine: its volumes as temp folders, its env resolved. The
 * Secrets it names but the chart does not create hold `secretValue(secret, key)` (stand-ins by
 * default).
 */
async function renderedPod(
  values: Values,
  root: string,
  secretValue?: (secret: string, key: string) => string,
) {
  const objects = await render(values);
  const existing = existingSecrets(objects, secretValue);
  const deployment = onlyOne<DeploymentObject>(objects, 'Deployment');
  const container = exporterContainer(deployment);
  const fs = podFilesystem(deployment, objects, root, existing);
  const args = container.args ?? [];
  const configInPod = args[args.indexOf('--config') + 1];
  if (!configInPod) throw new Error('the container is not given --config');
  return {
    configPath: fs.hostPath(configInPod),
    // Paths inside the Pod (the data volume, TMPDIR, the TLS files) point at the temp folders.
    config: fs.rebase(renderedConfig(objects)),
    configInPod: renderedConfig(objects),
    env: fs.rebase(resolveEnv(container, objects, existing)),
    hostPath: fs.hostPath,
    container,
  };
}

const temps: string[] = [];
const running: ExporterProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((exporter) => exporter.stop()));
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const tempRoot = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'twinops-pod-'));
  temps.push(dir);
  return dir;
};

/** `twinops-exporter --check` with only the rendered environment (and PATH to find node). */
const check = (configPath: string, env: Record<string, string>) =>
  run(process.execPath, [exporterBin, '--check', '--config', configPath], {
    env: { PATH: process.env.PATH ?? '', ...env },
  });

describe("the exporter's own validation of the config the chart renders", () => {
  it.each(scenarios())('$name: accepted by twinops-exporter --check', async ({ values }) => {
    // The ConfigMap's file exactly as rendered (container paths and all), with the Pod's env.
    const pod = await renderedPod(values, tempRoot());
    await expect(check(pod.configPath, pod.env)).resolves.toMatchObject({
      stdout: expect.stringMatching(/^configuration OK/),
    });
  });

  it('kafka-secure: finds its TLS files in the mounted Secret and its SASL password in the env', async () => {
    const { values } = scenarios().find((s) => s.name === 'kafka-secure')!;
    const pod = await renderedPod(values, tempRoot());
    const tls = (pod.configInPod.ingest as { kafka: { tls: Record<string, unknown> } }).kafka.tls;
    // The Secret's keys, each at the path the config names (stand-in values name their key).
    expect(tls).toEqual({
      enabled: true,
      caFile: '/etc/twinops-kafka-tls/ca.crt',
      certFile: '/etc/twinops-kafka-tls/tls.crt',
      keyFile: '/etc/twinops-kafka-tls/tls.key',
    });
    for (const [file, key] of [
      ['caFile', 'ca.crt'],
      ['certFile', 'tls.crt'],
      ['keyFile', 'tls.key'],
    ] as const) {
      expect(readFileSync(pod.hostPath(tls[file] as string), 'utf8')).toBe(
        `stand-in ${key} of twinops-kafka-tls`,
      );
    }
    expect(pod.container.volumeMounts?.find((m) => m.name === 'kafka-tls')?.readOnly).toBe(true);
    expect(pod.env.TWINOPS_KAFKA_SASL_PASSWORD).toBe('stand-in password of twinops-kafka-sasl');

    // The env from the Secret is what lets the exporter start: without it, it names the variable.
    const { TWINOPS_KAFKA_SASL_PASSWORD: _password, ...withoutPassword } = pod.env;
    await expect(check(pod.configPath, withoutPassword)).rejects.toThrow(
      /exited with 2[\s\S]*TWINOPS_KAFKA_SASL_PASSWORD/,
    );
  });

  it('refuses, naming the key, a config from values the exporter would not start with', async () => {
    const pod = await renderedPod(
      { config: { sli: { freshness: { staleAfter: 'soon' } } } },
      tempRoot(),
    );
    await expect(check(pod.configPath, pod.env)).rejects.toThrow(
      /exited with 2[\s\S]*sli\.freshness\.staleAfter: must be a duration/,
    );
  });
});

describe('the exporter started with the config and environment the chart renders', () => {
  it.each(scenarios().filter((s) => s.values.mode !== 'kafka'))(
    '$name: becomes ready, writes its store on the data volume, takes the Secret’s tokens',
    async ({ values }) => {
      const pod = await renderedPod(values, tempRoot());
      // Outside Kubernetes only `server` differs: the Pod binds 0.0.0.0 on fixed ports in its own
      // network namespace, this machine needs free loopback ports (startExporterProcess sets them
      // and writes the file back to the same path). The test runner's own environment is
      // inherited under the rendered one.
      const exporter = await startExporterProcess(pod.config, {
        configPath: pod.configPath,
        env: pod.env,
      });
      running.push(exporter);
      const ready = await fetch(`${exporter.metricsUrl}/readyz`);
      expect(ready.status).toBe(200);

      const commands = (values.commands as { enabled?: boolean } | undefined)?.enabled;
      if (commands) {
        const tokens = pod.env.TWINOPS_API_TOKENS ?? '';
        const token = tokens.split(',')[0]!.split(':').slice(2).join(':');
        const authed = await fetch(`${exporter.apiUrl}/api/v1/commands`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(authed.status).toBe(200);
        const anonymous = await fetch(`${exporter.apiUrl}/api/v1/commands`);
        expect(anonymous.status).toBe(401);
      }

      await exporter.stop(); // SIGTERM: the exporter saves a last snapshot
      expect(existsSync(pod.hostPath('/var/lib/twinops/state.db'))).toBe(true);
      expect(existsSync(pod.hostPath('/var/lib/twinops/commands.db'))).toBe(Boolean(commands));
    },
  );
});

/**
 * The kafka-secure scenario against the test bed's broker, which takes only SASL (PLAIN) over TLS
 * with a self-signed certificate on its secure listener: the chart's Secret mount, file paths and
 * password variable, not just their shape, get the exporter consuming.
 */
describe('the exporter as the chart renders it for a secured Kafka (real broker)', () => {
  const password = 'chart-kafka-secret-0123456789';
  let broker: KafkaBroker;

  beforeAll(async () => {
    broker = await startKafka({
      secure: { users: { 'twinops-exporter': password } },
      topics: [{ topic: 'twin.telemetry.metrics', numPartitions: 1 }],
    });
  }, 180_000);
  afterAll(async () => {
    await broker?.stop();
  });

  it('consumes telemetry over SASL_SSL with the Secret’s CA, client certificate and password', async () => {
    const { values } = scenarios().find((s) => s.name === 'kafka-secure')!;
    const kafka = values.kafka as { sasl: object };
    const secure = {
      ...values,
      replicaCount: 1,
      // The bed's broker offers PLAIN only. Its own certificate and key stand in for the client's:
      // the exporter loads them at start (a wrong path or PEM stops it), the broker asks for none.
      kafka: {
        ...kafka,
        brokers: [broker.secure!.bootstrap],
        sasl: { ...kafka.sasl, mechanism: 'plain' },
      },
      config: {
        ingest: {
          kafka: {
            topics: [{ name: 'twin.telemetry.metrics', signal: 'metrics', encoding: 'otlp_proto' }],
          },
        },
      },
    };
    const tlsDir = dirname(broker.secure!.caFile);
    const files: Record<string, string> = {
      'ca.crt': broker.secure!.caFile,
      'tls.crt': join(tlsDir, 'cert.pem'),
      'tls.key': join(tlsDir, 'key.pem'),
    };
    const pod = await renderedPod(secure, tempRoot(), (secret, key) =>
      secret === 'twinops-kafka-sasl' ? password : readFileSync(files[key]!, 'utf8'),
    );
    const exporter = await startExporterProcess(pod.config, {
      configPath: pod.configPath,
      env: pod.env,
    });
    running.push(exporter);

    const producer = broker.client().producer();
    await producer.connect();
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const attribute = (key: string, value: string) => ({ key, value: { stringValue: value } });
    await producer.send({
      topic: 'twin.telemetry.metrics',
      messages: [
        {
          key: 'pump-1',
          value: Buffer.from(
            encode('metrics', 'otlp_proto', {
              resourceMetrics: [
                {
                  resource: {
                    attributes: [
                      attribute('twin.asset.id', 'pump-1'),
                      attribute('twin.asset.class', 'pump'),
                    ],
                  },
                  scopeMetrics: [
                    {
                      metrics: [
                        {
                          name: 'speed',
                          gauge: {
                            dataPoints: [
                              {
                                timeUnixNano: String(nowNs),
                                asDouble: 1000,
                                attributes: [attribute('twin.source', 'physical')],
                              },
                            ],
                          },
                        },
                      ],
                    },
                  ],
                },
              ],
            }),
          ),
        },
      ],
    });
    await producer.disconnect();
    await waitFor('the point consumed over SASL_SSL', async () => {
      const text = await (await fetch(`${exporter.metricsUrl}/metrics`)).text();
      return /^twin_points_total\{[^}]*\} 1$/m.test(text) ? true : undefined;
    });
  }, 120_000);
});

// Keeps the helper honest: a writer that ignores the data volume is caught by hostPath.
describe('the Pod filesystem stand-in', () => {
  it('refuses a path on the read-only root filesystem', async () => {
    const pod = await renderedPod({}, tempRoot());
    expect(() => pod.hostPath('/app/twinops-state.db')).toThrow(/read-only/);
    writeFileSync(pod.hostPath('/tmp/x'), 'ok');
  });
});
