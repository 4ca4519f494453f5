import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { goInstall } from './go.js';
import { cachePath } from '../../tools/paths.js';
import { run } from '../../tools/process.js';

export const HELM_VERSION = 'v3.22.0';

/** Builds helm from its Go module once per version; returns the binary's path. */
export function installHelm(): Promise<string> {
  return goInstall(
    'helm',
    `helm.sh/helm/v3/cmd/helm@${HELM_VERSION}`,
    cachePath('helm', HELM_VERSION),
    'helm',
    'about 2–4 minutes on 2 cores',
  );
}

/** Runs helm with a private home so it never reads or writes the user's helm settings. */
export async function helm(args: string[]): Promise<string> {
  const binary = await installHelm();
  const home = mkdtempSync(join(tmpdir(), 'twinops-helm-'));
  try {
    const env = {
      ...process.env,
      HELM_CACHE_HOME: join(home, 'cache'),
      HELM_CONFIG_HOME: join(home, 'config'),
      HELM_DATA_HOME: join(home, 'data'),
    };
    return (await run(binary, args, { env })).stdout;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** `helm template` of a chart with the given values; returns the rendered objects. */
export async function helmTemplate(
  chartDir: string,
  values: Record<string, unknown> = {},
  releaseName = 'twinops',
): Promise<KubernetesObject[]> {
  const dir = mkdtempSync(join(tmpdir(), 'twinops-values-'));
  try {
    const valuesFile = join(dir, 'values.json');
    writeFileSync(valuesFile, JSON.stringify(values));
    const rendered = await helm(['template', releaseName, chartDir, '--values', valuesFile]);
    return parseAllDocuments(rendered)
      .map((doc) => doc.toJSON() as KubernetesObject | null)
      .filter((object): object is KubernetesObject => object !== null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
