/**
 * The layering of exporter/layers.json (the Layout table of exporter/README.md), as the lint rule
 * `twinops/layers` (scripts/lint-layers.mjs) enforces it: the tree is clean, and forbidden imports
 * are named. test/repo/layering.test.ts shows `npm run lint` failing on one.
 */
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({ cwd: root });

/** The layering messages ESLint gives a file at `path` under exporter/src with `text`. */
async function layeringMessages(path: string, text: string): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath: `${root}exporter/src/${path}` });
  return (result?.messages ?? [])
    .filter((message) => message.ruleId === 'twinops/layers')
    .map((message) => message.message);
}

describe('the layering of exporter/layers.json', () => {
  it('holds for every source file of exporter/src', async () => {
    const results = await eslint.lintFiles(['exporter/src']);
    expect(results.length).toBeGreaterThan(50);
    const broken = results.flatMap((result) =>
      result.messages
        .filter((message) => message.ruleId === 'twinops/layers')
        .map((message) => `${result.filePath}:${message.line} ${message.message}`),
    );
    expect(broken).toEqual([]);
  }, 120_000);

  it('names what a layer may not import', async () => {
    // sli/ is pure: neither prom-client's adapters (metrics/) nor the twin above it.
    expect(
      await layeringMessages('sli/latency.ts', "import { x } from '../twin/engine.js';\n"),
    ).toEqual([
      expect.stringMatching(
        /^sli may not import twin \(exporter\/layers\.json allows: model\.ts, config\)$/,
      ),
    ]);
    expect(
      await layeringMessages('sli/freshness.ts', "export { y } from '../metrics/sli.js';\n"),
    ).toEqual([expect.stringMatching(/^sli may not import metrics/)]);
    expect(
      await layeringMessages(
        'config/types.ts',
        "const m = await import('../commands/model.js');\nexport { m };\n",
      ),
    ).toEqual([expect.stringMatching(/^config may not import commands/)]);
    expect(await layeringMessages('unplaced/new.ts', 'export const z = 1;\n')).toEqual([
      'no layer in exporter/layers.json holds unplaced/new.ts',
    ]);
  });

  it('keeps prom-client in metrics/: elsewhere a registry is only a type', async () => {
    const messages = async (path: string, text: string) => {
      const [result] = await eslint.lintText(text, { filePath: `${root}exporter/src/${path}` });
      return (result?.messages ?? []).map((message) => `${message.ruleId}: ${message.message}`);
    };
    const define = "import { Counter } from 'prom-client';\nexport const c = Counter;\n";
    expect(await messages('ingest/http.ts', define)).toEqual([
      expect.stringMatching(
        /^@typescript-eslint\/no-restricted-imports: .*define metrics in exporter\/src\/metrics\//,
      ),
    ]);
    expect(await messages('metrics/ingest.ts', define)).toEqual([]);
    const passAlong = "import type { Registry } from 'prom-client';\nexport type R = Registry;\n";
    expect(await messages('ingest/http.ts', passAlong)).toEqual([]);
  });

  it('lets a layer import downward, inside itself, and packages; tests and the composition root anything', async () => {
    const downward =
      "import { x } from '../sli/latency.js';\nimport './state.js';\nimport 'node:fs';\n";
    expect(await layeringMessages('twin/engine.ts', downward)).toEqual([]);
    expect(
      await layeringMessages('sli/latency.test.ts', "import { x } from '../twin/engine.js';\n"),
    ).toEqual([]);
    expect(await layeringMessages('exporter.ts', "import { x } from './api/twin.js';\n")).toEqual(
      [],
    );
  });
});
