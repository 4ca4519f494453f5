/**
 * The exporter's container image, built by the test bed from exporter/Containerfile with buildah.
 *
 * No registry can be reached here, so the bed first builds the two base images the Containerfile
 * names, under the same names, from Debian packages (mmdebstrap) and the npm registry's Node
 * package: `docker.io/library/node:24-bookworm` (Debian with a C/C++ toolchain, Node and npm: the
 * build stage) and `gcr.io/distroless/nodejs24-debian12` (libc, libstdc++, tzdata and Node at
 * /nodejs/bin/node, no shell: the runtime). The Containerfile itself builds unchanged, as it
 * would against the registries.
 *
 * Every image carries a label with the hash of its inputs; an image whose label matches is reused,
 * so a second run costs seconds. Images live in a storage of the bed's own (overlay, under the
 * cache), never in the machine's.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { progress, withHeartbeat } from '../../tools/log.js';
import { installNode, NODE_VERSION, NPM_VERSION, registryPackage } from './node.js';
import { cachePath, repoRoot } from '../../tools/paths.js';
import { run } from '../../tools/process.js';
import { installDebianPackages, requireCommand } from './system.js';

const inputsLabel = 'dev.twinops.bed.inputs';
const debianMirror = 'http://deb.debian.org/debian';
const debianSuite = 'bookworm';

const nodeMajor = NODE_VERSION.split('.')[0]!;
export const BUILD_BASE = `docker.io/library/node:${nodeMajor}-bookworm`;
export const RUNTIME_BASE = `gcr.io/distroless/nodejs${nodeMajor}-debian12`;

/** The image the chart pulls by default: `ghcr.io/twinops/exporter:<version>`. */
export function exporterImageReference(): string {
  const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    version: string;
  };
  return `ghcr.io/twinops/exporter:${version}`;
}

/** Environment for buildah: the bed's own storage, and chroot isolation (no container runtime). */
export function containerEnv(): NodeJS.ProcessEnv {
  const storage = cachePath('containers');
  const conf = join(storage, 'storage.conf');
  if (!existsSync(conf)) {
    mkdirSync(storage, { recursive: true });
    writeFileSync(
      conf,
      `[storage]\ndriver = "overlay"\ngraphroot = "${join(storage, 'storage')}"\nrunroot = "/run/twinops-containers"\n`,
    );
  }
  return { ...process.env, CONTAINERS_STORAGE_CONF: conf, BUILDAH_ISOLATION: 'chroot' };
}

export const buildah = async (args: string[]): Promise<string> =>
  (await run('buildah', args, { env: containerEnv() })).stdout.trim();

/** An image's config as buildah reports it (labels, entrypoint, user, environment). */
export interface ImageConfig {
  id: string;
  /** As buildah reports it (`197 MB`). */
  size: string;
  labels: Record<string, string>;
  entrypoint: string[];
  cmd: string[];
  user: string;
  workingDir: string;
  env: string[];
  healthcheck?: { Test: string[] };
  stopSignal?: string;
  volumes: string[];
}

export async function inspectImage(reference: string): Promise<ImageConfig | undefined> {
  let raw: string;
  try {
    raw = await buildah(['inspect', '--type', 'image', reference]);
  } catch {
    return undefined;
  }
  const info = JSON.parse(raw) as {
    FromImageID: string;
    Docker?: { config?: Record<string, unknown> };
    OCIv1: { config?: Record<string, unknown> };
  };
  const docker = info.Docker?.config ?? {};
  const oci = info.OCIv1.config ?? {};
  const pick = <T>(key: string, fallback: T): T =>
    ((oci[key] ?? docker[key.replace(/^[a-z]/, (c) => c.toUpperCase())]) as T) ?? fallback;
  const sizes = await buildah(['images', '--json', reference]);
  const [image] = JSON.parse(sizes) as { size?: string }[];
  return {
    id: info.FromImageID,
    size: image?.size ?? 'unknown',
    labels: pick('Labels', {}),
    entrypoint: pick('Entrypoint', []),
    cmd: pick('Cmd', []),
    user: pick('User', ''),
    workingDir: pick('WorkingDir', '/'),
    env: pick('Env', []),
    healthcheck: docker.Healthcheck as { Test: string[] } | undefined,
    stopSignal: pick<string | undefined>('StopSignal', undefined),
    volumes: Object.keys(pick('Volumes', {})),
  };
}

