import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runRoot } from './paths.js';
import { httpOk, isAlive, startServer } from './process.js';
import { requireCommand } from '../test/bed/system.js';

describe('test bed failure paths say what is wrong', () => {
  it('names a missing command and how to get it', () => {
    expect(() =>
      requireCommand('twinops-no-such-tool', 'apt-get install twinops-no-such-tool'),
    ).toThrow('twinops-no-such-tool is missing: apt-get install twinops-no-such-tool');
  });

  it('reports a server that exits before it is ready, with its own log, and cleans up', async () => {
    let instanceDir = '';
    const attempt = startServer({
      name: 'crasher',
      command: 'sh',
      args: (dir) => {
        instanceDir = dir;
        return ['-c', 'echo "bind: address already in use" >&2; exit 3'];
      },
      ready: async () => false,
    });
    await expect(attempt).rejects.toThrow(
      /crasher exited with 3 before it was ready[\s\S]*address already in use/,
    );
    expect(existsSync(instanceDir)).toBe(false);
  });

  it('gives up on a server that never becomes ready, stopping it', async () => {
    const sleepers = (): string[] =>
      readdirSync(runRoot).filter((entry) => entry.startsWith('sleeper-'));
    const attempt = startServer({
      name: 'sleeper',
      command: 'sleep',
      args: () => ['60'],
      ready: async () => false,
      readyTimeoutMs: 1_000,
    });
    await expect(attempt).rejects.toThrow(/sleeper was not ready within 1 s/);
    expect(sleepers()).toEqual([]);
  });

  it('starts, reports ready and stops a real server process', async () => {
    const server = await startServer({
      name: 'http',
      command: process.execPath,
      args: () => [
        '-e',
        "require('http').createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1', function () { console.log('port ' + this.address().port) })",
      ],
      ready: async (log) => {
        const port = /port (\d+)/.exec(log())?.[1];
        return port !== undefined && (await httpOk(`http://127.0.0.1:${port}/`));
      },
    });
    expect(isAlive(server.pid)).toBe(true);
    await server.stop();
    expect(isAlive(server.pid)).toBe(false);
    expect(existsSync(server.instanceDir)).toBe(false);
  });
});
