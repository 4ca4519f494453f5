// `npm run package`: zips the built dist/ the way Grafana's release tooling lays a plugin out
// (grafana/plugin-actions `package-plugin`): one top folder named by the plugin id holding what
// dist/ holds, written as `<id>-<version>.zip`, with `<id>-<version>.zip.sha1` beside it (the
// archive's SHA-1 in hex and a newline, as `sha1sum | cut -f1 -d' '` writes it). Grafana's
// validator and catalog take that checksum; `sha1sum -c` does not, it has no file name.
//
// node scripts/package.mjs [--out DIR]     (default: artifacts/, git-ignored)
//
// yazl writes the zip: no native code, no shell-out to `zip`, which a machine may not have.
import { createHash } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import yazl from 'yazl';

const plugin = fileURLToPath(new URL('..', import.meta.url));
const dist = join(plugin, 'dist');
const { values } = parseArgs({ options: { out: { type: 'string', default: join(plugin, 'artifacts') } } });
const outDir = resolve(values.out);

const manifestFile = join(dist, 'plugin.json');
if (!existsSync(manifestFile)) {
  console.error(`package: ${manifestFile} is missing; run \`npm run build\` first (\`npm run package\` does)`);
  process.exit(1);
}
const { id, info } = JSON.parse(readFileSync(manifestFile, 'utf8'));
const version = info?.version;
if (!id || !version || version.includes('%')) {
  console.error(`package: dist/plugin.json has no usable id and info.version (${id}, ${version})`);
  process.exit(1);
}

/** Every file and folder under `dir`, parents before children, in a stable order. */
function walk(dir) {
  const entries = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const isDirectory = statSync(path).isDirectory();
    entries.push({ path, isDirectory });
    if (isDirectory) {
      entries.push(...walk(path));
    }
  }
  return entries;
}

console.error(`[plugin] zipping dist/ as ${id}-${version}.zip…`);

const zipName = `${id}-${version}.zip`;
const zipFile = join(outDir, zipName);
const sha1File = `${zipFile}.sha1`;
mkdirSync(outDir, { recursive: true });
rmSync(zipFile, { force: true });
rmSync(sha1File, { force: true });

const zip = new yazl.ZipFile();
zip.addEmptyDirectory(`${id}/`, { mode: 0o40755 });
let files = 0;
for (const { path, isDirectory } of walk(dist)) {
  // Zip entry names always use '/', whatever the platform's separator.
  const name = `${id}/${relative(dist, path).split(sep).join('/')}`;
  const { mtime } = statSync(path);
  if (isDirectory) {
    zip.addEmptyDirectory(`${name}/`, { mtime, mode: 0o40755 });
  } else {
    // Nothing in a frontend-only plugin is executable: 0644 everywhere.
    zip.addFile(path, name, { mtime, mode: 0o100644 });
    files += 1;
  }
}
zip.end();
await new Promise((resolveWrite, reject) => {
  const out = createWriteStream(zipFile);
  out.on('close', resolveWrite);
  out.on('error', reject);
  zip.outputStream.on('error', reject);
  zip.outputStream.pipe(out);
});

const sha1 = createHash('sha1').update(readFileSync(zipFile)).digest('hex');
writeFileSync(sha1File, `${sha1}\n`);
console.log(`package: ${zipFile} (${files} files under ${id}/), sha1 ${sha1}`);
