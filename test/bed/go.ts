import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { withHeartbeat } from '../../tools/log.js';
import { run } from '../../tools/process.js';
import { requireCommand } from './system.js';

/**
 * `go install module@version` into `binDir`, cached: a present binary is reused. It installs into
 * a scratch dir and renames, so an interrupted build never leaves a half-written binary behind.
 */
export async function goInstall(
  component: string,
  moduleAtVersion: string,
  binDir: string,
  binary: string,
  /** Roughly how long the build takes with nothing cached, e.g. "about 2 minutes". */
  cold = 'a minute or more: Go downloads and compiles the module and its dependencies',
): Promise<string> {
  const target = join(binDir, binary);
  if (existsSync(target)) return target;
  requireCommand(
    'go',
    `building ${moduleAtVersion} needs the Go toolchain (https://go.dev/doc/install or the machine image)`,
  );
  const scratch = `${binDir}.partial-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  try {
    await withHeartbeat(
      component,
      `go install ${moduleAtVersion}`,
      () => run('go', ['install', moduleAtVersion], { env: { ...process.env, GOBIN: scratch } }),
      { cold: `first run only, ${cold}` },
    );
    mkdirSync(dirname(binDir), { recursive: true });
    rmSync(binDir, { recursive: true, force: true });
    renameSync(scratch, binDir);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return target;
}
