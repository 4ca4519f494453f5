/**
 * The keys platform teams know from the prometheus-community charts (prometheus-node-exporter,
 * kube-state-metrics, kube-prometheus-stack): image.registry and `global`, commonLabels,
 * namespaceOverride, revisionHistoryLimit, extraArgs/Env/Volumes/VolumeMounts/Manifests, the
 * ServiceMonitor's and PrometheusRule's own keys, and the chart rendered as a subchart.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { KubernetesObject } from '../bed/index.js';
import { repoRoot } from '../../tools/paths.js';
import {
  byKind,
  chartDir,
  exporterContainer,
  onlyOne,
  render,
  renderNotes,
  scenarios,
  schemaProblems,
  type DeploymentObject,
  type Values,
} from './chart.js';

const everything = scenarios().find((s) => s.name === 'everything')!;
const subchart = scenarios().find((s) => s.name === 'subchart')!;
const chart = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as {
  version: string;
  appVersion: string;
};
const rootVersion = (
  JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }
).version;

type PodTemplate = {
  metadata: { labels: Record<string, string> };
  spec: { imagePullSecrets?: { name: string }[]; volumes?: object[] };
};
const deploymentOf = (objects: KubernetesObject[]) =>
  onlyOne<DeploymentObject & { spec: { revisionHistoryLimit?: number; template: PodTemplate } }>(
    objects,
    'Deployment',
  );
const imageOf = async (values: Values, dir = chartDir): Promise<string> =>
  (exporterContainer(deploymentOf(await render(values, dir))) as { image?: string }).image!;
/** The objects the chart itself renders (not the user's extraManifests). */
const chartObjects = (objects: KubernetesObject[]) =>
  objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/part-of'] === 'twinops');

describe('the image', () => {
  it(`is ghcr.io/twinops/exporter:<appVersion> by default, the version of the bundle (${rootVersion})`, async () => {
    expect(chart.appVersion).toBe(rootVersion);
    expect(await imageOf({})).toBe(`ghcr.io/twinops/exporter:${rootVersion}`);
  });

  it.each([
    [{ image: { tag: '0.1.0-rc.1' } }, 'ghcr.io/twinops/exporter:0.1.0-rc.1'],
    [
      { image: { tag: 'ignored', digest: `sha256:${'a'.repeat(64)}` } },
      `ghcr.io/twinops/exporter@sha256:${'a'.repeat(64)}`,
    ],
    [{ image: { registry: 'mirror.example:5000' } }, 'mirror.example:5000/twinops/exporter:0.1.0'],
    // No registry: the whole reference is the repository (the runtime's default registry).
    [{ image: { registry: '', repository: 'twinops/exporter' } }, 'twinops/exporter:0.1.0'],
    [
      { image: { registry: '', repository: 'ghcr.io/twinops/exporter' } },
      'ghcr.io/twinops/exporter:0.1.0',
    ],
    // A parent chart's registry wins over the chart's own.
    [
      { global: { imageRegistry: 'registry.example' }, image: { registry: 'mirror.example' } },
      'registry.example/twinops/exporter:0.1.0',
    ],
    [{ global: { imageRegistry: '' } }, 'ghcr.io/twinops/exporter:0.1.0'],
    [
      { global: { imageRegistry: 'harbor.example/ghcr-proxy/' } },
      'harbor.example/ghcr-proxy/twinops/exporter:0.1.0',
    ],
  ])('%j → %s', async (values, image) => {
    expect(await imageOf(values)).toBe(image);
  });

  it('refuses a registry host in image.repository while a registry is set (values from before 0.3.0)', async () => {
    await expect(render({ image: { repository: 'ghcr.io/twinops/exporter' } })).rejects.toThrow(
      /image.repository "ghcr.io\/twinops\/exporter" begins with a registry host.*would pull ghcr.io\/ghcr.io\/twinops\/exporter:0.1.0; set image.repository to the path alone \(twinops\/exporter\)/,
    );
    await expect(
      render({
        global: { imageRegistry: 'r.example' },
        image: { registry: '', repository: 'localhost:5000/x' },
      }),
    ).rejects.toThrow(/begins with a registry host/);
  });

  it('is pulled with global.imagePullSecrets then imagePullSecrets, names or {name}, each once', async () => {
    const pod = deploymentOf(
      await render({
        global: { imagePullSecrets: ['shared', { name: 'parent' }] },
        imagePullSecrets: [{ name: 'shared' }, 'own'],
      }),
    ).spec.template.spec;
    expect(pod.imagePullSecrets).toEqual([{ name: 'shared' }, { name: 'parent' }, { name: 'own' }]);
    expect(deploymentOf(await render({})).spec.template.spec).not.toHaveProperty(
      'imagePullSecrets',
    );
  });
});

