import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { KubernetesObject } from '../bed/index.js';
import {
  byKind,
  chartDir,
  exporterContainer,
  helmLint,
  onlyOne,
  render,
  renderNotes,
  renderedConfig,
  resolveEnv,
  scenarios,
  schemaProblems,
  type DeploymentObject,
  type Values,
} from './chart.js';
import { filesOf } from './chart-files.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const everything = scenarios().find((s) => s.name === 'everything')!;

describe('rules and dashboards in the chart (a copy carrying the fixtures)', () => {
  let dir: string;
  let chart: string;
  const ruleFixture = join(fixtures, 'rules', 'twinops-fixture.yaml');
  const dashboardFixture = join(fixtures, 'dashboards', 'twinops-fixture.json');

  beforeAll(() => {
    // A temporary copy of the chart whose files/ holds exactly the fixtures, so the rendering is
    // proven whatever alerts/ and dashboards/ have generated so far.
    dir = mkdtempSync(join(tmpdir(), 'twinops-chart-'));
    chart = join(dir, 'twinops');
    cpSync(chartDir, chart, { recursive: true });
    rmSync(join(chart, 'files'), { recursive: true, force: true });
    for (const sub of ['rules', 'dashboards']) {
      cpSync(join(fixtures, sub), join(chart, 'files', sub), { recursive: true });
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lints strictly with everything on', async () => {
    await expect(helmLint(chart, everything.file)).resolves.toMatch(/0 chart\(s\) failed/);
  });

  it('carries the rule groups verbatim in a PrometheusRule (Prometheus templates untouched)', async () => {
    const objects = await render(everything.values, chart);
    expect(schemaProblems(objects)).toEqual([]);
    const rule = onlyOne<KubernetesObject & { spec: { groups: unknown[] } }>(objects, 'PrometheusRule');
    const expected = parse(readFileSync(ruleFixture, 'utf8')) as { groups: unknown[] };
    expect(rule.spec.groups).toEqual(expected.groups);
    expect(JSON.stringify(rule.spec.groups)).toContain('{{ $labels.asset_class }}');
    expect(rule.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
  });

  it('puts each dashboard in a ConfigMap labelled for the Grafana sidecar', async () => {
    const objects = await render(everything.values, chart);
    const dashboards = byKind<KubernetesObject & { data: Record<string, string> }>(
      objects,
      'ConfigMap',
    ).filter((c) => c.metadata.labels?.grafana_dashboard === '1');
    expect(dashboards).toHaveLength(filesOf(join(chart, 'files', 'dashboards'), '.json').length);
    expect((dashboards[0]!.metadata as { annotations?: object }).annotations).toEqual({ grafana_folder: 'twinops' });
    expect(JSON.parse(dashboards[0]!.data['twinops-fixture.json']!)).toEqual(
      JSON.parse(readFileSync(dashboardFixture, 'utf8')),
    );
  });

  it('takes the sidecar label name and value and the namespace from values', async () => {
    const objects = await render(
      {
        dashboards: {
          enabled: true,
          label: 'grafana.com/dashboard',
          labelValue: 'twinops',
          namespace: 'grafana',
        },
      },
      chart,
    );
    const [dashboard] = byKind(objects, 'ConfigMap').filter(
      (c) => c.metadata.labels?.['grafana.com/dashboard'] === 'twinops',
    );
    expect(dashboard?.metadata.namespace).toBe('grafana');
  });

  it('renders neither rules nor dashboards when they are off, even though the chart has them', async () => {
    const objects = await render(
      { ...everything.values, prometheusRule: { enabled: false }, dashboards: { enabled: false } },
      chart,
    );
    expect(byKind(objects, 'PrometheusRule')).toHaveLength(0);
    // The chart's own ConfigMaps (everything's extraManifests add two of the user's).
    const own = byKind(objects, 'ConfigMap').filter(
      (c) => c.metadata.labels?.['app.kubernetes.io/part-of'] === 'twinops',
    );
    expect(own.map((c) => c.metadata.name)).toEqual(['twin-twinops']);
  });
});

describe('the ServiceMonitor', () => {
  it('gives the scraped series the job the rules carried by the chart (and the fixture) select', async () => {
    const objects = await render({ serviceMonitor: { enabled: true } });
    const monitor = onlyOne<
      KubernetesObject & { spec: { endpoints: { relabelings: { targetLabel: string; replacement: string }[] }[] } }
    >(objects, 'ServiceMonitor');
    const job = monitor.spec.endpoints[0]!.relabelings.find((r) => r.targetLabel === 'job')!.replacement;
    const ruleFiles = [
      ...['rules', 'slo-rules'].flatMap((sub) =>
        filesOf(join(chartDir, 'files', sub), '.yaml').map((f) => join(chartDir, 'files', sub, f)),
      ),
      join(fixtures, 'rules', 'twinops-fixture.yaml'),
    ];
    const selected = ruleFiles.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/job="([^"]+)"/g)].map((m) => m[1]),
    );
    expect(selected.length).toBeGreaterThan(0);
    expect(new Set(selected)).toEqual(new Set([job]));
  });
});

