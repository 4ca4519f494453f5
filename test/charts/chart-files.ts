import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Helm's `.Files` reads only inside the chart, so the chart carries copies of what other folders
 * generate: the Prometheus rule files (`alerts/generated/*.yaml` and `alerts/generated/slo-rules/*.yaml`,
 * not the test profile)
 * and the dashboards (`dashboards/generated/*.json`). `syncChartFiles` makes the copies equal to the
 * sources, whatever their number; `chartFileDrift` names every difference.
 */
export interface ChartFileSet {
  /** What the files are, for messages. */
  label: string;
  sourceDir: string;
  targetDir: string;
  /** Only top-level files with this ending are copied. */
  extension: string;
}

export function chartFileSets(root: string): ChartFileSet[] {
  const files = join(root, 'charts', 'twinops', 'files');
  return [
    {
      label: 'rules',
      sourceDir: join(root, 'alerts', 'generated'),
      targetDir: join(files, 'rules'),
      extension: '.yaml',
    },
    {
      label: 'dashboards',
      sourceDir: join(root, 'dashboards', 'generated'),
      targetDir: join(files, 'dashboards'),
      extension: '.json',
    },
    {
      label: 'slo rules',
      sourceDir: join(root, 'alerts', 'generated', 'slo-rules'),
      targetDir: join(files, 'slo-rules'),
      extension: '.yaml',
    },
  ];
}

/** The top-level files of `dir` with the set's ending, sorted; none when the folder is missing. */
export function filesOf(dir: string, extension: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith(extension) && statSync(join(dir, name)).isFile())
    .sort();
}

/** Every way the chart's copies differ from their sources, one line each; empty when in step. */
export function chartFileDrift(sets: ChartFileSet[], root = ''): string[] {
  const problems: string[] = [];
  const shown = (path: string): string => (root ? relative(root, path) : path);
  for (const set of sets) {
    const sources = filesOf(set.sourceDir, set.extension);
    const copies = new Set(filesOf(set.targetDir, set.extension));
    for (const name of sources) {
      const target = join(set.targetDir, name);
      if (!copies.has(name)) problems.push(`${set.label}: ${shown(target)} is missing`);
      else if (!readFileSync(join(set.sourceDir, name)).equals(readFileSync(target))) {
        problems.push(`${set.label}: ${shown(target)} differs from ${shown(join(set.sourceDir, name))}`);
      }
      copies.delete(name);
    }
    for (const name of copies) {
      problems.push(
        `${set.label}: ${shown(join(set.targetDir, name))} has no source in ${shown(set.sourceDir)}`,
      );
    }
  }
  return problems;
}

/** Makes the copies equal to the sources: copies new and changed files, removes stale ones. */
export function syncChartFiles(sets: ChartFileSet[]): { copied: string[]; removed: string[] } {
  const copied: string[] = [];
  const removed: string[] = [];
  for (const set of sets) {
    const sources = filesOf(set.sourceDir, set.extension);
    mkdirSync(set.targetDir, { recursive: true });
    for (const name of sources) {
      const source = join(set.sourceDir, name);
      const target = join(set.targetDir, name);
      if (existsSync(target) && readFileSync(source).equals(readFileSync(target))) continue;
      copyFileSync(source, target);
      copied.push(target);
    }
    for (const name of filesOf(set.targetDir, set.extension)) {
      if (sources.includes(name)) continue;
      rmSync(join(set.targetDir, name));
      removed.push(join(set.targetDir, name));
    }
  }
  return { copied, removed };
}
