import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { progress, withHeartbeat } from '../../tools/log.js';
import { run } from '../../tools/process.js';

/** Full path of a command on PATH, or undefined. */
export function which(command: string): string | undefined {
  if (command.includes('/')) return existsSync(command) ? command : undefined;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, command);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Throws a message naming the missing tool and how to get it. */
export function requireCommand(command: string, howToGet: string): string {
  const found = which(command);
  if (!found) throw new Error(`${command} is missing: ${howToGet}`);
  return found;
}

/** A Debian package and the file that proves it is installed (or a command found on PATH). */
export interface DebianPackage {
  name: string;
  provides: string;
  /** When set, the package is wanted only if this command is not on PATH already. */
  command?: string;
}

const isPresent = (pkg: DebianPackage): boolean =>
  existsSync(pkg.provides) || (pkg.command !== undefined && which(pkg.command) !== undefined);

/**
 * Installs the Debian packages whose files are missing, refreshing the package lists once if the
 * first attempt cannot find them. Present packages cost nothing, so this is the cache check too.
 */
export async function installDebianPackages(
  component: string,
  packages: DebianPackage[],
): Promise<void> {
  const missing = packages.filter((pkg) => !isPresent(pkg)).map((pkg) => pkg.name);
  if (missing.length === 0) return;
  const hint = `apt-get install -y ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `${missing.join(', ')} not installed and this user cannot install them: run \`${hint}\` as root`,
    );
  }
  requireCommand(
    'apt-get',
    `this test bed needs Debian's apt-get to install ${missing.join(', ')}`,
  );
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): Promise<unknown> =>
    run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { env });
  // Chromium is by far the largest download; the others take seconds to a minute.
  const cold = missing.includes('chromium')
    ? 'a few minutes: Chromium and its libraries are a few hundred MB'
    : 'a minute or two';
  await withHeartbeat(
    component,
    `apt-get install ${missing.join(' ')}`,
    async () => {
      try {
        await install();
      } catch {
        progress(
          component,
          'apt-get install failed: refreshing the package lists (apt-get update)',
        );
        await run('apt-get', ['update', '-q'], { env });
        await install();
      }
    },
    { cold },
  );
  const stillMissing = packages.filter((pkg) => !isPresent(pkg));
  if (stillMissing.length > 0) {
    throw new Error(
      `after ${hint}, still missing: ${stillMissing.map((p) => p.provides).join(', ')}`,
    );
  }
}

/** The major version of the `java` on PATH, or a clear error when there is none. */
export async function javaMajorVersion(): Promise<number> {
  requireCommand(
    'java',
    'the Kafka broker needs Java 17 or newer (apt-get install openjdk-17-jre-headless)',
  );
  const { stderr } = await run('java', ['-version']);
  const match = /version "(\d+)(?:\.(\d+))?/.exec(stderr);
  if (!match) throw new Error(`cannot read the Java version from: ${stderr.trim()}`);
  const major = Number(match[1]);
  return major === 1 ? Number(match[2]) : major;
}
