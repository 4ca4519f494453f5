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
