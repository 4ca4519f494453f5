/**
 * The three dashboards, built from the alerts' specs and rendered as the committed JSON
 * (dashboards/<name>.json, where the Helm chart and the Grafana app plugin copy them from).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { debug } from './debug.js';
import { executive } from './executive.js';
import { oncall } from './oncall.js';
import { loadDashboardSpecs, type Specs } from './specs.js';

export const dashboardsDir = fileURLToPath(new URL('..', import.meta.url));
/** Where the generated JSON is committed (the Helm chart and the Grafana app copy it from here). */
export const generatedDir = join(dashboardsDir, 'generated');

export const files = {
  'executive.json': executive,
  'oncall.json': oncall,
  'debug.json': debug,
} as const satisfies Record<string, (specs: Specs) => Dashboard>;

export type DashboardFile = keyof typeof files;

export function buildDashboards(
  specs: Specs = loadDashboardSpecs(),
): Map<DashboardFile, Dashboard> {
  return new Map((Object.keys(files) as DashboardFile[]).map((file) => [file, files[file](specs)]));
}

/** JSON as the repository's Prettier formats it (the committed files pass `prettier --check`). */
export async function formatJson(value: unknown): Promise<string> {
  const options = (await resolveConfig(join(generatedDir, 'executive.json'))) ?? {};
  return format(JSON.stringify(value), { ...options, parser: 'json' });
}

/** The committed text of a dashboard. */
export const render = (dashboard: Dashboard): Promise<string> => formatJson(dashboard);

export async function renderAll(specs?: Specs): Promise<Map<DashboardFile, string>> {
  const out = new Map<DashboardFile, string>();
  for (const [file, dashboard] of buildDashboards(specs)) out.set(file, await render(dashboard));
  return out;
}

/** Files whose committed text differs from what the code generates (missing ones included). */
export async function drift(dir = generatedDir): Promise<string[]> {
  const drifted: string[] = [];
  for (const [file, text] of await renderAll()) {
    const path = join(dir, file);
    if (!existsSync(path) || readFileSync(path, 'utf8') !== text) drifted.push(file);
  }
  return drifted;
}
