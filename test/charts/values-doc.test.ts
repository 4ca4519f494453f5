import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMap, isScalar, parseDocument, type YAMLMap } from 'yaml';
import { chartDir } from './chart.js';

/** Keys whose contents are Kubernetes objects (or free-form): documented as a whole. */
const wholeObjects = new Set([
  'config',
  'resources',
  'podSecurityContext',
  'securityContext',
  'probes.startup',
  'probes.liveness',
  'probes.readiness',
]);

/** Every key of values.yaml outside those, with whether a comment precedes it. */
function keys(map: YAMLMap, prefix = ''): { key: string; commented: boolean }[] {
  return map.items.flatMap((pair, index) => {
    const name = isScalar(pair.key) ? String(pair.key.value) : '?';
    const key = prefix ? `${prefix}.${name}` : name;
    // The yaml package hangs the comment above a map's first key on the map itself.
    const comment =
      (isScalar(pair.key) ? pair.key.commentBefore : undefined) ??
      (index === 0 ? map.commentBefore : undefined);
    const commented = Boolean(comment?.trim());
    const nested =
      isMap(pair.value) && !wholeObjects.has(key) ? keys(pair.value as YAMLMap, key) : [];
    return [{ key, commented }, ...nested];
  });
}

describe('values.yaml', () => {
  it('has a comment on every key', () => {
    const document = parseDocument(readFileSync(join(chartDir, 'values.yaml'), 'utf8'));
    const all = keys(document.contents as YAMLMap);
    // The first key's comment is the document's when only a blank line separates them.
    const uncommented = all
      .filter((k) => !k.commented)
      .map((k) => k.key)
      .filter((k) => !(k === 'mode' && document.commentBefore?.includes('How the exporter runs')));
    expect(all.length).toBeGreaterThan(50);
    expect(uncommented).toEqual([]);
  });
});

/**
 * The keys a row of the README's values table names: `a.b` / `c` / `d` are siblings (`a.c`, `a.d`),
 * `a.b`, `c.d` are each whole, `a.*` is a map.
 */
function tableKeys(cell: string): string[] {
  return cell.split(/,\s*/).flatMap((group) => {
    const names = [...group.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    const [first, ...siblings] = names;
    if (!first) return [];
    const parent = first.split('.').slice(0, -1);
    return [first, ...siblings.map((name) => [...parent, name].join('.'))];
  });
}

describe('the values table of the chart README', () => {
  it('names only keys values.yaml has', () => {
    const readme = readFileSync(join(chartDir, 'README.md'), 'utf8');
    const section = readme.slice(
      readme.indexOf('## Values'),
      readme.indexOf('\n### ', readme.indexOf('## Values')),
    );
    const rows = section.split('\n').filter((line) => line.startsWith('| `'));
    const keys = rows.flatMap((row) => tableKeys(row.split('|')[1]!));
    const values = parseDocument(
      readFileSync(join(chartDir, 'values.yaml'), 'utf8'),
    ).toJSON() as Record<string, unknown>;
    const missing = keys.filter((key) => {
      let node: unknown = values;
      for (const part of key.split('.')) {
        if (part === '*') return !(node && typeof node === 'object');
        if (!node || typeof node !== 'object' || !(part in node)) return true;
        node = (node as Record<string, unknown>)[part];
      }
      return false;
    });
    expect(keys.length).toBeGreaterThan(30);
    expect(missing).toEqual([]);
  });
});