describe('as a subchart', () => {
  it('takes the registry and pull secrets from a parent’s global, whatever else global holds', async () => {
    expect(subchart.values.global).toMatchObject({ someParentKey: 1 });
    const objects = await render(subchart.values);
    expect(schemaProblems(objects)).toEqual([]);
    const deployment = deploymentOf(objects);
    expect((exporterContainer(deployment) as { image?: string }).image).toBe(
      `registry.example/twinops/exporter:${rootVersion}`,
    );
    expect(deployment.spec.template.spec.imagePullSecrets).toEqual([
      { name: 'registry-example-pull' },
      { name: 'parent-pull' },
      { name: 'twinops-pull' },
    ]);
  });

  describe('of a real parent chart', () => {
    let dir: string;
    let parent: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'twinops-parent-'));
      parent = join(dir, 'plant');
      mkdirSync(join(parent, 'charts'), { recursive: true });
      cpSync(chartDir, join(parent, 'charts', 'twinops'), { recursive: true });
      writeFileSync(
        join(parent, 'Chart.yaml'),
        [
          'apiVersion: v2',
          'name: plant',
          'version: 1.0.0',
          'dependencies:',
          '  - name: twinops',
          `    version: ${chart.version}`,
          '',
        ].join('\n'),
      );
      // The parent's own keys (replicaCount here) never reach the subchart; global does, whole.
      writeFileSync(
        join(parent, 'values.yaml'),
        [
          'replicaCount: 3',
          'global:',
          '  imageRegistry: registry.example',
          '  imagePullSecrets: [plant-pull]',
          '  someParentKey: 1',
          'twinops:',
          '  namespaceOverride: twin',
          '',
        ].join('\n'),
      );
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('renders with the parent’s global and its values for the chart', async () => {
      const objects = await render({}, parent);
      const deployment = deploymentOf(objects);
      expect(deployment.metadata.namespace).toBe('twin');
      expect((exporterContainer(deployment) as { image?: string }).image).toBe(
        `registry.example/twinops/exporter:${rootVersion}`,
      );
      expect(deployment.spec.template.spec.imagePullSecrets).toEqual([{ name: 'plant-pull' }]);
    });

    it('still refuses an unknown key in the chart’s values, naming it', async () => {
      await expect(render({ twinops: { replicas: 3 } }, parent)).rejects.toThrow(
        /twinops:\s*- at '': additional properties 'replicas' not allowed/,
      );
    });
  });
});

describe('the schema with a global block', () => {
  it.each([
    // Helm hands a subchart the parent's whole global block: any key there passes.
    [{ global: { someParentKey: 1, storageClass: 'fast', nested: { deep: [1] } } }, undefined],
    [
      { global: { someParentKey: 1 }, replicas: 3 },
      /at '': additional properties 'replicas' not allowed/,
    ],
    [{ global: { imageRegistry: 5 } }, /at '\/global\/imageRegistry': got number, want string/],
    [{ global: { imagePullSecrets: [{ nam: 'x' }] } }, /at '\/global\/imagePullSecrets\/0'/],
    [{ image: { sha: 'abc' } }, /at '\/image': additional properties 'sha' not allowed/],
    [{ image: { repository: 'twinops/exporter:0.1.0@sha256:x' } }, /at '\/image\/repository'/],
    [
      { commonLabels: { 'not a key': 'x' } },
      /at '\/commonLabels': additional properties 'not a key' not allowed/,
    ],
    [{ commonLabels: { team: 'plant ops' } }, /at '\/commonLabels\/team'/],
    [{ commonLabels: { team: 7 } }, /at '\/commonLabels\/team': got number, want string/],
    [{ namespaceOverride: 'Twin_Ops' }, /at '\/namespaceOverride'/],
    [{ revisionHistoryLimit: -1 }, /at '\/revisionHistoryLimit'/],
    [{ extraArgs: [1] }, /at '\/extraArgs\/0'/],
    [
      { extraVolumeMounts: [{ name: 'x' }] },
      /at '\/extraVolumeMounts\/0': missing property 'mountPath'/,
    ],
    [{ extraManifests: [1] }, /at '\/extraManifests\/0'/],
    [{ serviceMonitor: { scheme: 'ftp' } }, /at '\/serviceMonitor\/scheme'/],
    [{ serviceMonitor: { namespace: 'Mon' } }, /at '\/serviceMonitor\/namespace'/],
    [{ prometheusRule: { namespace: 'Mon' } }, /at '\/prometheusRule\/namespace'/],
  ])('%j', async (values, refusal) => {
    if (refusal) await expect(render(values)).rejects.toThrow(refusal);
    else await expect(render(values)).resolves.toBeDefined();
  });
});

