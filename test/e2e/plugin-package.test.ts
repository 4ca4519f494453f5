/**
 * The Grafana plugin as users install it: `npm run package` in grafana-plugin/ writes the zip the
 * way Grafana's release tooling lays it out, and Grafana's own validator (plugincheck2, the check
 * of its plugin catalog) finds no error and no warning in it with -strict.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  formatFinding,
  installPluginValidator,
  run,
  runPluginValidator,
  type PluginValidatorReport,
} from '../bed/index.js';
import { repoRoot } from '../../tools/paths.js';

const pluginDir = join(repoRoot, 'grafana-plugin');
const appId = 'twinops-twinops-app';
const nested = {
  'panels/fleet-state': { id: 'twinops-fleetstate-panel', type: 'panel' },
  'panels/command-button': { id: 'twinops-command-panel', type: 'panel' },
  datasource: { id: 'twinops-twin-datasource', type: 'datasource' },
};

/**
 * Analyzers that fetch from the internet when they run, and so cannot run on a machine without
 * it (read in plugin-validator's source): `legacyplatform` fetches grafana.com's Angular patterns,
 * `org` asks grafana.com whether the id's prefix is a Grafana Cloud account, `metadataschema`
 * fetches plugin.schema.json from GitHub (for `metadatavalid`, and through it `metadatapaths`,
 * `screenshots`, `llmreview` and `codediff`), and `reactcompat` runs `npx @grafana/react-detect`,
 * which the npm registry here does not serve. Each may be missing from a run only with a fetch
 * error as the reason; with the internet they all run.
 */
const needsInternet = new Set([
  'legacyplatform',
  'org',
  'metadataschema',
  'metadatavalid',
  'metadatapaths',
  'screenshots',
  'llmreview',
  'codediff',
  'reactcompat',
]);
const fetchError =
  /dial tcp|no such host|i\/o timeout|connection refused|network is unreachable|E404|ENOTFOUND|EAI_AGAIN|needs \S+, which could not run/;

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  localOffset: number;
  unixMode: number;
}

/** The central directory of a zip (no zip64, which a plugin never needs). */
function zipEntries(zip: Buffer): ZipEntry[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error('not a zip: no end of central directory');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`bad central directory entry ${i}`);
    const nameLength = zip.readUInt16LE(at + 28);
    entries.push({
      method: zip.readUInt16LE(at + 10),
      compressedSize: zip.readUInt32LE(at + 20),
      unixMode: zip.readUInt32LE(at + 38) >>> 16,
      localOffset: zip.readUInt32LE(at + 42),
      name: zip.toString('utf8', at + 46, at + 46 + nameLength),
    });
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return entries;
}

function zipRead(zip: Buffer, entry: ZipEntry): Buffer {
  const at = entry.localOffset;
  const data = at + 30 + zip.readUInt16LE(at + 26) + zip.readUInt16LE(at + 28);
  const raw = zip.subarray(data, data + entry.compressedSize);
  return entry.method === 8 ? inflateRawSync(raw) : Buffer.from(raw);
}

