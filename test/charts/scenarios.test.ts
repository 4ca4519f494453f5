import { describe, expect, it } from 'vitest';
import type { KubernetesObject } from '../bed/index.js';
import {
  KUBERNETES_SCHEMA_VERSION,
  byKind,
  chartDir,
  existingSecrets,
  exporterContainer,
  helmLint,
  onlyOne,
  render,
  renderedConfig,
  scenarios,
  schemaProblems,
  type Container,
  type DeploymentObject,
  type PodSpec,
} from './chart.js';
import { chartFileSets, filesOf } from './chart-files.js';
import { repoRoot } from '../../tools/paths.js';

const all = scenarios();
const [rulesSet, dashboardsSet, sloRulesSet] = chartFileSets(repoRoot);
const ruleFiles = [rulesSet!, sloRulesSet!].flatMap((set) => filesOf(set.targetDir, set.extension));
const dashboardFiles = filesOf(dashboardsSet!.targetDir, dashboardsSet!.extension);

/** Paths of keys that name a secret (password, token, secret), anywhere in a document. */
function secretKeysIn(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => secretKeysIn(item, `${path}[${i}]`));
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) => [
    ...(/password|token|secret/i.test(key) ? [`${path}.${key}`] : []),
    ...secretKeysIn(item, `${path}.${key}`),
  ]);
}

/** Each container's effective security settings (the container's own, else the Pod's). */
function effectiveSecurity(pod: PodSpec, container: Container) {
  const own = container.securityContext ?? {};
  return {
    runAsNonRoot: own.runAsNonRoot ?? pod.securityContext?.runAsNonRoot,
    seccomp: (own.seccompProfile ?? pod.securityContext?.seccompProfile)?.type,
    readOnlyRootFilesystem: own.readOnlyRootFilesystem,
    allowPrivilegeEscalation: own.allowPrivilegeEscalation,
    drop: own.capabilities?.drop ?? [],
    add: own.capabilities?.add ?? [],
  };
}