describe('commonLabels', () => {
  it('label every object of the chart and its Pods, never a selector', async () => {
    const objects = await render(everything.values);
    const common = everything.values.commonLabels as Record<string, string>;
    const own = chartObjects(objects);
    expect(new Set(own.map((o) => o.kind))).toEqual(
      new Set([
        'ConfigMap',
        'Deployment',
        'NetworkPolicy',
        'PersistentVolumeClaim',
        'PodDisruptionBudget',
        'PrometheusRule',
        'Secret',
        'Service',
        'ServiceAccount',
        'ServiceMonitor',
      ]),
    );
    for (const object of own) expect(object.metadata.labels, object.kind).toMatchObject(common);
    const deployment = deploymentOf(objects);
    expect(deployment.spec.template.metadata.labels).toMatchObject(common);
    const selectors = JSON.stringify([
      (deployment.spec as { selector?: unknown }).selector,
      ...objects.map((o) => (o.spec as { selector?: unknown; podSelector?: unknown })?.selector),
      ...byKind(objects, 'NetworkPolicy').map(
        (o) => (o.spec as { podSelector: unknown }).podSelector,
      ),
    ]);
    for (const key of Object.keys(common)) expect(selectors).not.toContain(key);
  });

  it('give way to an object’s own labels, and the chart’s own labels to nothing', async () => {
    const objects = await render({
      commonLabels: { release: 'common', 'app.kubernetes.io/name': 'hijack', team: 'ops' },
      podLabels: { team: 'pod-team' },
      serviceMonitor: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
    });
    const monitor = onlyOne(objects, 'ServiceMonitor');
    expect(monitor.metadata.labels).toMatchObject({
      release: 'kube-prometheus-stack',
      team: 'ops',
      'app.kubernetes.io/name': 'twinops',
    });
    expect(onlyOne(objects, 'Service').metadata.labels).toMatchObject({
      release: 'common',
      'app.kubernetes.io/name': 'twinops',
    });
    expect(deploymentOf(objects).spec.template.metadata.labels).toMatchObject({
      team: 'pod-team',
      'app.kubernetes.io/name': 'twinops',
    });
  });
});

describe('namespaces', () => {
  it('every object of the chart is in the release namespace by default', async () => {
    const objects = await render({
      serviceMonitor: { enabled: true },
      prometheusRule: { enabled: true },
      dashboards: { enabled: true },
      networkPolicy: { enabled: true },
      podDisruptionBudget: { enabled: true },
    });
    expect(new Set(objects.map((o) => o.metadata.namespace))).toEqual(new Set(['default']));
  });

  it('namespaceOverride moves every namespaced object; the monitoring objects may live elsewhere', async () => {
    const objects = chartObjects(await render(everything.values));
    const where = (kind: string) => new Set(byKind(objects, kind).map((o) => o.metadata.namespace));
    for (const kind of [
      'Deployment',
      'Service',
      'ServiceAccount',
      'Secret',
      'PersistentVolumeClaim',
      'NetworkPolicy',
      'PodDisruptionBudget',
    ]) {
      expect(where(kind), kind).toEqual(new Set(['twinops-system']));
    }
    // The config and the dashboards (dashboards.namespace is empty) follow namespaceOverride.
    expect(where('ConfigMap')).toEqual(new Set(['twinops-system']));
    expect(where('ServiceMonitor')).toEqual(new Set(['monitoring']));
    expect(where('PrometheusRule')).toEqual(new Set(['monitoring']));
    // Wherever the ServiceMonitor lives, it scrapes the Service in the exporter's namespace.
    const monitor = onlyOne<KubernetesObject & { spec: { namespaceSelector: unknown } }>(
      objects,
      'ServiceMonitor',
    );
    expect(monitor.spec.namespaceSelector).toEqual({ matchNames: ['twinops-system'] });
  });

  it('namespaceOverride is where NOTES.txt sends collectors and kubectl', async () => {
    const notes = await renderNotes({ namespaceOverride: 'plant' });
    expect(notes).toContain('http://twin-twinops.plant.svc:4318/v1/metrics');
    expect(notes).toContain('kubectl -n plant port-forward svc/twin-twinops');
  });
});

