import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { reapStaleInstances, startPrometheus, waitFor } from '../bed/index.js';
import { runRoot } from '../../tools/paths.js';
import { isAlive } from '../../tools/process.js';

const hangScript = fileURLToPath(new URL('fixtures/start-and-hang.ts', import.meta.url));

/** Spawns a short-lived process and returns its pid once it has exited: a pid known to be dead. */
async function deadPid(): Promise<number> {
  const child = spawn('true');
  await new Promise((resolveExit) => child.once('exit', resolveExit));
  return child.pid ?? 0;
}

describe('test bed hygiene: a killed test leaves nothing behind', () => {
  it('stops the server of a test process killed with SIGKILL', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', hangScript], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const started = await new Promise<{ pid: number; instanceDir: string }>(
      (resolveLine, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('\n'))
            resolveLine(
              JSON.parse(out.split('\n')[0] ?? '') as { pid: number; instanceDir: string },
            );
        });
        child.once('exit', (code) => reject(new Error(`fixture exited early with ${code}`)));
      },
    );
    expect(isAlive(started.pid)).toBe(true);

    child.kill('SIGKILL');
    await waitFor('the orphaned Prometheus to be stopped by its watchdog', () =>
      isAlive(started.pid) ? undefined : true,
    );
    // The next start reaps the dead run's data dir and comes up on a port of its own.
    const next = await startPrometheus();
    try {
      expect(existsSync(started.instanceDir)).toBe(false);
      expect(isAlive(next.pid)).toBe(true);
    } finally {
      await next.stop();
    }
    expect(existsSync(next.instanceDir)).toBe(false);
  });

  it('reaps a stale instance: kills its process group and deletes its data', async () => {
    const orphan = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    const dir = join(runRoot, `stale-${await deadPid()}-test`);
    mkdirSync(join(dir, 'data'), { recursive: true });
    writeFileSync(
      join(dir, 'instance.json'),
      JSON.stringify({ name: 'stale', owner: await deadPid(), pid: orphan.pid, watchdog: 0 }),
    );
    try {
      expect(reapStaleInstances()).toContain(`stale-${dir.split('-').at(-2)}-test`);
      await waitFor('the orphan to die', () => (isAlive(orphan.pid ?? 0) ? undefined : true));
      expect(existsSync(dir)).toBe(false);
    } finally {
      orphan.kill('SIGKILL');
    }
  });
});