const sha256 = (...parts: (string | Buffer)[]): string => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex');
};

/**
 * Commits a base image from a Debian root filesystem (mmdebstrap) plus a staging folder copied
 * over it, unless an image of that name already carries the same inputs hash.
 */
async function baseImage(spec: {
  reference: string;
  mmdebstrap: string[];
  stage: (dir: string) => Promise<void>;
  config: string[];
  inputs: string;
}): Promise<string> {
  const existing = await inspectImage(spec.reference);
  if (existing?.labels[inputsLabel] === spec.inputs) return existing.id;
  const work = mkdtempSync(join(tmpdir(), 'twinops-base-'));
  try {
    const rootfs = join(work, 'rootfs.tar');
    await withHeartbeat(
      'image',
      `mmdebstrap ${spec.reference} (Debian ${debianSuite}, ~1 min)`,
      () =>
        run('mmdebstrap', [
          '--mode=root',
          '--format=tar',
          '--dpkgopt=path-exclude=/usr/share/doc/*',
          '--dpkgopt=path-exclude=/usr/share/man/*',
          '--dpkgopt=path-exclude=/usr/share/locale/*',
          ...spec.mmdebstrap,
          debianSuite,
          rootfs,
          debianMirror,
        ]),
    );
    const staging = join(work, 'staging');
    mkdirSync(staging);
    await spec.stage(staging);
    const container = await buildah(['from', 'scratch']);
    try {
      await buildah(['add', container, rootfs, '/']);
      await buildah(['add', container, staging, '/']);
      await buildah([
        'config',
        ...spec.config,
        '--label',
        `${inputsLabel}=${spec.inputs}`,
        container,
      ]);
      await buildah(['commit', '--quiet', container, spec.reference]);
    } finally {
      await buildah(['rm', container]).catch(() => undefined);
    }
    progress('image', `built ${spec.reference}`);
    return (await inspectImage(spec.reference))!.id;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const runtimePackages = ['base-files', 'netbase', 'tzdata', 'libc6', 'libgcc-s1', 'libstdc++6'];
const buildPackages = ['ca-certificates', 'python3', 'make', 'g++'];

/** The distroless runtime's equivalent: its package set, users and Node path, no shell. */
async function runtimeBase(node: string): Promise<string> {
  return baseImage({
    reference: RUNTIME_BASE,
    mmdebstrap: ['--variant=extract', `--include=${runtimePackages.join(',')}`],
    inputs: sha256('runtime-1', NODE_VERSION, runtimePackages.join(',')),
    stage: async (dir) => {
      mkdirSync(join(dir, 'etc'));
      writeFileSync(
        join(dir, 'etc', 'passwd'),
        'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n',
      );
      writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n');
      mkdirSync(join(dir, 'nodejs', 'bin'), { recursive: true });
      cpSync(join(node, 'bin', 'node'), join(dir, 'nodejs', 'bin', 'node'));
      mkdirSync(join(dir, 'home', 'nonroot'), { recursive: true });
      mkdirSync(join(dir, 'tmp'));
      chmodSync(join(dir, 'tmp'), 0o1777);
    },
    config: [
      '--entrypoint',
      '["/nodejs/bin/node"]',
      '--env',
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      '--workingdir',
      '/home/nonroot',
    ],
  });
}

/**
 * The official Node image's equivalent for the build stage: Debian with a C/C++ toolchain and
 * Python (node-gyp), Node and npm under /usr/local. It also trusts this machine's certificate
 * bundle (its npm registry may sit behind a proxy of its own) and compiles native addons against
 * the headers it carries, where the official image would download prebuilt ones.
 */
async function buildBase(node: string): Promise<string> {
  const npm = await registryPackage('image', `npm@${NPM_VERSION}`);
  const hostBundle = '/etc/ssl/certs/ca-certificates.crt';
  const bundle = existsSync(hostBundle) ? readFileSync(hostBundle) : Buffer.alloc(0);
  return baseImage({
    reference: BUILD_BASE,
    mmdebstrap: ['--variant=minbase', `--include=${buildPackages.join(',')}`],
    inputs: sha256('build-1', NODE_VERSION, NPM_VERSION, buildPackages.join(','), bundle),
    stage: async (dir) => {
      const local = join(dir, 'usr', 'local');
      mkdirSync(join(local, 'bin'), { recursive: true });
      mkdirSync(join(local, 'lib', 'node_modules'), { recursive: true });
      cpSync(join(node, 'bin', 'node'), join(local, 'bin', 'node'));
      cpSync(join(node, 'include'), join(local, 'include'), { recursive: true });
      cpSync(npm, join(local, 'lib', 'node_modules', 'npm'), { recursive: true });
      symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(local, 'bin', 'npm'));
      symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(local, 'bin', 'npx'));
      if (bundle.length) {
        mkdirSync(join(local, 'share', 'twinops'), { recursive: true });
        writeFileSync(join(local, 'share', 'twinops', 'ca-bundle.crt'), bundle);
      }
    },
    config: [
      '--cmd',
      'node',
      '--env',
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      '--env',
      `NODE_VERSION=${NODE_VERSION}`,
      '--env',
      'npm_config_nodedir=/usr/local',
      ...(bundle.length
        ? ['--env', 'NODE_EXTRA_CA_CERTS=/usr/local/share/twinops/ca-bundle.crt']
        : []),
    ],
  });
}