describe('secrets of the command API', () => {
  it('go from the chart’s Secret into the environment, never into the ConfigMap', async () => {
    const objects = await render(everything.values);
    const secret = onlyOne(objects, 'Secret');
    const container = exporterContainer(onlyOne<DeploymentObject>(objects, 'Deployment'));
    const env = resolveEnv(container, objects);
    expect(env.TWINOPS_API_TOKENS).toBe(
      'alice:operator:ci-token-alice-0123456789,bob:engineer+admin:ci-token-bob-0123456789',
    );
    expect(env.TWINOPS_PROXY_SECRET).toBe('ci-proxy-secret-0123456789');
    for (const name of ['TWINOPS_API_TOKENS', 'TWINOPS_PROXY_SECRET']) {
      const variable = container.env?.find((e) => e.name === name);
      expect(variable?.value).toBeUndefined();
      expect(variable?.valueFrom?.secretKeyRef?.name).toBe(secret.metadata.name);
    }
  });

  it('come from an existing Secret when one is named (the chart then creates none)', async () => {
    const objects = await render({
      commands: { enabled: true, auth: { existingSecret: 'twinops-api' } },
    });
    expect(byKind(objects, 'Secret')).toHaveLength(0);
    const container = exporterContainer(onlyOne<DeploymentObject>(objects, 'Deployment'));
    const refs = container.env?.filter((e) => e.valueFrom?.secretKeyRef?.name === 'twinops-api');
    expect(refs?.map((e) => [e.name, e.valueFrom?.secretKeyRef?.optional])).toEqual([
      ['TWINOPS_API_TOKENS', true],
      ['TWINOPS_PROXY_SECRET', true],
    ]);
  });

  it('are not rendered at all while commands are off', async () => {
    const objects = await render({
      commands: { enabled: false, auth: { tokens: [{ user: 'a', roles: ['admin'], token: 'x'.repeat(20) }] } },
    });
    expect(byKind(objects, 'Secret')).toHaveLength(0);
    const container = exporterContainer(onlyOne<DeploymentObject>(objects, 'Deployment'));
    expect(container.env?.map((e) => e.name)).toEqual(['TMPDIR']);
  });
});

