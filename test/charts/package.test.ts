import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { helm, run } from '../bed/index.js';
import { repoRoot } from '../../tools/paths.js';
import { chartDir, exporterContainer, onlyOne, render, type DeploymentObject } from './chart.js';

const rootVersion = (
  JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }
).version;
const chartVersion = (
  parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as { version: string }
).version;

/** `npm run package:chart -- <args>`, without npm (and its dependency check) in between. */
const packageChart = (args: string[]) =>
  run(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'scripts', 'package-chart.ts'), ...args],
    {
      cwd: repoRoot,
    },
  );

describe('npm run package:chart', () => {
  let dir: string;
  let stdout: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'twinops-package-'));
    ({ stdout } = await packageChart(['--destination', join(dir, 'dist')]));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes <name>-<chart version>.tgz into the destination, nothing else', () => {
    expect(readdirSync(join(dir, 'dist'))).toEqual([`twinops-${chartVersion}.tgz`]);
  });

  it(`packages a chart whose default image is ghcr.io/twinops/exporter:${rootVersion}, and says so`, async () => {
    const archive = join(dir, 'dist', `twinops-${chartVersion}.tgz`);
    const deployment = onlyOne<DeploymentObject>(await render({}, archive), 'Deployment');
    const image = (exporterContainer(deployment) as { image?: string }).image;
    expect(image).toBe(`ghcr.io/twinops/exporter:${rootVersion}`);
    expect(stdout).toContain(`image: ${image}\n`);
    const shown = parse(await helm(['show', 'chart', archive])) as Record<string, unknown>;
    expect(shown).toMatchObject({
      name: 'twinops',
      version: chartVersion,
      appVersion: rootVersion,
    });
  });

  it('leaves the ci/ scenarios out of the package', async () => {
    const archive = join(dir, 'dist', `twinops-${chartVersion}.tgz`);
    const { stdout: files } = await run('tar', ['tzf', archive]);
    expect(files).toContain('twinops/values.schema.json');
    expect(files).not.toMatch(/^twinops\/ci\//m);
  });

  it('stops, naming both, when the chart’s appVersion is not the root package.json version', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'twinops-package-'));
    try {
      const chart = join(scratch, 'twinops');
      cpSync(chartDir, chart, { recursive: true });
      const chartYaml = join(chart, 'Chart.yaml');
      writeFileSync(
        chartYaml,
        readFileSync(chartYaml, 'utf8').replace(/^appVersion: .*$/m, 'appVersion: "9.9.9"'),
      );
      await expect(
        packageChart(['--chart', chart, '--destination', join(scratch, 'dist')]),
      ).rejects.toThrow(
        new RegExp(
          `exited with 1[\\s\\S]*package:chart: .*Chart.yaml has appVersion "9.9.9" but package.json has version "${rootVersion}": they must agree`,
        ),
      );
      expect(existsSync(join(scratch, 'dist'))).toBe(false);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
