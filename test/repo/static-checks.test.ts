import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../bed/index.js';
import { repoRoot } from '../bed/paths.js';

const bin = (name: string): string => join(repoRoot, 'node_modules', '.bin', name);
const inRepo = { cwd: repoRoot };

// The type checker, linter and formatter over every workspace: a failure prints their findings.
describe('static checks of all TypeScript', () => {
  it('type-checks (tsc -b, strict, project references)', async () => {
    await expect(run(bin('tsc'), ['-b'], inRepo)).resolves.toBeDefined();
  });

  it('lints clean (eslint)', async () => {
    await expect(run(bin('eslint'), ['.'], inRepo)).resolves.toBeDefined();
  });

  it('is formatted (prettier --check)', async () => {
    await expect(run(bin('prettier'), ['--check', '.'], inRepo)).resolves.toBeDefined();
  });
});