describe('Kafka TLS and SASL', () => {
  const tlsOf = async (values: Values) => {
    const objects = await render(values);
    const deployment = onlyOne<DeploymentObject>(objects, 'Deployment');
    return {
      config: (renderedConfig(objects).ingest as { kafka: Record<string, unknown> }).kafka,
      volume: deployment.spec.template.spec.volumes?.find((v) => v.name === 'kafka-tls'),
      mount: exporterContainer(deployment).volumeMounts?.find((m) => m.name === 'kafka-tls'),
      env: exporterContainer(deployment).env ?? [],
    };
  };

  it('are not in the config while off', async () => {
    const { config, volume, env } = await tlsOf({ mode: 'kafka' });
    expect(config).not.toHaveProperty('tls');
    expect(config).not.toHaveProperty('sasl');
    expect(volume).toBeUndefined();
    expect(env.map((e) => e.name)).toEqual(['TMPDIR']);
  });

  it('TLS without a Secret: nothing mounted, the exporter trusts the public CAs Node ships', async () => {
    const { config, volume, mount } = await tlsOf({ mode: 'kafka', kafka: { tls: { enabled: true } } });
    expect(config.tls).toEqual({ enabled: true });
    expect([volume, mount]).toEqual([undefined, undefined]);
  });

  it('TLS with a CA only (not mutual): only the CA key is mounted, under its configured name', async () => {
    const { config, volume } = await tlsOf({
      mode: 'kafka',
      kafka: { tls: { enabled: true, existingSecret: 'kafka-ca', caKey: 'root.pem', certKey: 'c' } },
    });
    expect(config.tls).toEqual({ enabled: true, caFile: '/etc/twinops-kafka-tls/root.pem' });
    expect(volume?.secret).toMatchObject({
      secretName: 'kafka-ca',
      items: [{ key: 'root.pem', path: 'root.pem' }],
    });
  });

  it('mutual TLS: the certificate and key under the configured key names', async () => {
    const { config, volume } = await tlsOf({
      mode: 'kafka',
      kafka: {
        tls: { enabled: true, existingSecret: 'kafka-client', mutual: true, certKey: 'client.pem', keyKey: 'client-key.pem' },
      },
    });
    expect(config.tls).toEqual({
      enabled: true,
      caFile: '/etc/twinops-kafka-tls/ca.crt',
      certFile: '/etc/twinops-kafka-tls/client.pem',
      keyFile: '/etc/twinops-kafka-tls/client-key.pem',
    });
    expect(volume?.secret?.items?.map((i) => i.key)).toEqual(['ca.crt', 'client.pem', 'client-key.pem']);
  });

  it('SASL: mechanism and user in the config, the password only from the Secret (required)', async () => {
    const { config, env } = await tlsOf({
      mode: 'kafka',
      kafka: { sasl: { enabled: true, mechanism: 'plain', username: 'ingest', existingSecret: 'kafka-user', passwordKey: 'pw' } },
    });
    expect(config.sasl).toEqual({ enabled: true, mechanism: 'plain', username: 'ingest' });
    expect(env.find((e) => e.name === 'TWINOPS_KAFKA_SASL_PASSWORD')).toEqual({
      name: 'TWINOPS_KAFKA_SASL_PASSWORD',
      valueFrom: { secretKeyRef: { name: 'kafka-user', key: 'pw' } },
    });
  });

  it('are allowed in embedded mode when commands go to devices over Kafka', async () => {
    const values = {
      commands: { enabled: true, auth: { existingSecret: 'api' } },
      config: { commands: { devices: 'kafka' } },
      kafka: {
        tls: { enabled: true, existingSecret: 'kafka-ca' },
        sasl: { enabled: true, username: 'commands', existingSecret: 'kafka-user' },
      },
    };
    const objects = await render(values);
    expect(schemaProblems(objects)).toEqual([]);
    const { config } = await tlsOf(values);
    expect(config).toMatchObject({ enabled: false, tls: { enabled: true }, sasl: { enabled: true } });
  });

  it('are summed up in NOTES.txt, with the gateway pipeline’s gap', async () => {
    const notes = await renderNotes(scenarios().find((s) => s.name === 'kafka-secure')!.values);
    expect(notes).toContain(
      'TLS:  on, trusting ca.crt from the Secret "twinops-kafka-tls" (mounted at /etc/twinops-kafka-tls)',
    );
    expect(notes).toContain('client certificate tls.crt and key tls.key from the same Secret (mutual TLS)');
    expect(notes).toContain(
      'SASL: scram-sha-512 as "twinops-exporter", the password from the Secret "twinops-kafka-sasl" (key password)',
    );
    expect(notes).toMatch(/pipelines\/gateway.yaml has no TLS or SASL settings yet/);
    expect(await renderNotes({ mode: 'kafka' })).not.toContain('Kafka security');
  });

  it('warn in NOTES.txt when SASL plain would send the password without TLS', async () => {
    const sasl = { enabled: true, username: 'u', existingSecret: 's' };
    const warning = /WARNING: SASL plain without TLS sends the password to the brokers in clear text/;
    expect(await renderNotes({ mode: 'kafka', kafka: { sasl: { ...sasl, mechanism: 'plain' } } })).toMatch(warning);
    expect(
      await renderNotes({ mode: 'kafka', kafka: { tls: { enabled: true }, sasl: { ...sasl, mechanism: 'plain' } } }),
    ).not.toMatch(warning);
  });
});

