#!/usr/bin/env node
// @ts-check
/**
 * Builds the preview bundle (preview/dist/) when its sources changed since the last build: a
 * SHA-256 over src/ (minus the copied dashboards), preview/src/, the webpack config and the lock
 * file is kept in dist/.source-hash. Builds into a scratch dir and renames, so an interrupted
 * build never leaves a half-written bundle, and a lock keeps two builds from racing.
 *
 *   node preview/build.mjs [--force]     prints the bundle dir; exit 1 if the build failed
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const project = join(here, '..');
export const bundleDir = join(here, 'dist');
const stampName = '.source-hash';
/** Scratch builds and the lock live in node_modules/.cache (ignored by git, same file system). */
const workDir = join(project, 'node_modules', '.cache', 'twinops-preview');

/**
 * @param {string} dir
 * @param {(path: string) => boolean} skip
 * @returns {string[]}
 */
function files(dir, skip) {
  if (!existsSync(dir)) {
    return [];
  }
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (skip(path)) {
        return [];
      }
      return entry.isDirectory() ? files(path, skip) : [path];
    })
    .sort();
}

/** The hash of everything the bundle is made from. */
export function sourceHash() {
  const hash = createHash('sha256');
  const inputs = [
    ...files(join(project, 'src'), (p) => p === join(project, 'src', 'dashboards')),
    ...files(join(here, 'src'), () => false),
    join(here, 'webpack.config.ts'),
    join(project, 'package-lock.json'),
  ];
  for (const file of inputs) {
    hash.update(relative(project, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/** @param {number} pid */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
  }
}

/** @param {number} ms */
const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/** Takes the build lock (waiting for another build to finish); returns its release. */
async function lock() {
  const lockDir = join(workDir, 'build-lock');
  mkdirSync(workDir, { recursive: true });
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      return () => rmSync(lockDir, { recursive: true, force: true });
    } catch {
      const owner = Number(existsSync(join(lockDir, 'pid')) ? readFileSync(join(lockDir, 'pid'), 'utf8') : NaN);
      if (Number.isInteger(owner) && !alive(owner)) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (!Number.isInteger(owner) && existsSync(lockDir) && Date.now() - statSync(lockDir).mtimeMs > 10_000) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      await sleep(500);
    }
  }
}

/**
 * Builds unless dist/ was built from the same sources; returns the bundle dir.
 * @param {{ force?: boolean, log?: (line: string) => void }} [options]
 */
export async function ensurePreviewBundle(options = {}) {
  const log = options.log ?? ((line) => console.error(line));
  const stamp = join(bundleDir, stampName);
  const wanted = sourceHash();
  if (!options.force && existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) {
    return bundleDir;
  }
  const release = await lock();
  try {
    if (!options.force && existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) {
      return bundleDir;
    }
    const scratch = join(workDir, `dist-${process.pid}`);
    rmSync(scratch, { recursive: true, force: true });
    const started = Date.now();
    const seconds = () => ((Date.now() - started) / 1000).toFixed(0);
    log(
      '[preview] building the preview bundle (grafana-plugin/preview, webpack): about a minute, ' +
        'a few minutes on a busy machine; rebuilt only when the plugin changes…'
    );
    // Said every 15 s, so a build on a loaded machine never looks hung.
    const heartbeat = setInterval(
      () => log(`[preview] building the preview bundle: still working (${seconds()} s)`),
      15_000
    );
    try {
      await new Promise((resolveBuild, rejectBuild) => {
        execFile(
          'npm',
          ['run', '--silent', 'build:preview'],
          { cwd: project, env: { ...process.env, TWINOPS_PREVIEW_OUT: scratch }, maxBuffer: 64 * 2 ** 20 },
          (error, stdout, stderr) =>
            error
              ? rejectBuild(new Error(`the preview build failed:\n${stdout}${stderr}`.trimEnd()))
              : resolveBuild(undefined)
        );
      });
    } catch (error) {
      rmSync(scratch, { recursive: true, force: true });
      throw error;
    } finally {
      clearInterval(heartbeat);
    }
    log(`[preview] building the preview bundle: done in ${seconds()} s`);
    writeFileSync(join(scratch, stampName), wanted);
    rmSync(bundleDir, { recursive: true, force: true });
    renameSync(scratch, bundleDir);
    return bundleDir;
  } finally {
    release();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  ensurePreviewBundle({ force: process.argv.includes('--force') }).then(
    (dir) => console.log(dir),
    (error) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    }
  );
}
