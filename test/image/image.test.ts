import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExporterImage, type ExporterImage } from '../bed/image.js';
import { NODE_VERSION } from '../bed/node.js';
import { repoRoot } from '../../tools/paths.js';
import { run } from '../../tools/process.js';
import { exporterContainer, onlyOne, render, renderedConfig, resolveEnv } from '../charts/chart.js';
import type { DeploymentObject } from '../charts/chart.js';
import { truthSuite } from '../e2e/truth.js';
import type { ExporterProcess } from '../support/exporter-process.js';
import { startImageExporter } from '../support/image-exporter.js';

/**
 * The exporter's container image, built from exporter/Containerfile by the test bed (test/bed/
 * image.ts) and run from its own root filesystem (test/support/image-exporter.ts): its manners as
 * a container, the truth test against it, and the chart's default release starting it.
 */

let image: ExporterImage;
// Built during `npm test`'s setup; this only finds it (or builds it when the file runs alone).
beforeAll(async () => {
  image = await buildExporterImage();
}, 900_000);

const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  version: string;
};

/** Runs a command inside a running image's root, as its user, like a runtime's exec. */
const execIn = (exporter: ExporterProcess, command: string[], env: Record<string, string> = {}) =>
  run(
    'nsenter',
    [
      '--target',
      String(exporter.pid),
      '--mount',
      '--root',
      '--wd',
      '--setuid',
      '10001',
      '--setgid',
      '10001',
      '--',
      ...command,
    ],
    { env: { PATH: '/usr/bin:/bin', ...env } },
  );

const mountOptionsOfRoot = (pid: number): string[] => {
  // mountinfo: id parent major:minor root mount-point options … (the process's own view).
  const rootMount = readFileSync(`/proc/${pid}/mountinfo`, 'utf8')
    .split('\n')
    .map((line) => line.split(' '))
    .filter((fields) => fields[4] === '/')
    .at(-1);
  return rootMount?.[5]?.split(',') ?? [];
};

describe('the exporter image', () => {
  it('is ghcr.io/twinops/exporter:<version>, a non-root Node 24 service with a volume, a healthcheck and SIGTERM', () => {
    expect(image.reference).toBe(`ghcr.io/twinops/exporter:${version}`);
    expect(image.config.user).toBe('10001:10001');
    expect(image.config.entrypoint).toEqual([
      '/nodejs/bin/node',
      '/app/exporter/bin/twinops-exporter.mjs',
    ]);
    expect(image.config.cmd).toEqual(['--config', '/etc/twinops/config.yaml']);
    expect(image.config.volumes).toEqual(['/var/lib/twinops']);
    expect(image.config.stopSignal).toBe('SIGTERM');
    expect(image.config.healthcheck?.Test).toEqual([
      'CMD',
      '/nodejs/bin/node',
      '/app/exporter/bin/healthcheck.mjs',
    ]);
    expect(image.config.env).toContain('NODE_ENV=production');
    expect(image.config.env.some((e) => /^TWINOPS_REVISION=[0-9a-f]{40}$/.test(e))).toBe(true);
  });

  describe('running', () => {
    let exporter: ExporterProcess;
    beforeAll(async () => {
      exporter = await startImageExporter(image, {
        state: { snapshot: { path: '/var/lib/twinops/state.db', interval: '1s' } },
      });
    });
    afterAll(async () => exporter?.stop());

    it('runs as uid 10001 on Node 24 on a read-only root filesystem', () => {
      const status = readFileSync(`/proc/${exporter.pid}/status`, 'utf8');
      expect(status).toMatch(/^Uid:\s+10001\s+10001\s+10001\s+10001$/m);
      expect(status).toMatch(/^Gid:\s+10001\s+10001\s+10001\s+10001$/m);
      expect(mountOptionsOfRoot(exporter.pid)).toContain('ro');
      expect(readFileSync(`/proc/${exporter.pid}/cmdline`, 'utf8').split('\0')[0]).toBe(
        '/nodejs/bin/node',
      );
    });

    it('cannot write its root filesystem, and writes its state on the volume', async () => {
      const attempt = execIn(exporter, [
        '/nodejs/bin/node',
        '-e',
        "require('fs').writeFileSync('/app/x', '')",
      ]);
      await expect(attempt).rejects.toThrow(/EROFS/);
      const data = join(exporter.instanceDir, 'data');
      await expect.poll(() => readdirSync(data), { timeout: 10_000 }).toContain('state.db');
      expect(statSync(join(data, 'state.db')).uid).toBe(10001);
    });

    it('passes its own HEALTHCHECK when ready, and fails it against a port nobody serves', async () => {
      const healthcheck = image.config.healthcheck!.Test.slice(1);
      await expect(
        execIn(exporter, healthcheck, { TWINOPS_HEALTHCHECK_URL: `${exporter.metricsUrl}/readyz` }),
      ).resolves.toBeDefined();
      await expect(
        execIn(exporter, healthcheck, { TWINOPS_HEALTHCHECK_URL: 'http://127.0.0.1:1/readyz' }),
      ).rejects.toThrow(/exited with 1/);
    });

    it(`reports its build: the version, the revision built and Node ${NODE_VERSION}`, async () => {
      const revision = image.config.env
        .find((e) => e.startsWith('TWINOPS_REVISION='))!
        .split('=')[1];
      const metrics = await (await fetch(`${exporter.metricsUrl}/metrics`)).text();
      const line = metrics.split('\n').find((l) => l.startsWith('twin_exporter_build_info{'));
      expect(line).toContain(`version="${version}"`);
      expect(line).toContain(`revision="${revision}"`);
      expect(line).toContain(`node_version="v${NODE_VERSION}"`);
    });
  });
});

truthSuite('truth, against the exporter image', (config) => startImageExporter(image, config));

describe('the chart, rendered with defaults', () => {
  let exporter: ExporterProcess | undefined;
  afterAll(async () => exporter?.stop());

  it('pulls exactly the image built, runs it as the image’s user with a read-only root, and its rendered config and args start it', async () => {
    const objects = await render({});
    const deployment = onlyOne<DeploymentObject>(objects, 'Deployment');
    const container = exporterContainer(deployment) as ReturnType<typeof exporterContainer> & {
      image: string;
    };
    expect(container.image).toBe(image.reference);
    const security: { runAsUser?: number; runAsGroup?: number; readOnlyRootFilesystem?: boolean } =
      {
        ...deployment.spec.template.spec.securityContext,
        ...container.securityContext,
      };
    expect(`${security.runAsUser}:${security.runAsGroup}`).toBe(image.config.user);
    expect(security.readOnlyRootFilesystem).toBe(true);
    const dataMount = container.volumeMounts?.find((m) => m.name === 'data');
    expect(image.config.volumes).toContain(dataMount?.mountPath);

    // The Pod's args replace the image's CMD; its config is the ConfigMap's file. Only `server`
    // differs: loopback ports free on this machine instead of the Service's.
    exporter = await startImageExporter(image, renderedConfig(objects), {
      args: container.args ?? [],
      env: resolveEnv(container, objects),
    });
    const ready = await fetch(`${exporter.metricsUrl}/readyz`);
    expect(ready.status).toBe(200);
  });
});