describe('values that cannot work are refused at render, with the reason', () => {
  it.each([
    [{ replicaCount: 2 }, /mode is embedded, which runs exactly one replica/],
    [
      { mode: 'kafka', replicaCount: 2, commands: { enabled: true } },
      /commands.enabled needs a single replica/,
    ],
    // Kafka security for a release that never talks to Kafka is a mistake, not a no-op.
    [{ kafka: { tls: { enabled: true } } }, /kafka.tls.enabled, but this release does not talk to Kafka/],
    [
      { kafka: { sasl: { enabled: true, username: 'u', existingSecret: 's' } } },
      /kafka.sasl.enabled, but this release does not talk to Kafka/,
    ],
    [
      { commands: { enabled: true }, kafka: { tls: { enabled: true } } },
      /kafka.tls.enabled, but this release does not talk to Kafka/,
    ],
    [
      { mode: 'kafka', config: { ingest: { kafka: { tls: { enabled: true } } } } },
      /config.ingest.kafka.tls \(set by kafka.tls.\*\) is managed by the chart/,
    ],
    [
      { mode: 'kafka', config: { ingest: { kafka: { sasl: { mechanism: 'plain', username: 'u' } } } } },
      /config.ingest.kafka.sasl .* is managed by the chart/,
    ],
    [{ config: { server: { apiPort: 1 } } }, /config.server \(set by ports.\*\) is managed by the chart/],
    [
      { config: { state: { snapshot: { path: '/x.db' } } } },
      /config.state.snapshot.path .* is managed by the chart/,
    ],
    [
      { commands: { auth: { existingSecret: 's', proxySecret: 'p' } } },
      /either existingSecret or tokens\/proxySecret/,
    ],
  ])('%j', async (values, message) => {
    await expect(render(values)).rejects.toThrow(message);
  });

  it.each([
    [{ mode: 'cluster' }, /mode/],
    [{ ports: { otlp: 'http' } }, /ports.otlp|otlp/],
    [{ replicas: 3 }, /additional properties 'replicas' not allowed|replicas/],
    [
      { commands: { auth: { tokens: [{ user: 'a', roles: ['root'], token: 'x'.repeat(20) }] } } },
      /roles/,
    ],
    [{ kafka: { brokers: ['kafka'] } }, /brokers/],
    [{ mode: 'kafka', kafka: { sasl: { mechanism: 'gssapi' } } }, /sasl\/mechanism/],
    [
      { mode: 'kafka', kafka: { sasl: { enabled: true, username: 'u' } } },
      /sasl\/existingSecret': minLength/,
    ],
    [
      { mode: 'kafka', kafka: { sasl: { enabled: true, existingSecret: 's' } } },
      /sasl\/username': minLength/,
    ],
    // No value of the chart can hold the SASL password, so none can reach a ConfigMap.
    [{ kafka: { sasl: { password: 'hunter2' } } }, /additional properties 'password' not allowed/],
    [
      { extraEnv: [{ name: 'TWINOPS_KAFKA_SASL_PASSWORD', value: 'hunter2' }] },
      /extraEnv\/0\/name/,
    ],
    [
      { mode: 'kafka', kafka: { tls: { enabled: true, mutual: true } } },
      /tls\/existingSecret': minLength/,
    ],
  ])('schema: %j', async (values, message) => {
    await expect(render(values)).rejects.toThrow(message);
  });
});

describe('the offline schema validation itself', () => {
  it('names the object and the field of an invalid one', async () => {
    const objects = await render({});
    const deployment = structuredClone(onlyOne<DeploymentObject>(objects, 'Deployment'));
    (exporterContainer(deployment).ports![0] as { containerPort: unknown }).containerPort = 'otlp';
    expect(schemaProblems([deployment])).toEqual([
      expect.stringMatching(/^Deployment\/twin-twinops: .*containers\/0\/ports\/0\/containerPort must be integer/),
    ]);
  });
});

