import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { withProgress } from './log.js';
import { progressLine, run } from './process.js';

const here = dirname(fileURLToPath(import.meta.url));

describe('long steps say what they are doing', () => {
  it('names the step and its cold duration, beats while it works, and says when it is done', async () => {
    const lines: string[] = [];
    const result = await withProgress(
      (line) => lines.push(line),
      'building the thing',
      () => new Promise<number>((done) => setTimeout(() => done(42), 120)),
      { everyMs: 50, cold: 'about a minute on a first run' },
    );
    expect(result).toBe(42);
    expect(lines[0]).toBe('building the thing (about a minute on a first run)…');
    expect(lines.slice(1, -1).length).toBeGreaterThanOrEqual(1);
    for (const beat of lines.slice(1, -1))
      expect(beat).toMatch(/^building the thing: still working \(\d+ s\)$/);
    expect(lines.at(-1)).toMatch(/^building the thing: done in \d+\.\d s$/);
  });

  it('says when a step failed, and rethrows', async () => {
    const lines: string[] = [];
    await expect(
      withProgress(
        (line) => lines.push(line),
        'fetching',
        () => Promise.reject(new Error('offline')),
      ),
    ).rejects.toThrow('offline');
    expect(lines).toEqual(['fetching…', expect.stringMatching(/^fetching: failed after/)]);
  });

  // In a child process of its own: its stderr is exactly what a person running it would see.
  const stderrOf = async (script: string): Promise<string> =>
    (
      await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: here,
      })
    ).stderr;

  it('writes a component heartbeat as [bed:<component>] on stderr (everyMs as a number still works)', async () => {
    const stderr = await stderrOf(`
      import { withHeartbeat } from './log.ts';
      await withHeartbeat('helm', 'go install helm', async () => 1, 10_000);
      await withHeartbeat('sloth', 'go install sloth', async () => 1, { cold: 'about 2 minutes' });
    `);
    const lines = stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('[bed:helm] go install helm…');
    expect(lines).toContain('[bed:sloth] go install sloth (about 2 minutes)…');
  });

  it("passes a child's progress lines on to stderr as they come, and keeps the rest", async () => {
    const stderr = await stderrOf(`
      import { run } from './process.ts';
      const result = await run('sh', ['-c', 'echo "[plugin] building the plugin…" >&2; echo "webpack noise" >&2; echo out']);
      if (!result.stderr.includes('webpack noise') || result.stdout !== 'out\\n') process.exit(3);
    `);
    expect(stderr).toBe('[plugin] building the plugin…\n');
    expect(progressLine.test('[bed:otel-python] pip install…')).toBe(true);
    expect(progressLine.test('  [plugin] indented')).toBe(false);
  });
});
