// Installs the npm packages of the root workspaces and of the Grafana plugin (its own project,
// with the plugin tooling's own lock) when node_modules is missing or older than the lock.
// Plain JavaScript: it runs before any TypeScript tooling is installed.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

for (const project of [root, join(root, 'grafana-plugin')]) {
  const lockHash = createHash('sha256')
    .update(readFileSync(join(project, 'package-lock.json')))
    .digest('hex');
  const stamp = join(project, 'node_modules', '.twinops-lock-hash');
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== lockHash) {
    console.error(`[setup] installing npm packages in ${project} (npm ci)…`);
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: project, stdio: 'inherit' });
    writeFileSync(stamp, lockHash);
  }
}
