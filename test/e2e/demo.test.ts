import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '../bed/index.js';
import { repoRoot } from '../../tools/paths.js';
import { buildPreviewBundle } from '../../tools/preview-host.js';

async function demoEnv(): Promise<NodeJS.ProcessEnv> {
  return {
    ...process.env,
    TWINOPS_OTLP_PORT: String(await freePort()),
    TWINOPS_METRICS_PORT: String(await freePort()),
    TWINOPS_API_PORT: String(await freePort()),
    TWINOPS_PREVIEW_PORT: String(await freePort()),
    TWINOPS_SNAPSHOT_PATH: ':memory:',
    TWINOPS_LEDGER_PATH: ':memory:',
    TWINOPS_DEMO_ASSETS: '6',
    TWINOPS_DEMO_DEVICE_MODES: 'refuse=interlock engaged:conveyor-2',
  };
}

describe('npm run demo', () => {
  // The demo builds the preview host's bundle when the plugin changed: do it here, unhurried.
  beforeAll(async () => {
    await buildPreviewBundle();
  });

  it('prints the URLs it serves, fills them with the simulated fleet, answers commands through the reference devices, and stops cleanly on Ctrl-C', async () => {
    const env = await demoEnv();
    const demo = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    demo.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    demo.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolveExit) => demo.once('exit', resolveExit));
    try {
      const metricsUrl = await waitFor(
        'the demo to print its metrics URL',
        () => /^\s+metrics\s+(\S+)/m.exec(output)?.[1],
      );
      expect(metricsUrl).toBe(`http://127.0.0.1:${env.TWINOPS_METRICS_PORT}/metrics`);
      const apiUrl = /twin API\s+(\S+)/.exec(output)?.[1];
      expect(apiUrl).toBe(`http://127.0.0.1:${env.TWINOPS_API_PORT}/api/v1/assets`);
      // The simulator's points reach the exporter: all six assets show up in the twin API.
      const assets = await waitFor('the simulated assets in the twin API', async () => {
        const page = (await (await fetch(apiUrl!)).json()) as { total: number };
        return page.total === 6 ? page : undefined;
      });
      expect(assets.total).toBe(6);
      // The guarded command gateway is on: a dry run with this run's token gets every verdict.
      const token = /^\s+token\s+(\S+)$/m.exec(output)?.[1];
      expect(token).toMatch(/^[A-Za-z0-9_-]{24}$/);
      const dryRun = await fetch(`http://127.0.0.1:${env.TWINOPS_API_PORT}/api/v1/commands`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({
          idempotencyKey: 'demo-test-0001',
          assetId: 'conveyor-1',
          name: 'setSpeed',
          params: { mps: 1.6 },
          reason: 'demo test',
          dryRun: true,
        }),
      });
      expect(dryRun.status).toBe(200);
      expect(((await dryRun.json()) as { verdicts: unknown[] }).verdicts).toHaveLength(12);
      // The Grafana app's pages, served by the preview host, which reaches the exporter the way
      // Grafana's plugin proxy does: its route for the user's org role, the identity headers and
      // this run's proxy secret.
      const previewUrl = /^\s+preview UI\s+(\S+)/m.exec(output)?.[1];
      expect(previewUrl).toBe(`http://127.0.0.1:${env.TWINOPS_PREVIEW_PORT}/preview/fleet`);
      const page = await fetch(previewUrl!);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<script defer src="\/preview\/assets\/preview\.js">/);
      const proxy = `http://127.0.0.1:${env.TWINOPS_PREVIEW_PORT}/api/plugin-proxy/twinops-twinops-app`;
      const viaProxy = await fetch(`${proxy}/viewer/api/v1/assets`);
      expect(viaProxy.status).toBe(200);
      expect(((await viaProxy.json()) as { total: number }).total).toBe(6);
      const asOlga = await fetch(`${proxy}/editor/api/v1/commands`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Cookie: 'twinops_preview_user=olga' },
        body: JSON.stringify({
          idempotencyKey: 'demo-test-preview-1',
          assetId: 'conveyor-1',
          name: 'setSpeed',
          params: { mps: 1.6 },
          reason: 'demo test',
          dryRun: true,
        }),
      });
      expect(asOlga.status).toBe(200);
      const proxied = (await asOlga.json()) as { verdicts: { guard: string; message: string }[] };
      expect(proxied.verdicts.find((v) => v.guard === 'authentication')?.message).toBe(
        'authenticated as olga (grafana-proxy)',
      );
      // The default signed-in user is a Viewer: the editor route is refused by the proxy itself.
      expect((await fetch(`${proxy}/editor/api/v1/commands`, { method: 'POST' })).status).toBe(403);
      // For real: the in-process reference devices answer, conveyor-2 in the mode set by the env.
      expect(output).toMatch(
        /^\s+devices\s+the reference device agent .*in process; modes refuse=interlock engaged:conveyor-2$/m,
      );
      const commands = `http://127.0.0.1:${env.TWINOPS_API_PORT}/api/v1/commands`;
      const submit = async (assetId: string): Promise<string> => {
        const response = await fetch(commands, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
          body: JSON.stringify({
            idempotencyKey: `demo-test-${assetId}`,
            assetId,
            name: 'setSpeed',
            params: { mps: 1.6 },
            reason: 'demo test',
          }),
        });
        const body = (await response.json()) as { command: { id: string }; verdicts: unknown };
        expect(response.status, JSON.stringify(body.verdicts)).toBe(200);
        return body.command.id;
      };
      const outcomeOf = (id: string) =>
        waitFor(`command ${id} to reach an outcome`, async () => {
          const response = await fetch(`${commands}/${id}`, {
            headers: { Authorization: `Bearer ${token}` },
          });
          const record = (await response.json()) as { outcome?: string; outcomeMessage?: string };
          return record.outcome ? record : undefined;
        });
      // A conveyor's speed comes from the simulator, its mode (which setSpeed's guards need to
      // see) from the devices.
      const conveyors = ['conveyor-1', 'conveyor-2'];
      await waitFor('the conveyors speed and mode in the twin', async () => {
        const seen = await Promise.all(
          conveyors.map(async (id) => {
            const asset = (await (await fetch(`${apiUrl}/${id}`)).json()) as {
              properties?: { property: string; physical: { value: unknown } | null }[];
            };
            const physical = (name: string) =>
              asset.properties?.find((p) => p.property === name)?.physical?.value;
            return physical('mode') === 'auto' && typeof physical('speed') === 'number';
          }),
        );
        return seen.every(Boolean) ? true : undefined;
      });
      const [applied, refused] = await Promise.all(conveyors.map(submit));
      // Applied: the devices' OTLP report of the new speed reached the twin through its ingest.
      expect(await outcomeOf(applied!)).toMatchObject({ outcome: 'applied' });
      expect(await outcomeOf(refused!)).toMatchObject({
        outcome: 'rejected_by_device',
        outcomeMessage: 'interlock engaged',
      });
      expect(output).toContain(`[agent] ${applied} conveyor-1 setSpeed speed=1.6: done`);
      expect(output).toContain(`[agent] ${refused} conveyor-2 setSpeed speed=1.6: refused`);
      expect(await (await fetch(metricsUrl)).text()).toMatch(
        /^twin_points_total\{asset_class="pump",source="physical"\} [1-9]/m,
      );
      demo.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(output).toContain('demo stopped (SIGINT)');
      await expect(fetch(metricsUrl)).rejects.toThrow();
      await expect(fetch(previewUrl!)).rejects.toThrow();
    } finally {
      demo.kill('SIGKILL');
    }
  });

  it('after a SIGKILL, the devices still hold what the ledger says they applied', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'twinops-demo-'));
    const env: NodeJS.ProcessEnv = {
      ...(await demoEnv()),
      TWINOPS_SNAPSHOT_PATH: join(dir, 'state.db'),
      TWINOPS_LEDGER_PATH: join(dir, 'commands.db'),
      TWINOPS_DEMO_DEVICE_MODES: '',
    };
    const api = `http://127.0.0.1:${env.TWINOPS_API_PORT}/api/v1`;
    const proxy = `http://127.0.0.1:${env.TWINOPS_PREVIEW_PORT}/api/plugin-proxy/twinops-twinops-app`;
    const started: ChildProcess[] = [];
    const start = async () => {
      const demo = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
        cwd: repoRoot,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      started.push(demo);
      let output = '';
      demo.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      demo.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const token = await waitFor('the demo to print its token', () =>
        output.includes('Ctrl-C') ? /^\s+token\s+(\S+)$/m.exec(output)?.[1] : undefined,
      );
      return { demo, token, exited: new Promise((done) => demo.once('exit', done)) };
    };
    /** conveyor-1's mode as the twin has it, once a report received after `sinceMs` set it. */
    const reportedMode = (sinceMs: number) =>
      waitFor('a report of conveyor-1 mode', async () => {
        const asset = (await (await fetch(`${api}/assets/conveyor-1`)).json()) as {
          properties?: { property: string; physical: { value: unknown; receivedMs: number } }[];
        };
        const mode = asset.properties?.find((p) => p.property === 'mode')?.physical;
        return mode && mode.receivedMs > sinceMs ? mode.value : undefined;
      });
    try {
      const first = await start();
      expect(await reportedMode(0)).toBe('auto');
      // setMode is high risk: submitted by this run's token, approved by erin through the proxy.
      const submitted = await fetch(`${api}/commands`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${first.token}` },
        body: JSON.stringify({
          idempotencyKey: 'demo-restart-mode',
          assetId: 'conveyor-1',
          name: 'setMode',
          params: { mode: 'manual' },
          reason: 'demo restart test',
        }),
      });
      const { command } = (await submitted.json()) as { command: { id: string; status: string } };
      expect(command.status).toBe('pending_approval');
      const approved = await fetch(`${proxy}/admin/api/v1/commands/${command.id}/approve`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Cookie: 'twinops_preview_user=erin' },
        body: JSON.stringify({ reason: 'second pair of eyes' }),
      });
      expect(approved.status).toBe(200);
      const outcome = (token: string) =>
        waitFor('the command to reach its outcome', async () => {
          const response = await fetch(`${api}/commands/${command.id}`, {
            headers: { Authorization: `Bearer ${token}` },
          });
          return ((await response.json()) as { outcome?: string }).outcome;
        });
      expect(await outcome(first.token)).toBe('applied');

      first.demo.kill('SIGKILL');
      await first.exited;
      const restartedAt = Date.now();
      const second = await start();
      // The device's own report after the restart, not the twin's snapshot, says manual.
      expect(await reportedMode(restartedAt)).toBe('manual');
      expect(await outcome(second.token)).toBe('applied');
      second.demo.kill('SIGINT');
      expect(await second.exited).toBe(0);
    } finally {
      for (const demo of started) demo.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails with a clear message when its port is taken', async () => {
    const env = await demoEnv();
    const first = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      let firstOut = '';
      first.stdout.on('data', (chunk: Buffer) => (firstOut += chunk.toString()));
      await waitFor('the first demo to start', () =>
        firstOut.includes('Ctrl-C') ? true : undefined,
      );
      const second = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
        cwd: repoRoot,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let secondErr = '';
      second.stderr.on('data', (chunk: Buffer) => (secondErr += chunk.toString()));
      const code = await new Promise<number | null>((resolveExit) =>
        second.once('exit', resolveExit),
      );
      expect(code).toBe(1);
      expect(secondErr).toContain('a port is taken: set TWINOPS_OTLP_PORT');
    } finally {
      first.kill('SIGKILL');
    }
  });
});
