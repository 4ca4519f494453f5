/**
 * The layering of exporter/README.md's Layout table, checked: every relative import a source file
 * under src/ makes must be one its layer may make according to `exporter/layers.json`
 * (`{ "<folder or file under src>": [layers it may import] }`). A layer is the longest key that
 * is the file itself or a folder holding it; imports inside a layer are always allowed, and a
 * target outside src/ is named by its path from src/ (`../../contracts`). Test files and the
 * composition root (`exporter.ts`, `main.ts`) may import anything.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

type Layers = Record<string, readonly string[]>;

interface SourceFile {
  /** The path under src/, with `/` separators, e.g. `sli/divergence.ts`. */
  path: string;
  text: string;
}

const src = dirname(fileURLToPath(import.meta.url));
const compositionRoot = new Set(['exporter.ts', 'main.ts']);

/** The relative specifiers of `import`/`export … from`, side-effect imports and `import()`. */
export function relativeImports(text: string): string[] {
  const found = new Set<string>();
  const patterns = [
    /\bfrom\s+['"](\.[^'"]*)['"]/g,
    /\bimport\s+['"](\.[^'"]*)['"]/g,
    /\bimport\s*\(\s*['"](\.[^'"]*)['"]\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const match of text.matchAll(pattern)) found.add(match[1]!);
  }
  return [...found];
}

/** The layer a path under src/ belongs to: the longest key naming it or a folder above it. */
export function layerOf(path: string, layers: Layers): string | undefined {
  let best: string | undefined;
  for (const key of Object.keys(layers)) {
    const holds = path === key || path.startsWith(`${key}/`);
    if (holds && (best === undefined || key.length > best.length)) best = key;
  }
  return best;
}

/** Where an import from `from` points, as a path from src/ (`.js` written, `.ts` on disk). */
function resolveImport(from: string, specifier: string): string {
  const target = posix.normalize(posix.join(posix.dirname(from), specifier));
  return target.replace(/\.js$/, '.ts');
}

/** The name of an import's target for layers.json: its layer in src/, or its path outside src/. */
function targetLayer(target: string, layers: Layers): string | undefined {
  if (target.startsWith('../')) {
    const parts = target.split('/');
    const up = parts.findIndex((p) => p !== '..');
    return parts.slice(0, up + 1).join('/');
  }
  return layerOf(target, layers);
}

/** Every import a file's layer may not make, as `file → import (layer)` lines. */
export function forbiddenImports(files: readonly SourceFile[], layers: Layers): string[] {
  const problems: string[] = [];
  for (const file of files) {
    if (file.path.endsWith('.test.ts') || compositionRoot.has(file.path)) continue;
    const own = layerOf(file.path, layers);
    if (own === undefined) {
      problems.push(`${file.path}: no layer in layers.json holds it`);
      continue;
    }
    const allowed = new Set([own, ...layers[own]!]);
    for (const specifier of relativeImports(file.text)) {
      const target = resolveImport(file.path, specifier);
      const layer = targetLayer(target, layers);
      if (layer === undefined) {
        problems.push(`${file.path} → ${specifier} (no layer in layers.json holds ${target})`);
      } else if (!allowed.has(layer)) {
        problems.push(`${file.path} → ${specifier} (${own} may not import ${layer})`);
      }
    }
  }
  return problems;
}

function sourceFiles(dir: string): SourceFile[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter(
      (entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'),
    )
    .map((entry) => join(entry.parentPath, entry.name))
    .map((file) => ({
      path: relative(src, file).split(sep).join('/'),
      text: readFileSync(file, 'utf8'),
    }));
}

const layers = JSON.parse(readFileSync(join(src, '..', 'layers.json'), 'utf8')) as Layers;

describe('the layering of exporter/layers.json', () => {
  it('every relative import of a source file is one its layer may make', () => {
    const files = sourceFiles(src);
    expect(files.length).toBeGreaterThan(50);
    expect(forbiddenImports(files, layers)).toEqual([]);
  });

  it('every layer it allows is a layer of layers.json or a path outside src/', () => {
    for (const allowed of Object.values(layers).flat()) {
      expect(allowed in layers || allowed.startsWith('../'), allowed).toBe(true);
    }
  });

  it('names the file and the import of a forbidden dependency', () => {
    const synthetic: SourceFile[] = [
      // sli/ is pure: neither prom-client's adapters (metrics/) nor the twin above it.
      { path: 'sli/latency.ts', text: "import type { TwinEngine } from '../twin/engine.js';" },
      {
        path: 'sli/freshness.ts',
        text: "export { registerTwinMetrics } from '../metrics/sli.js';",
      },
      { path: 'config/types.ts', text: "import type { Role } from '../commands/model.js';" },
      // Allowed: downward, inside a layer, in a test, in the composition root.
      {
        path: 'twin/engine.ts',
        text: "import { x } from '../sli/latency.js';\nimport './state.js';",
      },
      { path: 'sli/latency.test.ts', text: "import { x } from '../twin/engine.js';" },
      { path: 'exporter.ts', text: "import { x } from './api/twin.js';" },
      // A file no layer holds is named too.
      { path: 'unplaced/new.ts', text: '' },
    ];
    expect(forbiddenImports(synthetic, layers)).toEqual([
      'sli/latency.ts → ../twin/engine.js (sli may not import twin)',
      'sli/freshness.ts → ../metrics/sli.js (sli may not import metrics)',
      'config/types.ts → ../commands/model.js (config may not import commands)',
      'unplaced/new.ts: no layer in layers.json holds it',
    ]);
  });

  it('reads every form of relative import, and only relative ones', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "export { c } from './c.js';",
      "import './side-effect.js';",
      "const d = await import('./d.js');",
      "import { e } from 'prom-client';",
    ].join('\n');
    expect(relativeImports(text).sort()).toEqual(
      ['../b.js', './a.js', './c.js', './d.js', './side-effect.js'].sort(),
    );
  });
});