describe('the Deployment', () => {
  it('keeps revisionHistoryLimit old ReplicaSets (10 by default)', async () => {
    expect(deploymentOf(await render({})).spec.revisionHistoryLimit).toBe(10);
    expect(deploymentOf(await render(everything.values)).spec.revisionHistoryLimit).toBe(3);
  });

  it('appends extraArgs after --config', async () => {
    const container = exporterContainer(
      deploymentOf(await render({ extraArgs: ['--wrapper-flag', 'a b'] })),
    );
    expect(container.args).toEqual([
      '--config',
      '/etc/twinops/config.yaml',
      '--wrapper-flag',
      'a b',
    ]);
  });

  it.each([
    [
      ['--config', '/elsewhere.yaml'],
      /extraArgs: "--config", but the chart passes --config itself/,
    ],
    [
      ['--config=/elsewhere.yaml'],
      /extraArgs: "--config=\/elsewhere.yaml", but the chart passes --config/,
    ],
    [['--check'], /extraArgs: "--check" makes the exporter exit instead of serving/],
    [['-v'], /extraArgs: "-v" makes the exporter exit instead of serving/],
    [['--help'], /extraArgs: "--help" makes the exporter exit instead of serving/],
  ])('refuses extraArgs %j', async (extraArgs, message) => {
    await expect(render({ extraArgs })).rejects.toThrow(message);
  });

  it('adds extraEnv after its own variables, and extraVolumes with their mounts', async () => {
    const objects = await render(everything.values);
    const deployment = deploymentOf(objects);
    const container = exporterContainer(deployment);
    expect(container.env?.map((e) => e.name).slice(-2)).toEqual([
      'TWINOPS_LOG_LEVEL',
      'NODE_EXTRA_CA_CERTS',
    ]);
    expect(deployment.spec.template.spec.volumes).toContainEqual({
      name: 'corporate-ca',
      configMap: { name: 'twinops-corporate-ca' },
    });
    expect(container.volumeMounts).toContainEqual({
      name: 'corporate-ca',
      mountPath: '/etc/ssl/corporate',
      readOnly: true,
    });
    // The file NODE_EXTRA_CA_CERTS names is in the ConfigMap extraManifests renders beside it.
    const ca = byKind<KubernetesObject & { data: Record<string, string> }>(
      objects,
      'ConfigMap',
    ).find((c) => c.metadata.name === 'twinops-corporate-ca');
    expect(ca?.metadata.namespace).toBe(deployment.metadata.namespace);
    expect(ca?.data['ca.crt']).toMatch(
      /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/,
    );
  });

  it.each([
    [{ extraVolumes: [{ name: 'data', emptyDir: {} }] }, /extraVolumes: the name "data" is taken/],
    [
      {
        extraVolumes: [
          { name: 'x', emptyDir: {} },
          { name: 'x', emptyDir: {} },
        ],
      },
      /extraVolumes: the name "x" is taken/,
    ],
    [
      { extraVolumeMounts: [{ name: 'nowhere', mountPath: '/x' }] },
      /extraVolumeMounts: "nowhere" names no volume/,
    ],
    [
      {
        extraVolumes: [{ name: 'x', emptyDir: {} }],
        extraVolumeMounts: [{ name: 'x', mountPath: '/var/lib/twinops/' }],
      },
      /extraVolumeMounts: \/var\/lib\/twinops\/ is already a mount point/,
    ],
  ])('refuses %j', async (values, message) => {
    await expect(render(values)).rejects.toThrow(message);
  });
});