describe('the ci/ scenarios of the chart', () => {
  it('are the three the issue asks for, Kafka with TLS and SASL, and the chart as a subchart', () => {
    expect(all.map((s) => s.name)).toEqual([
      'embedded',
      'everything',
      'kafka-secure',
      'kafka',
      'subchart',
    ]);
  });

  describe.each(all)('$name', ({ file, values, name }) => {
    let rendered: Promise<KubernetesObject[]> | undefined;
    const objects = (): Promise<KubernetesObject[]> => (rendered ??= render(values));

    it('passes helm lint --strict', async () => {
      await expect(helmLint(chartDir, file)).resolves.toMatch(
        /1 chart\(s\) linted, 0 chart\(s\) failed/,
      );
    });

    it(`renders objects that all validate against the Kubernetes ${KUBERNETES_SCHEMA_VERSION} schemas`, async () => {
      const rendered = await objects();
      expect(rendered.length).toBeGreaterThan(0);
      expect(schemaProblems(rendered)).toEqual([]);
    });

    it('runs every container non-root, read-only, without capabilities, seccomp RuntimeDefault, with requests', async () => {
      const deployments = byKind<DeploymentObject>(await objects(), 'Deployment');
      expect(deployments).toHaveLength(1);
      for (const deployment of deployments) {
        const pod = deployment.spec.template.spec;
        expect(pod.automountServiceAccountToken).toBe(false);
        for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
          expect(effectiveSecurity(pod, container), container.name).toEqual({
            runAsNonRoot: true,
            seccomp: 'RuntimeDefault',
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            drop: ['ALL'],
            add: [],
          });
          expect(container.resources?.requests, container.name).toMatchObject({
            cpu: expect.any(String),
            memory: expect.any(String),
          });
        }
      }
      for (const account of byKind(await objects(), 'ServiceAccount')) {
        expect(account.automountServiceAccountToken).toBe(false);
      }
    });

    it('probes /healthz and /readyz on the port the config serves them on', async () => {
      const rendered = await objects();
      const container = exporterContainer(onlyOne<DeploymentObject>(rendered, 'Deployment'));
      const server = renderedConfig(rendered).server as Record<string, number>;
      const portNamed = (name: string | number | undefined): number | undefined =>
        container.ports?.find((p) => p.name === name)?.containerPort;
      expect(container.livenessProbe?.httpGet?.path).toBe('/healthz');
      expect(container.startupProbe?.httpGet?.path).toBe('/healthz');
      expect(container.readinessProbe?.httpGet?.path).toBe('/readyz');
      for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) {
        expect(portNamed(probe?.httpGet?.port)).toBe(server.metricsPort);
      }
      expect({ otlp: portNamed('otlp'), api: portNamed('api') }).toEqual({
        otlp: server.otlpPort,
        api: server.apiPort,
      });
    });

    it('serves OTLP, metrics and the API on named Service ports that reach the container', async () => {
      const rendered = await objects();
      const container = exporterContainer(onlyOne<DeploymentObject>(rendered, 'Deployment'));
      const service = onlyOne<KubernetesObject & { spec: { ports: { name: string; targetPort: string }[] } }>(
        rendered,
        'Service',
      );
      expect(service.spec.ports.map((p) => p.name)).toEqual(['otlp', 'metrics', 'api']);
      const containerPorts = container.ports?.map((p) => p.name);
      for (const port of service.spec.ports) expect(containerPorts).toContain(port.targetPort);
    });

    it('writes only to volumes: snapshot, ledger and TMPDIR are mounted writable', async () => {
      const rendered = await objects();
      const deployment = onlyOne<DeploymentObject>(rendered, 'Deployment');
      const container = exporterContainer(deployment);
      const config = renderedConfig(rendered) as {
        state: { snapshot: { path: string } };
        commands: { ledgerPath: string };
      };
      const tmpdir = container.env?.find((e) => e.name === 'TMPDIR')?.value;
      const writable = (container.volumeMounts ?? []).filter((m) => !m.readOnly);
      for (const path of [config.state.snapshot.path, config.commands.ledgerPath, `${tmpdir}/tsx`]) {
        expect(
          writable.some((m) => path.startsWith(`${m.mountPath}/`)),
          `${path} on a writable volume`,
        ).toBe(true);
      }
    });

    it('renders the optional objects exactly when enabled', async () => {
      const rendered = await objects();
      const v = values as Record<string, { enabled?: boolean } | undefined>;
      const count = (kind: string): number => byKind(rendered, kind).length;
      expect(count('ServiceMonitor')).toBe(v.serviceMonitor?.enabled ? 1 : 0);
      expect(count('NetworkPolicy')).toBe(v.networkPolicy?.enabled ? 1 : 0);
      expect(count('PodDisruptionBudget')).toBe(v.podDisruptionBudget?.enabled ? 1 : 0);
      // Only as many as the chart carries (none until the generators have written some).
      expect(count('PrometheusRule')).toBe(v.prometheusRule?.enabled && ruleFiles.length ? 1 : 0);
      const dashboards = byKind(rendered, 'ConfigMap').filter(
        (c) => c.metadata.labels?.grafana_dashboard !== undefined,
      );
      expect(dashboards).toHaveLength(v.dashboards?.enabled ? dashboardFiles.length : 0);
    });

    it('keeps every secret out of ConfigMaps', async () => {
      const rendered = await objects();
      const auth = (values.commands as { auth?: { tokens?: { token: string }[]; proxySecret?: string } })
        ?.auth;
      // The ones in values, and the stand-ins of the existing Secrets the Pod reads.
      const existing = existingSecrets(rendered);
      const secrets = [
        ...(auth?.tokens ?? []).map((t) => t.token),
        auth?.proxySecret,
        ...existing.flatMap((s) => Object.values(s.stringData as Record<string, string>)),
      ].filter((s): s is string => Boolean(s));
      const configMapText = JSON.stringify(byKind(rendered, 'ConfigMap'));
      const podText = JSON.stringify(byKind(rendered, 'Deployment'));
      for (const secret of secrets) {
        expect(configMapText).not.toContain(secret);
        expect(podText).not.toContain(secret);
      }
      // Secret variables come from Secrets only, and the exporter's config names no secret.
      const container = exporterContainer(onlyOne<DeploymentObject>(rendered, 'Deployment'));
      const secretVariables = (container.env ?? []).filter((e) =>
        /^TWINOPS_(API_TOKENS|PROXY_SECRET|KAFKA_SASL_PASSWORD)$/.test(e.name),
      );
      for (const variable of secretVariables) {
        expect(variable.value, variable.name).toBeUndefined();
        expect(variable.valueFrom?.secretKeyRef, variable.name).toBeDefined();
      }
      expect(secretKeysIn(renderedConfig(rendered))).toEqual([]);
      if (name === 'everything') expect(secrets.length).toBeGreaterThan(0);
      if (name === 'kafka-secure') {
        expect(secretVariables.map((e) => e.name)).toEqual(['TWINOPS_KAFKA_SASL_PASSWORD']);
        expect(existing.map((s) => s.metadata.name).sort()).toEqual([
          'twinops-kafka-sasl',
          'twinops-kafka-tls',
        ]);
      }
    });
  });

  it('in embedded mode: one replica, replaced (not rolled) over its own claim', async () => {
    const rendered = await render(all.find((s) => s.name === 'embedded')!.values);
    const deployment = onlyOne<DeploymentObject>(rendered, 'Deployment');
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy?.type).toBe('Recreate');
    const claim = onlyOne(rendered, 'PersistentVolumeClaim');
    const data = deployment.spec.template.spec.volumes?.find((v) => v.name === 'data');
    expect(data?.persistentVolumeClaim?.claimName).toBe(claim.metadata.name);
    expect(renderedConfig(rendered).ingest).toMatchObject({ kafka: { enabled: false } });
  });

  it('in kafka mode: N replicas in one consumer group on the given brokers', async () => {
    const { values } = all.find((s) => s.name === 'kafka')!;
    const rendered = await render(values);
    const deployment = onlyOne<DeploymentObject>(rendered, 'Deployment');
    const kafka = values.kafka as { brokers: string[]; groupId: string };
    expect(deployment.spec.replicas).toBe(values.replicaCount);
    expect(byKind(rendered, 'PersistentVolumeClaim')).toHaveLength(0);
    expect(renderedConfig(rendered).ingest).toMatchObject({
      kafka: { enabled: true, brokers: kafka.brokers, groupId: kafka.groupId },
    });
  });

  it('in kafka mode with TLS and SASL: the Secret mounted read-only, the password from a Secret', async () => {
    const { values } = all.find((s) => s.name === 'kafka-secure')!;
    const rendered = await render(values);
    const deployment = onlyOne<DeploymentObject>(rendered, 'Deployment');
    const container = exporterContainer(deployment);
    expect(byKind(rendered, 'Secret')).toHaveLength(0);
    expect(deployment.spec.template.spec.volumes?.find((v) => v.name === 'kafka-tls')).toEqual({
      name: 'kafka-tls',
      secret: {
        secretName: 'twinops-kafka-tls',
        defaultMode: 0o440,
        items: [
          { key: 'ca.crt', path: 'ca.crt' },
          { key: 'tls.crt', path: 'tls.crt' },
          { key: 'tls.key', path: 'tls.key' },
        ],
      },
    });
    expect(container.volumeMounts).toContainEqual({
      name: 'kafka-tls',
      mountPath: '/etc/twinops-kafka-tls',
      readOnly: true,
    });
    expect(container.env).toContainEqual({
      name: 'TWINOPS_KAFKA_SASL_PASSWORD',
      valueFrom: { secretKeyRef: { name: 'twinops-kafka-sasl', key: 'password' } },
    });
    expect(renderedConfig(rendered).ingest).toMatchObject({
      kafka: {
        tls: {
          enabled: true,
          caFile: '/etc/twinops-kafka-tls/ca.crt',
          certFile: '/etc/twinops-kafka-tls/tls.crt',
          keyFile: '/etc/twinops-kafka-tls/tls.key',
        },
        sasl: { enabled: true, mechanism: 'scram-sha-512', username: 'twinops-exporter' },
      },
    });
  });
});
