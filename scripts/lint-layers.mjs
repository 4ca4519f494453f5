// The exporter's layering as a lint rule, `twinops/layers`: each layer of exporter/src may import
// only the layers exporter/layers.json allows it (the Layout table of exporter/README.md), so a
// wrong import fails `npm run lint`. layers.json is `{ "<folder or file under src>": [layers it
// may import] }`; a file's layer is the longest key that is the file or a folder holding it;
// imports inside a layer are always allowed; a target outside src/ is named by its path from src/
// (`../../contracts`). The composition root (exporter.ts, main.ts) and tests are not judged: the
// lint config leaves them out. Plain JavaScript: ESLint loads it with its config.
import { readFileSync } from 'node:fs';
import { posix, relative, sep } from 'node:path';

/** The layer a path under src/ belongs to: the longest key naming it or a folder above it. */
export function layerOf(path, layers) {
  let best;
  for (const key of Object.keys(layers)) {
    const holds = path === key || path.startsWith(`${key}/`);
    if (holds && (best === undefined || key.length > best.length)) best = key;
  }
  return best;
}

/** The name of an import's target: its layer in src/, or its path outside src/. */
function targetLayer(target, layers) {
  if (!target.startsWith('../')) return layerOf(target, layers);
  const parts = target.split('/');
  return parts.slice(0, parts.findIndex((part) => part !== '..') + 1).join('/');
}

/**
 * Why the file at `path` (under src/, `/` separators) may not import `specifier`, or undefined
 * when it may. Only relative imports are judged: packages are each layer's own business.
 */
export function importProblem(layers, path, specifier) {
  const own = layerOf(path, layers);
  if (own === undefined) return `no layer in exporter/layers.json holds ${path}`;
  if (!specifier.startsWith('.')) return undefined;
  const target = posix
    .normalize(posix.join(posix.dirname(path), specifier))
    .replace(/\.js$/, '.ts');
  const layer = targetLayer(target, layers);
  if (layer === undefined) return `no layer in exporter/layers.json holds ${target}`;
  if (layer === own || layers[own].includes(layer)) return undefined;
  return `${own} may not import ${layer} (exporter/layers.json allows: ${layers[own].join(', ') || 'nothing'})`;
}

/** The ESLint plugin: `layers`, for the files under `src`, judged by `layersFile`. */
export function layersPlugin(src, layersFile) {
  const layers = JSON.parse(readFileSync(layersFile, 'utf8'));
  const create = (context) => {
    const path = relative(src, context.filename).split(sep).join('/');
    const placed = layerOf(path, layers) !== undefined;
    const check = (source) => {
      if (!placed || source?.type !== 'Literal' || typeof source.value !== 'string') return;
      const problem = importProblem(layers, path, source.value);
      if (problem) context.report({ node: source, message: problem });
    };
    return {
      Program: (node) => {
        if (!placed) context.report({ node, message: importProblem(layers, path, '.') });
      },
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
    };
  };
  return {
    meta: { name: 'twinops' },
    rules: { layers: { meta: { type: 'problem', schema: [] }, create } },
  };
}
