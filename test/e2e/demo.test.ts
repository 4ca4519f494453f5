import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { freePort, waitFor } from '../bed/index.js';
import { repoRoot } from '../bed/paths.js';

describe('npm run demo', () => {
  it('prints the URLs it serves, serves them, and stops cleanly on Ctrl-C (SIGINT)', async () => {
    const port = await freePort();
    const demo = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
      cwd: repoRoot,
      env: { ...process.env, TWINOPS_OPS_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    demo.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    demo.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolveExit) => demo.once('exit', resolveExit));
    try {
      const healthUrl = await waitFor(
        'the demo to print its health URL',
        () => /health\s+(\S+)/.exec(output)?.[1],
      );
      expect(healthUrl).toBe(`http://127.0.0.1:${port}/healthz`);
      expect(output).toContain(`http://127.0.0.1:${port}/metrics`);
      expect((await fetch(healthUrl)).status).toBe(200);
      demo.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(output).toContain('demo stopped (SIGINT)');
      await expect(fetch(healthUrl)).rejects.toThrow();
    } finally {
      demo.kill('SIGKILL');
    }
  });

  it('fails with a clear message when its port is taken', async () => {
    const port = await freePort();
    const first = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
      cwd: repoRoot,
      env: { ...process.env, TWINOPS_OPS_PORT: String(port) },
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
        env: { ...process.env, TWINOPS_OPS_PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let secondErr = '';
      second.stderr.on('data', (chunk: Buffer) => (secondErr += chunk.toString()));
      const code = await new Promise<number | null>((resolveExit) =>
        second.once('exit', resolveExit),
      );
      expect(code).toBe(1);
      expect(secondErr).toContain(`port ${port} is taken: set TWINOPS_OPS_PORT`);
    } finally {
      first.kill('SIGKILL');
    }
  });
});