/** The files the image is built from, hashed: the same inputs give the same image. */
async function contextHash(): Promise<string> {
  const listed = await run(
    'git',
    [
      'ls-files',
      '--cached',
      '--others',
      '--exclude-standard',
      '--',
      'exporter',
      'contracts',
      'package.json',
      'package-lock.json',
      'tsconfig.base.json',
      'alerts/package.json',
      'dashboards/package.json',
      'test/package.json',
      '.containerignore',
    ],
    { cwd: repoRoot },
  );
  const hash = createHash('sha256');
  for (const file of listed.stdout.split('\n').filter(Boolean).sort()) {
    const path = join(repoRoot, file);
    if (!existsSync(path)) continue;
    hash.update(file).update('\0').update(readFileSync(path)).update('\0');
  }
  return hash.digest('hex');
}

export interface ExporterImage {
  reference: string;
  config: ImageConfig;
}

/**
 * Builds `ghcr.io/twinops/exporter:<version>` from exporter/Containerfile (and its bases), or
 * reuses the image built from the same inputs.
 */
export async function buildExporterImage(): Promise<ExporterImage> {
  await installDebianPackages('image', [
    { name: 'buildah', provides: '/usr/bin/buildah' },
    { name: 'mmdebstrap', provides: '/usr/bin/mmdebstrap' },
  ]);
  requireCommand('unshare', 'util-linux provides it');
  const node = await installNode();
  const bases = [await buildBase(node), await runtimeBase(node)];
  const reference = exporterImageReference();
  // The revision is an input too (build_info reports it); only the last stage depends on it, so
  // a new commit with the same files costs seconds, the other stages coming from the layer cache.
  const revision = (await run('git', ['rev-parse', 'HEAD'], { cwd: repoRoot })).stdout.trim();
  const inputs = sha256('exporter-1', await contextHash(), revision, ...bases);
  const existing = await inspectImage(reference);
  if (existing?.labels[inputsLabel] === inputs) return { reference, config: existing };
  await withHeartbeat(
    'image',
    `buildah build ${reference} (npm ci and a native build: ~4 min cold)`,
    () =>
      buildah([
        'build',
        '--layers',
        // A failed step must not leave its working container (and its mount) behind.
        '--force-rm',
        '--pull-never',
        '--format',
        'docker',
        '--network',
        'host',
        '--file',
        join(repoRoot, 'exporter', 'Containerfile'),
        '--build-arg',
        `REVISION=${revision}`,
        '--label',
        `${inputsLabel}=${inputs}`,
        '--tag',
        reference,
        repoRoot,
      ]),
  );
  const config = (await inspectImage(reference))!;
  progress('image', `${reference}: ${config.size}`);
  return { reference, config };
}
