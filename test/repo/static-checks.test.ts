import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../bed/index.js';
import { withProgress } from '../../tools/log.js';
import { repoRoot } from '../../tools/paths.js';

const bin = (name: string): string => join(repoRoot, 'node_modules', '.bin', name);
const inRepo = { cwd: repoRoot };

/** Each takes from seconds to a minute or two: it says what it is doing meanwhile. */
const check = (what: string, cold: string, command: string, args: string[]) =>
  withProgress(
    (message) => void process.stderr.write(`[build] ${message}\n`),
    what,
    () => run(bin(command), args, inRepo),
    { cold },
  );

// The type checker, linter and formatter over every workspace: a failure prints their findings.
describe('static checks of all TypeScript', () => {
  it('type-checks (tsc -b, strict, project references)', async () => {
    await expect(
      check(
        'type-checking every workspace (tsc -b)',
        'about a minute without its build info',
        'tsc',
        ['-b'],
      ),
    ).resolves.toBeDefined();
  });

  it('lints clean (eslint)', async () => {
    await expect(
      check('linting every workspace (eslint .)', 'about a minute', 'eslint', ['.']),
    ).resolves.toBeDefined();
  });

  it('is formatted (prettier --check)', async () => {
    await expect(
      check('checking formatting (prettier --check .)', 'about half a minute', 'prettier', [
        '--check',
        '.',
      ]),
    ).resolves.toBeDefined();
  });
});
