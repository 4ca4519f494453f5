import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../bed/index.js';
import { withProgress } from '../../tools/log.js';
import { repoRoot } from '../../tools/paths.js';

/**
 * The Grafana app plugin as Grafana loads it: its own type check and lint, then `npm run build`
 * producing dist/ with AMD modules (the app and each nested plugin) that take @grafana/* and React
 * from Grafana instead of bundling them, the manifests, and the dashboards the app includes.
 */
const plugin = join(repoRoot, 'grafana-plugin');
const dist = join(plugin, 'dist');
const inPlugin = { cwd: plugin };
const bin = (name: string): string => join(plugin, 'node_modules', '.bin', name);

/** Each step takes a minute or more on a loaded machine: it says what it is doing meanwhile. */
const step = <T>(what: string, cold: string, work: () => Promise<T>): Promise<T> =>
  withProgress((message) => void process.stderr.write(`[plugin] ${message}\n`), what, work, {
    cold,
  });

/** The dependency list of an AMD module: `define(["a","b"],…)`. */
function amdDependencies(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const match = /define\((\[[^\]]*\])/.exec(text);
  if (!match) throw new Error(`${file} is not an AMD module`);
  return JSON.parse(match[1]!) as string[];
}

describe('grafana-plugin build', () => {
  // Each takes 20–40 s alone and several times that beside other suites on two cores.
  it('type-checks with the plugin tooling', { timeout: 300_000 }, async () => {
    await expect(
      step('type-checking grafana-plugin (tsc --noEmit)', 'about half a minute', () =>
        run(bin('tsc'), ['--noEmit'], inPlugin),
      ),
    ).resolves.toBeDefined();
  });

  it('lints with the plugin tooling', { timeout: 300_000 }, async () => {
    await expect(
      step('linting grafana-plugin (eslint)', 'about half a minute', () =>
        run(bin('eslint'), ['.'], inPlugin),
      ),
    ).resolves.toBeDefined();
  });

  it('builds dist/: AMD modules with Grafana packages external, manifests and dashboards', async () => {
    await step(
      'building grafana-plugin (npm run build: webpack → dist/)',
      'about a minute without its cache',
      () => run('npm', ['run', 'build'], inPlugin),
    );
    const manifest = JSON.parse(readFileSync(join(dist, 'plugin.json'), 'utf8')) as {
      id: string;
      type: string;
      routes: { path: string; reqRole: string }[];
      includes: { type: string; path?: string }[];
    };
    expect(manifest).toMatchObject({ id: 'twinops-twinops-app', type: 'app' });
    expect(new Set(manifest.routes.map((r) => r.reqRole))).toEqual(
      new Set(['Viewer', 'Editor', 'Admin']),
    );

    const modules = [
      join(dist, 'module.js'),
      join(dist, 'datasource', 'module.js'),
      ...readdirSync(join(dist, 'panels')).map((panel) => join(dist, 'panels', panel, 'module.js')),
    ];
    expect(modules.length).toBeGreaterThanOrEqual(4);
    for (const module of modules) {
      const dependencies = amdDependencies(module);
      expect(dependencies, module).toEqual(expect.arrayContaining(['@grafana/data', 'react']));
      expect(existsSync(join(module, '..', 'plugin.json')), module).toBe(true);
    }
    expect(amdDependencies(join(dist, 'module.js'))).toEqual(
      expect.arrayContaining(['@grafana/ui', '@grafana/runtime']),
    );
    // External means not bundled: no copy of React or @grafana/ui's internals in the output.
    const bundled = readdirSync(dist)
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(join(dist, f), 'utf8'))
      .join('\n');
    expect(bundled).not.toMatch(/react\.production\.min\.js|__SECRET_INTERNALS_DO_NOT_USE/);

    for (const include of manifest.includes.filter((i) => i.type === 'dashboard')) {
      const file = join(dist, include.path!);
      const dashboard = JSON.parse(readFileSync(file, 'utf8')) as {
        uid?: string;
        panels?: unknown[];
      };
      expect(dashboard.uid, file).toMatch(/^twinops-/);
      expect(dashboard.panels?.length, file).toBeGreaterThan(0);
    }
  });
});
