import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from '../../tools/paths.js';

/**
 * One version for the whole bundle: the root package, the exporter, the Grafana plugin and the
 * chart's appVersion carry the same one, and CHANGELOG.md has a section for it.
 */
const sources: { file: string; read: (text: string) => unknown }[] = [
  { file: 'package.json', read: (text) => (JSON.parse(text) as { version?: unknown }).version },
  {
    file: 'exporter/package.json',
    read: (text) => (JSON.parse(text) as { version?: unknown }).version,
  },
  {
    file: 'grafana-plugin/package.json',
    read: (text) => (JSON.parse(text) as { version?: unknown }).version,
  },
  {
    file: 'charts/twinops/Chart.yaml',
    read: (text) => (parse(text) as { appVersion?: unknown }).appVersion,
  },
];

const versions = sources.map(({ file, read }) => ({
  file,
  version: read(readFileSync(join(repoRoot, file), 'utf8')),
}));
const [reference] = versions;

describe('the bundle version', () => {
  it('is the same in package.json, exporter/, grafana-plugin/ and the chart appVersion', () => {
    for (const { file, version } of versions) {
      expect(
        typeof version,
        `${file}: no version (package.json "version", Chart.yaml "appVersion")`,
      ).toBe('string');
    }
    const disagreeing = versions
      .filter(({ version }) => version !== reference!.version)
      .map(({ file, version }) => `${file} has ${String(version)}`);
    expect(
      disagreeing,
      `every file must carry ${reference!.file}'s version ${String(reference!.version)}`,
    ).toEqual([]);
  });

  it('has its section in CHANGELOG.md (Keep a Changelog: "## [x.y.z] - YYYY-MM-DD")', () => {
    const changelog = readFileSync(join(repoRoot, 'CHANGELOG.md'), 'utf8');
    const version = String(reference!.version);
    const escaped = version.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(
      new RegExp(`^## \\[${escaped}\\] - \\d{4}-\\d{2}-\\d{2}$`, 'm').test(changelog),
      `CHANGELOG.md has no "## [${version}] - <date>" section for the version of ${reference!.file}`,
    ).toBe(true);
    expect(changelog, 'CHANGELOG.md has no "## [Unreleased]" section').toMatch(
      /^## \[Unreleased\]$/m,
    );
  });
});