describe('extraManifests', () => {
  it('renders objects and strings through tpl, as documents of their own', async () => {
    const objects = await render({
      namespaceOverride: 'plant',
      extraManifests: [
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: '{{ include "twinops.fullname" . }}-object' },
          data: { port: '{{ .Values.ports.api }}' },
        },
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-string\n  namespace: {{ include "twinops.namespace" . }}\n',
      ],
    });
    expect(schemaProblems(objects)).toEqual([]);
    const extra = byKind<KubernetesObject & { data?: Record<string, string> }>(
      objects,
      'ConfigMap',
    ).filter((c) => !chartObjects(objects).includes(c));
    expect(extra.map((c) => [c.metadata.name, c.metadata.namespace, c.data])).toEqual([
      ['twin-twinops-object', undefined, { port: '8787' }],
      ['twin-string', 'plant', undefined],
    ]);
  });

  it('everything: the Grafana app provisioning points at this release’s Service', async () => {
    const objects = await render(everything.values);
    const app = byKind<KubernetesObject & { data: Record<string, string> }>(
      objects,
      'ConfigMap',
    ).find((c) => c.metadata.labels?.grafana_plugin === '1');
    const provisioning = parse(app!.data['twinops-app.yaml']!) as {
      apps: { jsonData: { exporterUrl: string } }[];
    };
    expect(provisioning.apps[0]!.jsonData.exporterUrl).toBe(
      'http://twin-twinops.twinops-system.svc:8787',
    );
  });
});

describe('the ServiceMonitor and PrometheusRule keys', () => {
  type Endpoint = {
    scheme?: string;
    tlsConfig?: object;
    relabelings?: { targetLabel?: string; replacement?: string }[];
    metricRelabelings?: object[];
  };
  type Monitor = KubernetesObject & { spec: { jobLabel?: string; endpoints: Endpoint[] } };
  const monitorOf = async (serviceMonitor: Values, values: Values = {}) => {
    const objects = await render({
      ...values,
      serviceMonitor: { enabled: true, ...serviceMonitor },
    });
    expect(schemaProblems(objects)).toEqual([]);
    return onlyOne<Monitor>(objects, 'ServiceMonitor');
  };

  it('relabelings come after the chart’s job relabeling, metricRelabelings as given', async () => {
    const { values } = everything;
    const monitor = onlyOne<Monitor>(await render(values), 'ServiceMonitor');
    const sm = values.serviceMonitor as { relabelings: object[]; metricRelabelings: object[] };
    const [endpoint] = monitor.spec.endpoints;
    expect(endpoint!.relabelings).toEqual([
      { action: 'replace', targetLabel: 'job', replacement: 'twinops-exporter' },
      ...sm.relabelings,
    ]);
    expect(endpoint!.metricRelabelings).toEqual(sm.metricRelabelings);
    expect(endpoint!.scheme).toBe('http');
  });

  it('scheme https with a tlsConfig', async () => {
    const tlsConfig = {
      ca: { secret: { name: 'metrics-proxy-ca', key: 'ca.crt' } },
      serverName: 'twinops-metrics',
    };
    const [endpoint] = (await monitorOf({ scheme: 'https', tlsConfig })).spec.endpoints;
    expect(endpoint).toMatchObject({ scheme: 'https', tlsConfig });
  });

  it('jobLabel: the job from a label of the Service, without the chart’s relabeling', async () => {
    const monitor = await monitorOf(
      { jobName: '', jobLabel: 'app.kubernetes.io/job' },
      { commonLabels: { 'app.kubernetes.io/job': 'twinops-exporter' } },
    );
    expect(monitor.spec.jobLabel).toBe('app.kubernetes.io/job');
    expect(monitor.spec.endpoints[0]).not.toHaveProperty('relabelings');
  });

  it.each([
    [
      { jobLabel: 'app.kubernetes.io/name' },
      /jobLabel "app.kubernetes.io\/name" and serviceMonitor.jobName "twinops-exporter" both set the job/,
    ],
    [
      { jobLabel: 'jobLabel', jobName: '' },
      /serviceMonitor.jobLabel: the Service has no label "jobLabel"/,
    ],
  ])('refuses %j', async (serviceMonitor, message) => {
    await expect(render({ serviceMonitor: { enabled: true, ...serviceMonitor } })).rejects.toThrow(
      message,
    );
  });

  it('NOTES.txt warns when the scraped job is not the one the rules select', async () => {
    const warning =
      /WARNING: the ServiceMonitor gives the exporter's series job="twin-twinops",\nbut the rules select job="twinops-exporter"/;
    const on = { prometheusRule: { enabled: true } };
    expect(await renderNotes({ ...on, serviceMonitor: { enabled: true, jobName: '' } })).toMatch(
      warning,
    );
    expect(
      await renderNotes({
        ...on,
        serviceMonitor: { enabled: true, jobName: '', jobLabel: 'app.kubernetes.io/name' },
      }),
    ).toMatch(/job="twinops",\nbut the rules select/);
    expect(await renderNotes({ ...on, serviceMonitor: { enabled: true } })).not.toMatch(
      /WARNING: the ServiceMonitor/,
    );
  });
});
