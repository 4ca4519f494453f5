/**
 * `npm run package:chart`: packages charts/twinops with `helm package` into dist/ (git-ignored),
 * with the chart's version from its Chart.yaml and its appVersion from the root package.json,
 * which must be the chart's own appVersion too (the image the chart pulls by default is tagged
 * with it). Lints the chart strictly first, then prints the image the package pulls by default,
 * read back from `helm template` of the .tgz it wrote.
 *
 *   npm run package:chart [-- --destination DIR] [--chart DIR]
 *
 * Uses the test bed's helm (test/bed/helm.ts: built once per machine from its Go module).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { helm, helmTemplate } from '../test/bed/helm.js';
import { repoRoot } from '../tools/paths.js';

class PackageError extends Error {}

interface ChartYaml {
  name?: unknown;
  version?: unknown;
  appVersion?: unknown;
}

/** The chart's name and version, and the one version its appVersion and the bundle share. */
function chartVersions(chartDir: string, packageJson: string) {
  const chartFile = join(chartDir, 'Chart.yaml');
  const chart = parse(readFileSync(chartFile, 'utf8')) as ChartYaml;
  const { version: rootVersion } = JSON.parse(readFileSync(packageJson, 'utf8')) as {
    version?: unknown;
  };
  const where = (file: string) => relative(process.cwd(), file) || file;
  for (const [value, what] of [
    [chart.name, `${where(chartFile)} name`],
    [chart.version, `${where(chartFile)} version`],
    [chart.appVersion, `${where(chartFile)} appVersion`],
    [rootVersion, `${where(packageJson)} version`],
  ] as const) {
    if (typeof value !== 'string' || value === '') {
      throw new PackageError(`${what} is missing (or not a string)`);
    }
  }
  if (chart.appVersion !== rootVersion) {
    throw new PackageError(
      `${where(chartFile)} has appVersion "${String(chart.appVersion)}" but ${where(packageJson)} ` +
        `has version "${String(rootVersion)}": they must agree (the chart pulls the image tagged ` +
        `with its appVersion, built from the root version); set appVersion: "${String(rootVersion)}"`,
    );
  }
  return {
    name: chart.name as string,
    version: chart.version as string,
    appVersion: rootVersion as string,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      chart: { type: 'string', default: join(repoRoot, 'charts', 'twinops') },
      destination: { type: 'string', default: join(repoRoot, 'dist') },
    },
  });
  const chartDir = resolve(values.chart);
  const destination = resolve(values.destination);
  const { name, version, appVersion } = chartVersions(chartDir, join(repoRoot, 'package.json'));

  await helm(['lint', '--strict', chartDir]);
  mkdirSync(destination, { recursive: true });
  await helm([
    'package',
    chartDir,
    '--destination',
    destination,
    '--version',
    version,
    '--app-version',
    appVersion,
  ]);
  const archive = join(destination, `${name}-${version}.tgz`);
  if (!existsSync(archive)) throw new PackageError(`helm package wrote no ${archive}`);

  // What a default install of the package pulls, as Helm renders it.
  const objects = await helmTemplate(archive);
  const images = objects.flatMap((object) => {
    const pod = (object.spec as { template?: { spec?: { containers?: { image?: string }[] } } })
      ?.template?.spec;
    return (pod?.containers ?? []).map((container) => container.image ?? '');
  });
  if (images.length !== 1 || !images[0]!.endsWith(`:${appVersion}`)) {
    throw new PackageError(
      `the package pulls ${images.join(', ') || 'no image'}, not one image tagged ${appVersion}`,
    );
  }
  console.log(
    `chart: ${relative(process.cwd(), archive)} (${name} ${version}, appVersion ${appVersion})`,
  );
  console.log(`image: ${images[0]}`);
}

main().catch((error: Error) => {
  console.error(
    error instanceof PackageError
      ? `package:chart: ${error.message}`
      : `package:chart: ${error.stack ?? error.message}`,
  );
  process.exit(1);
});
