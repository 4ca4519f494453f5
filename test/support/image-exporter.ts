/**
 * Runs the exporter from its container image, as a container runtime would: the image's own
 * entrypoint, command, user, working directory and environment, on its root filesystem mounted
 * read-only, with the SQLite volume and the config folder bound in.
 *
 * podman cannot start containers on this machine (crun's setrlimit(RLIMIT_NPROC) is refused, and
 * crun alone gives up on the host's hybrid cgroups), so the image's root filesystem (`buildah
 * mount`, the very layers built) runs under `unshare`: a private mount namespace, the root bound
 * read-only, `--root`/`--wd` for the image's root and working directory and `--setuid`/`--setgid`
 * for its user. The network is the host's, so the ports in the config are loopback ports here.
 */
import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { buildah, type ExporterImage } from '../bed/image.js';
import { freePort } from '../../tools/ports.js';
import { httpOk, startServer } from '../../tools/process.js';
import type { ExporterProcess } from './exporter-process.js';

/** The image's user as numbers; a name would need the image's /etc/passwd, which ours avoids. */
function numericUser(user: string): { uid: number; gid: number } {
  const [uid, gid = uid] = user.split(':').map(Number);
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid === 0) {
    throw new Error(`the image's USER must be a non-root numeric uid[:gid], not "${user}"`);
  }
  return { uid: uid!, gid: gid! };
}

// Mounts in the private namespace, then the image's process. $1 rootfs, $2 mount point, $3 data,
// $4 config folder, $5 workdir, $6 uid, $7 gid; the rest is the command line. /dev and /proc are
// the host's (a runtime gives its own); /tmp is a fresh tmpfs.
const launcher = `set -e
rootfs=$1 root=$2 data=$3 conf=$4 wd=$5 uid=$6 gid=$7; shift 7
mount --bind "$rootfs" "$root"
mount --bind "$data" "$root/var/lib/twinops"
mount --bind "$conf" "$root/etc/twinops"
mount -o remount,bind,ro "$root/etc/twinops"
mount --rbind /dev "$root/dev"
mount --rbind /proc "$root/proc"
mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
mount -o remount,bind,ro "$root"
exec /usr/bin/unshare --root="$root" --wd="$wd" --setuid="$uid" --setgid="$gid" -- "$@"`;

/**
 * Starts the image's exporter with `config` (the YAML document minus `server`, which is set to
 * free loopback ports) at /etc/twinops/config.yaml, the path its CMD names.
 */
export async function startImageExporter(
  image: ExporterImage,
  config: Record<string, unknown>,
  options: {
    /** Replace the image's CMD, as a Pod's `args` does. */
    args?: string[];
    /** Added to the image's environment, as a Pod's `env` is. */
    env?: Record<string, string>;
  } = {},
): Promise<ExporterProcess> {
  const { uid, gid } = numericUser(image.config.user);
  const ports = { otlp: await freePort(), metrics: await freePort(), api: await freePort() };
  const container = await buildah(['from', '--pull-never', image.reference]);
  const rootfs = await buildah(['mount', container]);
  const release = (): Promise<unknown> => buildah(['rm', container]).catch(() => undefined);
  const env = {
    ...Object.fromEntries(
      image.config.env.map((entry) => {
        const at = entry.indexOf('=');
        return [entry.slice(0, at), entry.slice(at + 1)];
      }),
    ),
    ...options.env,
  };
  try {
    const server = await startServer({
      name: 'exporter-image',
      command: '/usr/bin/unshare',
      // The launcher runs on the host (its PATH); the exporter sees the image's environment only.
      env: { ...env, PATH: `${env.PATH ?? ''}:/usr/sbin:/usr/bin:/sbin:/bin` },
      prepare: (dir) => {
        for (const sub of ['root', 'data', 'conf']) mkdirSync(join(dir, sub));
        chownSync(join(dir, 'data'), uid, gid);
        const document = {
          ...config,
          server: {
            host: '127.0.0.1',
            otlpPort: ports.otlp,
            metricsPort: ports.metrics,
            apiPort: ports.api,
          },
        };
        writeFileSync(join(dir, 'conf', 'config.yaml'), stringify(document));
      },
      args: (dir) => [
        '--mount',
        '--propagation',
        'private',
        '--',
        'sh',
        '-c',
        launcher,
        'launcher',
        rootfs,
        join(dir, 'root'),
        join(dir, 'data'),
        join(dir, 'conf'),
        image.config.workingDir,
        String(uid),
        String(gid),
        ...image.config.entrypoint,
        ...(options.args ?? image.config.cmd),
      ],
      ready: () => httpOk(`http://127.0.0.1:${ports.metrics}/readyz`),
    });
    return {
      ...server,
      stop: async () => {
        await server.stop();
        await release();
      },
      otlpUrl: `http://127.0.0.1:${ports.otlp}`,
      metricsUrl: `http://127.0.0.1:${ports.metrics}`,
      apiUrl: `http://127.0.0.1:${ports.api}`,
      metricsTarget: `127.0.0.1:${ports.metrics}`,
      configPath: '/etc/twinops/config.yaml',
      ports,
    };
  } catch (error) {
    await release();
    throw error;
  }
}
