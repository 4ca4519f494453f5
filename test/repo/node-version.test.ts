import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NODE_VERSION } from '../bed/node.js';
import { repoRoot } from '../../tools/paths.js';

/** One Node for the tests, the build and the image: .node-version says which. */
const read = (path: string): string => readFileSync(join(repoRoot, path), 'utf8');
const major = NODE_VERSION.split('.')[0]!;

describe('one Node runtime for tests and image', () => {
  it('the tests run on the Node of .node-version', () => {
    // scripts/ensure-deps.mjs starts every suite on it (the registry's build when the machine's
    // major differs); a suite started otherwise would test another runtime than the image's.
    expect(process.versions.node.split('.')[0]).toBe(major);
  });

  it.each(['package.json', 'grafana-plugin/package.json'])(
    '%s: engines.node admits that major only',
    (file) => {
      const engines = (JSON.parse(read(file)) as { engines: { node: string } }).engines.node;
      expect(engines).toMatch(new RegExp(`^>=${major}\\.\\d+ <${Number(major) + 1}$`));
    },
  );

  it('the Containerfile builds and runs on that major', () => {
    const from = read('exporter/Containerfile')
      .split('\n')
      .filter((line) => line.startsWith('FROM '));
    expect(from).toEqual([
      `FROM docker.io/library/node:${major}-bookworm AS build`,
      `FROM gcr.io/distroless/nodejs${major}-debian12`,
    ]);
  });
});