describe('NOTES.txt', () => {
  it('says how to reach the embedded exporter and wire the direct pipeline to it', async () => {
    const notes = await renderNotes({});
    expect(notes).toContain('http://twin-twinops.twinops.svc:4318/v1/metrics');
    expect(notes).toContain('http://twin-twinops.twinops.svc:9464/metrics');
    expect(notes).toContain('kubectl -n twinops port-forward svc/twin-twinops 8787 9464');
    expect(notes).toContain('pipelines/direct.yaml');
    expect(notes).toContain('TWINOPS_EXPORTER_ENDPOINT=http://twin-twinops.twinops.svc:4318');
  });

  it('points Kafka mode at the gateway, its brokers and the consumer group', async () => {
    const notes = await renderNotes(scenarios().find((s) => s.name === 'kafka')!.values);
    expect(notes).toContain(
      'pipelines/gateway.yaml with TWINOPS_KAFKA_BROKERS=kafka-0.kafka-headless:9092,kafka-1.kafka-headless:9092',
    );
    expect(notes).toContain('consumer group\n  "twinops-exporter"');
  });

  it('warns when rules or dashboards are on but the chart carries none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'twinops-chart-'));
    try {
      const chart = join(dir, 'twinops');
      cpSync(chartDir, chart, { recursive: true });
      rmSync(join(chart, 'files'), { recursive: true, force: true });
      const notes = await renderNotes(
        { prometheusRule: { enabled: true }, dashboards: { enabled: true } },
        chart,
      );
      expect(notes).toMatch(/WARNING: prometheusRule.enabled, but this chart carries no rule files/);
      expect(notes).toMatch(/WARNING: dashboards.enabled, but this chart carries no dashboards/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('OTLP ingest auth and TLS', () => {
  const ingestOf = async (values: Values) => {
    const objects = await render(values);
    const deployment = onlyOne<DeploymentObject>(objects, 'Deployment');
    return {
      config: (renderedConfig(objects).ingest as Record<string, unknown>) ?? {},
      volume: deployment.spec.template.spec.volumes?.find((v) => v.name === 'ingest-tls'),
      mount: exporterContainer(deployment).volumeMounts?.find((m) => m.name === 'ingest-tls'),
      env: exporterContainer(deployment).env ?? [],
    };
  };

  it('are off by default: plain HTTP, no token', async () => {
    const { config, volume, env } = await ingestOf({});
    expect(config).not.toHaveProperty('tls');
    expect(config).not.toHaveProperty('auth');
    expect(volume).toBeUndefined();
    expect(env.map((e) => e.name)).not.toContain('TWINOPS_INGEST_TOKEN');
  });

  it('the token reaches the exporter only from its Secret, never through the config', async () => {
    const { config, env } = await ingestOf({
      ingest: { auth: { existingSecret: 'twinops-ingest', tokenKey: 'collector-token' } },
    });
    expect(config).not.toHaveProperty('auth');
    expect(env.find((e) => e.name === 'TWINOPS_INGEST_TOKEN')).toEqual({
      name: 'TWINOPS_INGEST_TOKEN',
      valueFrom: { secretKeyRef: { name: 'twinops-ingest', key: 'collector-token' } },
    });
  });

  it('TLS from a Secret, mutual with a client CA key: the files mounted and named in the config', async () => {
    const { config, volume, mount } = await ingestOf({
      ingest: { tls: { existingSecret: 'twinops-ingest-tls', clientCaKey: 'ca.crt' } },
    });
    expect(config.tls).toEqual({
      enabled: true,
      certFile: '/etc/twinops-ingest-tls/tls.crt',
      keyFile: '/etc/twinops-ingest-tls/tls.key',
      clientCaFile: '/etc/twinops-ingest-tls/ca.crt',
    });
    expect(volume?.secret).toMatchObject({
      secretName: 'twinops-ingest-tls',
      items: [
        { key: 'tls.crt', path: 'tls.crt' },
        { key: 'tls.key', path: 'tls.key' },
        { key: 'ca.crt', path: 'ca.crt' },
      ],
    });
    expect(mount).toMatchObject({ mountPath: '/etc/twinops-ingest-tls', readOnly: true });
  });

  it('refuses the token in extraEnv and the TLS keys in config, naming them', async () => {
    await expect(
      render({ extraEnv: [{ name: 'TWINOPS_INGEST_TOKEN', value: 'x' }] }),
    ).rejects.toThrow(/extraEnv/);
    await expect(
      render({ config: { ingest: { tls: { certFile: '/x', keyFile: '/y' } } } }),
    ).rejects.toThrow(/config\.ingest\.tls \(set by ingest\.tls\.\*\)/);
  });
});
