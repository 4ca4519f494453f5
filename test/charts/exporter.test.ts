import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../bed/index.js';
import { repoRoot } from '../bed/paths.js';
import { startExporterProcess, type ExporterProcess } from '../support/exporter-process.js';
import {
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

/** The rendered Pod, laid out on this machine: its volumes as temp folders, its env resolved. */
async function renderedPod(values: Values, root: string) {
  const objects = await render(values);
  const deployment = onlyOne<DeploymentObject>(objects, 'Deployment');
  const container = exporterContainer(deployment);
  const fs = podFilesystem(deployment, objects, root);
  const args = container.args ?? [];
  const configInPod = args[args.indexOf('--config') + 1];
  if (!configInPod) throw new Error('the container is not given --config');
  return {
    configPath: fs.hostPath(configInPod),
    // Paths inside the Pod (the data volume, TMPDIR) point at the matching temp folders.
    config: fs.rebase(renderedConfig(objects)),
    env: fs.rebase(resolveEnv(container, objects)),
    hostPath: fs.hostPath,
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

// Keeps the helper honest: a writer that ignores the data volume is caught by hostPath.
describe('the Pod filesystem stand-in', () => {
  it('refuses a path on the read-only root filesystem', async () => {
    const pod = await renderedPod({}, tempRoot());
    expect(() => pod.hostPath('/app/twinops-state.db')).toThrow(/read-only/);
    writeFileSync(pod.hostPath('/tmp/x'), 'ok');
  });
});