describe('the packaged Grafana plugin', () => {
  let out: string;
  let zipName: string;
  let zip: Buffer;
  let entries: ZipEntry[];
  const json = <T>(name: string): T => {
    const entry = entries.find((e) => e.name === name);
    if (!entry) throw new Error(`${name} is not in the zip`);
    return JSON.parse(zipRead(zip, entry).toString('utf8')) as T;
  };

  beforeAll(async () => {
    // The validator is a test bed component: installed (built) before anything else, and a
    // failure to install it fails these tests.
    await installPluginValidator();
    out = mkdtempSync(join(tmpdir(), 'twinops-plugin-package-'));
    await run('npm', ['run', 'package', '--', '--out', out], { cwd: pluginDir });
    const zips = readdirSync(out).filter((f) => f.endsWith('.zip'));
    expect(zips).toHaveLength(1);
    zipName = zips[0]!;
    zip = readFileSync(join(out, zipName));
    entries = zipEntries(zip);
  }, 600_000);

  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('is one folder named by the plugin id, named <id>-<version>.zip', () => {
    const manifest = json<{ id: string; info: { version: string } }>(`${appId}/plugin.json`);
    expect(manifest.id).toBe(appId);
    expect(manifest.info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(zipName).toBe(`${appId}-${manifest.info.version}.zip`);
    const outside = entries.filter((e) => !e.name.startsWith(`${appId}/`));
    expect(outside.map((e) => e.name)).toEqual([]);
    const names = new Set(entries.map((e) => e.name));
    for (const file of ['plugin.json', 'module.js', 'README.md', 'CHANGELOG.md', 'LICENSE'])
      expect(names, file).toContain(`${appId}/${file}`);
    // Nothing a frontend-only plugin ships is executable.
    const executable = entries.filter((e) => !e.name.endsWith('/') && e.unixMode & 0o111);
    expect(executable.map((e) => e.name)).toEqual([]);
  });

  it('holds each nested plugin in its folder, declared by the app with its path and type', () => {
    const app = json<{ includes: { type: string; path?: string; uid?: string }[] }>(
      `${appId}/plugin.json`,
    );
    for (const [folder, { id, type }] of Object.entries(nested)) {
      const manifest = json<{ id: string; type: string }>(`${appId}/${folder}/plugin.json`);
      expect(manifest).toMatchObject({ id, type });
      expect(entries.map((e) => e.name)).toContain(`${appId}/${folder}/module.js`);
      expect(app.includes).toContainEqual(
        expect.objectContaining({ type, path: `${folder}/plugin.json` }),
      );
    }
    const pluginJsons = entries.filter((e) => e.name.endsWith('/plugin.json')).map((e) => e.name);
    expect(pluginJsons.sort()).toEqual(
      [
        `${appId}/plugin.json`,
        ...Object.keys(nested).map((f) => `${appId}/${f}/plugin.json`),
      ].sort(),
    );
  });

  it('gives every dashboard include the uid of the dashboard it names', () => {
    const app = json<{ includes: { type: string; path?: string; uid?: string }[] }>(
      `${appId}/plugin.json`,
    );
    const dashboards = app.includes.filter((i) => i.type === 'dashboard');
    expect(dashboards.length).toBeGreaterThan(0);
    for (const include of dashboards) {
      const dashboard = json<{ uid: string }>(`${appId}/${include.path}`);
      expect(include.uid, include.path).toBeTruthy();
      expect(include.uid, include.path).toBe(dashboard.uid);
    }
  });

  it('has the SHA-1 checksum file the release tooling writes beside it', () => {
    const written = readFileSync(join(out, `${zipName}.sha1`), 'utf8');
    expect(written).toBe(`${createHash('sha1').update(zip).digest('hex')}\n`);
  });

  it('passes plugincheck2 -strict with no error and no warning', async () => {
    const sha1 = readFileSync(join(out, `${zipName}.sha1`), 'utf8').trim();
    const report: PluginValidatorReport = await runPluginValidator(join(out, zipName), [
      '-strict',
      '-checksum',
      sha1,
    ]);
    const signed = entries.some((e) => e.name === `${appId}/MANIFEST.txt`);
    // A react-detect that npm cannot fetch is the analyzer not running, not a finding about the
    // plugin: it is counted with the analyzers that could not run.
    const couldNotRun = { ...report.couldNotRun };
    const findings = report.findings.filter((f) => {
      if (f.analyzer === 'reactcompat' && /skipped \(react-detect failed\)/.test(f.Title)) {
        couldNotRun.reactcompat = f.Detail.split('\n')[0] ?? f.Title;
        return false;
      }
      return true;
    });
    // Signing needs a grafana.com access policy token and the network: an unsigned zip gets the
    // manifest analyzer's `unsigned-plugin` warning, which is shown here, never hidden.
    const unsigned = findings.filter((f) => f.Name === 'unsigned-plugin');
    const blocking = findings.filter(
      (f) =>
        (f.Severity === 'error' || f.Severity === 'warning') &&
        !(f.Name === 'unsigned-plugin' && !signed),
    );
    console.log(
      [
        `plugincheck2 on ${zipName}: ${report.ran.filter((name) => !couldNotRun[name]).length} analyzers ran`,
        ...findings.map((f) => `  ${formatFinding(f)}`),
        ...Object.entries(couldNotRun).map(([name, why]) => `  could not run: ${name}: ${why}`),
        ...(unsigned.length
          ? ['  the zip is unsigned: Grafana loads it only when its ids are allowed (README)']
          : []),
      ].join('\n'),
    );

    expect(blocking.map(formatFinding), 'errors and warnings').toEqual([]);
    expect(report.id).toBe(appId);
    // The checksum analyzer ran against the sha1 file's content (a mismatch is an error above).
    expect(report.ran).toContain('checksum');
    for (const [name, why] of Object.entries(couldNotRun)) {
      expect(needsInternet.has(name), `${name} could not run: ${why}`).toBe(true);
      expect(why, `${name} could not run`).toMatch(fetchError);
    }
    const validator = await installPluginValidator();
    if (validator.analyzers) {
      const accounted = new Set([...report.ran, ...Object.keys(couldNotRun)]);
      expect(validator.analyzers.filter((name) => !accounted.has(name))).toEqual([]);
    }
  }, 300_000);
});
