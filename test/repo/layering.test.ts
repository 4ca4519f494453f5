import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../bed/index.js';
import { repoRoot } from '../../tools/paths.js';

/**
 * `npm run lint` refuses an import that breaks the exporter's layering: a copy of what the lint
 * reads (its config and rule, exporter/layers.json, exporter/src) lints clean, and fails once a
 * file importing the twin from sli/ is added to it.
 */
describe('npm run lint and the layering', () => {
  let copy: string;
  beforeAll(() => {
    copy = mkdtempSync(join(tmpdir(), 'twinops-layering-'));
    for (const file of [
      'package.json',
      'eslint.config.js',
      '.prettierrc.json',
      '.prettierignore',
      'scripts/lint-layers.mjs',
      'exporter/layers.json',
    ]) {
      cpSync(join(repoRoot, file), join(copy, file), { recursive: true });
    }
    cpSync(join(repoRoot, 'exporter', 'src'), join(copy, 'exporter', 'src'), {
      recursive: true,
      filter: (source) => !source.endsWith('.d.ts'),
    });
    symlinkSync(join(repoRoot, 'node_modules'), join(copy, 'node_modules'));
  });
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  const lint = () => run('npm', ['run', '--silent', 'lint'], { cwd: copy });

  it('passes on the tree as it is', async () => {
    await expect(lint()).resolves.toBeDefined();
  });

  it('fails on a file in sli/ that imports the twin, naming the rule and the layers', async () => {
    mkdirSync(join(copy, 'exporter', 'src', 'sli'), { recursive: true });
    writeFileSync(
      join(copy, 'exporter', 'src', 'sli', 'shortcut.ts'),
      "import { TwinEngine } from '../twin/engine.js';\n\nexport const engine = TwinEngine;\n",
    );
    await expect(lint()).rejects.toThrow(
      /sli\/shortcut\.ts[\s\S]*sli may not import twin \(exporter\/layers\.json allows: model\.ts, config\)\s+twinops\/layers/,
    );
  });
});
