import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { usage } from './cli.js';

/** The CLI as users run it: `node exporter/bin/twinops-exporter.mjs …`. */
const bin = fileURLToPath(new URL('../bin/twinops-exporter.mjs', import.meta.url));
const { version } = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string };

const dir = mkdtempSync(join(tmpdir(), 'twinops-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Only PATH and what a test sets: a TWINOPS_* variable of the caller's must not leak in. */
const envOf = (env: Record<string, string>): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH ?? '',
  ...env,
});

function start(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [bin, ...args], { env: envOf(env) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, exited, out: () => stdout, err: () => stderr };
}

async function cli(args: string[], env: Record<string, string> = {}) {
  const run = start(args, env);
  const code = await run.exited;
  return { code, stdout: run.out(), stderr: run.err() };
}

const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

// Each test starts node and the CLI: seconds on a machine busy with other suites.
describe('twinops-exporter', { timeout: 60_000 }, () => {
  it.each([['--help'], ['-h']])('%s prints the usage and exits 0', async (flag) => {
    expect(await cli([flag])).toEqual({ code: 0, stdout: `${usage}\n`, stderr: '' });
  });

  it.each([['--version'], ['-v']])('%s prints the package version and exits 0', async (flag) => {
    expect(await cli([flag])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it.each([
    [['--verbose'], 'unknown option --verbose'],
    [['exporter.yaml'], 'unexpected argument "exporter.yaml"'],
    [['--config'], '--config needs a file'],
  ])('%j: names the argument, prints the usage on stderr, exits 2', async (args, message) => {
    expect(await cli(args)).toEqual({
      code: 2,
      stdout: '',
      stderr: `twinops-exporter: ${message}\n${usage}\n`,
    });
  });

  it('refuses a bad configuration with a message naming the key, exit 2', async () => {
    const bad = file('bad.yaml', 'sli:\n  freshness:\n    staleAfter: soon\n');
    const result = await cli(['--config', bad]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('sli.freshness.staleAfter: must be a duration');
    expect(result.stderr).not.toMatch(/^\{/m);
  });

  it('refuses a log level it does not know, naming the variable', async () => {
    const result = await cli(['--check'], { TWINOPS_LOG_LEVEL: 'loud' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('TWINOPS_LOG_LEVEL="loud" must be one of');
  });

  it('--check validates and exits 0', async () => {
    const good = file('good.yaml', 'log:\n  level: warn\n');
    expect(await cli(['--check', '--config', good])).toEqual({
      code: 0,
      stdout: `configuration OK: ${good}\n`,
      stderr: '',
    });
  });

  it('runs: JSON log lines, a startup record with the URLs, build info on /metrics, stops on SIGTERM', async () => {
    const config = file(
      'run.yaml',
      [
        'server: { host: 127.0.0.1, otlpPort: 0, metricsPort: 0, apiPort: 0 }',
        `state: { snapshot: { path: ${JSON.stringify(join(dir, 'state.db'))} } }`,
      ].join('\n'),
    );
    const run = start(['--config', config], { TWINOPS_REVISION: '3f2c1ab' });
    const records = () =>
      run
        .out()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    try {
      const deadline = Date.now() + 60_000;
      while (!records().some((r) => r.msg === 'twinops exporter started')) {
        if (Date.now() > deadline || run.child.exitCode !== null) {
          throw new Error(`no startup record:\n${run.out()}${run.err()}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const started = records().find((r) => r.msg === 'twinops exporter started')!;
      expect(started).toMatchObject({
        level: 30,
        version,
        revision: '3f2c1ab',
        otlp: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/v1\/metrics$/),
        metrics: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/),
        api: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/assets$/),
      });
      const metrics = await (await fetch(started.metrics as string)).text();
      expect(metrics).toContain(
        `twin_exporter_build_info{version="${version}",revision="3f2c1ab",node_version="${process.version}"} 1`,
      );
    } finally {
      run.child.kill('SIGTERM');
    }
    expect(await run.exited).toBe(0);
    expect(records().map((r) => r.msg)).toEqual(
      expect.arrayContaining(['twinops exporter stopping', 'twinops exporter stopped']),
    );
    expect(run.err()).toBe('');
  });
});
