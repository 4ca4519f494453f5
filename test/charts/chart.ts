import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import {
  ConfigMap,
  PersistentVolumeClaim,
  Secret,
  Service,
  ServiceAccount,
} from 'kubernetes-models/v1';
import {
  PrometheusRule,
  ServiceMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { helm, helmTemplate, type KubernetesObject } from '../bed/index.js';
import { repoRoot } from '../../tools/paths.js';

export const chartDir = join(repoRoot, 'charts', 'twinops');

/**
 * The Kubernetes API version the rendered objects are validated against: kubernetes-models 5.1.0
 * is generated from the Kubernetes v1.36 OpenAPI spec (its changelog: 5.0.0 "Update to Kubernetes
 * v1.36.0"; the README badge still says 1.27.1, a leftover). The CRDs come from
 * @kubernetes-models/prometheus-operator 6.0.0.
 */
export const KUBERNETES_SCHEMA_VERSION = 'v1.36';

/** The ci/*-values.yaml scenarios: name (file name without `-values.yaml`) and parsed values. */
export function scenarios(dir = chartDir): { name: string; file: string; values: Values }[] {
  return readdirSync(join(dir, 'ci'))
    .filter((name) => name.endsWith('-values.yaml'))
    .sort()
    .map((name) => ({
      name: name.replace(/-values\.yaml$/, ''),
      file: join(dir, 'ci', name),
      values: parse(readFileSync(join(dir, 'ci', name), 'utf8')) as Values,
    }));
}

export type Values = Record<string, unknown>;

/** `helm lint --strict` with a values file; resolves with helm's output, rejects on any finding. */
export function helmLint(dir: string, valuesFile?: string): Promise<string> {
  return helm(['lint', '--strict', dir, ...(valuesFile ? ['--values', valuesFile] : [])]);
}

export function render(values: Values, dir = chartDir): Promise<KubernetesObject[]> {
  return helmTemplate(dir, values, 'twin');
}

/**
 * NOTES.txt as `helm install` would print it. `helm template` skips NOTES.txt and a client-side
 * dry-run install still asks a cluster, so a temp copy of the chart renders it through `tpl` into
 * a YAML document (`.Files` cannot read templates/, hence the move).
 */
export async function renderNotes(values: Values, dir = chartDir): Promise<string> {
  const scratch = mkdtempSync(join(tmpdir(), 'twinops-notes-'));
  try {
    const chart = join(scratch, 'twinops');
    cpSync(dir, chart, { recursive: true });
    mkdirSync(join(chart, 'notes'));
    renameSync(join(chart, 'templates', 'NOTES.txt'), join(chart, 'notes', 'NOTES.txt'));
    writeFileSync(
      join(chart, 'templates', 'notes.yaml'),
      'notes: {{ tpl (.Files.Get "notes/NOTES.txt") . | toJson }}\n',
    );
    const valuesFile = join(scratch, 'values.json');
    writeFileSync(valuesFile, JSON.stringify(values));
    const out = await helm([
      'template',
      'twin',
      chart,
      '--namespace',
      'twinops',
      '--values',
      valuesFile,
      '--show-only',
      'templates/notes.yaml',
    ]);
    return (parse(out) as { notes: string }).notes;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The schema of each kind the chart renders: an unknown kind fails the validation. */
const models: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

/** Validates each object against its Kubernetes schema; returns one line per invalid object. */
export function schemaProblems(objects: KubernetesObject[]): string[] {
  return objects.flatMap((object) => {
    const id = `${object.kind}/${object.metadata.name}`;
    const Model = models[`${object.apiVersion}/${object.kind}`];
    if (!Model) return [`${id}: no schema known for ${object.apiVersion} ${object.kind}`];
    try {
      new Model(object as never).validate();
      return [];
    } catch (error) {
      return [`${id}: ${(error as Error).message}`];
    }
  });
}

// Just the fields the tests read.
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
  };
}
export interface Container {
  name: string;
  args?: string[];
  env?: EnvVar[];
  ports?: { name?: string; containerPort: number }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: SecurityContext;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
export interface SecurityContext {
  runAsNonRoot?: boolean;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
}
export interface Probe {
  httpGet?: { path: string; port: string | number };
}
export interface Volume {
  name: string;
  configMap?: { name: string };
  secret?: { secretName: string; defaultMode?: number; items?: { key: string; path: string }[] };
  persistentVolumeClaim?: { claimName: string };
  emptyDir?: { sizeLimit?: string };
}
export interface PodSpec {
  automountServiceAccountToken?: boolean;
  serviceAccountName?: string;
  securityContext?: SecurityContext;
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
}
export interface DeploymentObject extends KubernetesObject {
  spec: {
    replicas: number;
    strategy?: { type: string };
    template: { spec: PodSpec };
  };
}

export const byKind = <T extends KubernetesObject = KubernetesObject>(
  objects: KubernetesObject[],
  kind: string,
): T[] => objects.filter((o) => o.kind === kind) as T[];

export function onlyOne<T extends KubernetesObject = KubernetesObject>(
  objects: KubernetesObject[],
  kind: string,
): T {
  const found = byKind<T>(objects, kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, rendered ${found.length}`);
  return found[0] as T;
}

export const exporterContainer = (deployment: DeploymentObject): Container => {
  const container = deployment.spec.template.spec.containers.find((c) => c.name === 'exporter');
  if (!container) throw new Error('no exporter container');
  return container;
};

/** The exporter config the ConfigMap carries, parsed. */
export function renderedConfig(objects: KubernetesObject[]): Record<string, unknown> {
  const configMaps = byKind<KubernetesObject & { data: Record<string, string> }>(
    objects,
    'ConfigMap',
  ).filter((c) => c.data['config.yaml'] !== undefined);
  if (configMaps.length !== 1) throw new Error(`expected one config ConfigMap`);
  return parse(configMaps[0]!.data['config.yaml']!) as Record<string, unknown>;
}

/** The value of a Secret's key as the kubelet would hand it over (data is base64). */
function secretValue(secret: KubernetesObject, key: string): string | undefined {
  const { data, stringData } = secret as { data?: Record<string, string>; stringData?: Record<string, string> };
  if (stringData?.[key] !== undefined) return stringData[key];
  return data?.[key] === undefined ? undefined : Buffer.from(data[key], 'base64').toString('utf8');
}

/**
 * The Secrets the rendered Pod needs but the chart does not create (the `existingSecret`s), as the
 * cluster would hold them: every key a required env reference or a Secret volume item names, with
 * `value(secret, key)` — by default a stand-in naming both.
 */
export function existingSecrets(
  objects: KubernetesObject[],
  value: (secret: string, key: string) => string = (secret, key) => `stand-in ${key} of ${secret}`,
): KubernetesObject[] {
  const rendered = new Set(byKind(objects, 'Secret').map((s) => s.metadata.name));
  const wanted = new Map<string, Set<string>>();
  const want = (secret: string, key: string): void => {
    if (rendered.has(secret)) return;
    if (!wanted.has(secret)) wanted.set(secret, new Set());
    wanted.get(secret)!.add(key);
  };
  for (const deployment of byKind<DeploymentObject>(objects, 'Deployment')) {
    const pod = deployment.spec.template.spec;
    for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
      for (const variable of container.env ?? []) {
        const ref = variable.valueFrom?.secretKeyRef;
        if (ref && !ref.optional) want(ref.name, ref.key);
      }
    }
    for (const volume of pod.volumes ?? []) {
      for (const item of volume.secret?.items ?? []) want(volume.secret!.secretName, item.key);
    }
  }
  return [...wanted].map(([name, keys]) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name },
    type: 'Opaque',
    stringData: Object.fromEntries([...keys].map((key) => [key, value(name, key)])),
  }));
}

/**
 * The container's environment as the kubelet resolves it, from the rendered Secrets and ConfigMaps
 * plus `existing` (objects the chart references but does not create). A missing required key
 * throws, as the Pod would not start.
 */
export function resolveEnv(
  container: Container,
  objects: KubernetesObject[],
  existing: KubernetesObject[] = [],
): Record<string, string> {
  const all = [...objects, ...existing];
  const env: Record<string, string> = {};
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) {
      env[variable.name] = variable.value;
      continue;
    }
    const ref = variable.valueFrom?.secretKeyRef ?? variable.valueFrom?.configMapKeyRef;
    if (!ref) throw new Error(`${variable.name}: a kind of env source the tests do not resolve`);
    const kind = variable.valueFrom?.secretKeyRef ? 'Secret' : 'ConfigMap';
    const source = all.find((o) => o.kind === kind && o.metadata.name === ref.name);
    const value =
      source === undefined
        ? undefined
        : kind === 'Secret'
          ? secretValue(source, ref.key)
          : (source as { data?: Record<string, string> }).data?.[ref.key];
    if (value !== undefined) env[variable.name] = value;
    else if (!ref.optional) {
      throw new Error(`${variable.name}: ${kind} ${ref.name} key ${ref.key} does not exist`);
    }
  }
  return env;
}

/**
 * The Pod's filesystem outside Kubernetes: each volume mount of the container becomes a folder
 * under `root` (a ConfigMap volume is filled with its keys, a Secret volume with its items from the
 * rendered Secrets or `existing`, as the kubelet does), and `rebase` turns a path inside the
 * container into the path on this machine.
 */
export function podFilesystem(
  deployment: DeploymentObject,
  objects: KubernetesObject[],
  root: string,
  existing: KubernetesObject[] = [],
): { rebase: <T>(value: T) => T; hostPath: (containerPath: string) => string } {
  const container = exporterContainer(deployment);
  const volumes = deployment.spec.template.spec.volumes ?? [];
  const mounts = (container.volumeMounts ?? []).map((mount) => {
    const dir = join(root, mount.name);
    mkdirSync(dir, { recursive: true });
    const volume = volumes.find((v) => v.name === mount.name);
    if (volume?.configMap) {
      const configMap = objects.find(
        (o) => o.kind === 'ConfigMap' && o.metadata.name === volume.configMap!.name,
      ) as { data?: Record<string, string> } | undefined;
      for (const [key, text] of Object.entries(configMap?.data ?? {})) {
        writeFileSync(join(dir, key), text);
      }
    }
    if (volume?.secret) {
      const { secretName, items } = volume.secret;
      const secret = [...objects, ...existing].find(
        (o) => o.kind === 'Secret' && o.metadata.name === secretName,
      );
      if (!secret) throw new Error(`volume ${volume.name}: Secret ${secretName} does not exist`);
      // Without items the kubelet writes every key under its own name.
      const { data, stringData } = secret as {
        data?: Record<string, string>;
        stringData?: Record<string, string>;
      };
      const all = Object.keys({ ...data, ...stringData }).map((key) => ({ key, path: key }));
      for (const item of items ?? all) {
        const text = secretValue(secret, item.key);
        // The kubelet does not start a Pod whose Secret volume names a missing key.
        if (text === undefined) {
          throw new Error(`volume ${volume.name}: Secret ${secretName} has no key ${item.key}`);
        }
        writeFileSync(join(dir, item.path), text);
      }
    }
    return { mountPath: mount.mountPath, dir };
  });
  const hostPath = (containerPath: string): string => {
    const mount = mounts.find(
      (m) => containerPath === m.mountPath || containerPath.startsWith(`${m.mountPath}/`),
    );
    if (!mount) throw new Error(`${containerPath} is on no volume (the root filesystem is read-only)`);
    return join(mount.dir, containerPath.slice(mount.mountPath.length));
  };
  const onVolume = (text: string): boolean =>
    mounts.some((m) => text === m.mountPath || text.startsWith(`${m.mountPath}/`));
  const rebase = <T>(value: T): T => {
    if (typeof value === 'string') return (onVolume(value) ? hostPath(value) : value) as T;
    if (Array.isArray(value)) return value.map((item: unknown) => rebase(item)) as T;
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key, rebase(item)]),
      ) as T;
    }
    return value;
  };
  return { rebase, hostPath };
}
