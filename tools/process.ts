import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runRoot } from './paths.js';

export interface CommandResult {
  stdout: string;
  stderr: string;
}

/**
 * Progress lines a child says on stderr (`[bed:kafka] …`, `[preview] …`, `[plugin] …`, `[demo] …`,
 * `[build] …`): `run` passes them on to this process's stderr as they come, so a long build run
 * from a test or a script says what it is doing instead of looking hung.
 */
export const progressLine = /^\[(?:bed:[\w.-]+|bed|preview|plugin|demo|build)\] /;

/** Calls `onLine` with each whole line of a stream of chunks (the rest waits for its newline). */
function lineSplitter(onLine: (line: string) => void): (chunk: string) => void {
  let pending = '';
  return (chunk) => {
    pending += chunk;
    let end: number;
    while ((end = pending.indexOf('\n')) >= 0) {
      onLine(pending.slice(0, end));
      pending = pending.slice(end + 1);
    }
  };
}

/**
 * Runs a command to completion; a non-zero exit throws with the command and its output. Its
 * output is kept, not shown, except the progress lines it says on stderr (`progressLine`).
 */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<CommandResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const passOnProgress = lineSplitter((line) => {
      if (progressLine.test(line)) process.stderr.write(`${line}\n`);
    });
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    // Decoded as a stream, so a character split between chunks ("…") arrives whole.
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderr += text;
      passOnProgress(text);
    });
    child.on('error', (error) =>
      reject(new Error(`cannot run ${command}: ${error.message}`, { cause: error })),
    );
    child.on('close', (code, signal) => {
      if (code === 0) resolveRun({ stdout, stderr });
      else
        reject(
          new Error(
            `${command} ${args.join(' ')} exited with ${code ?? signal}\n${tail(stdout + stderr, 40)}`,
          ),
        );
    });
    // A child that exits without reading its input must not fail the run with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** The last `lines` lines of a text, for error messages that show why something failed. */
export function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  // kill(-0) would signal our own group and kill(-1) everything we may: never let a bad record do that.
  if (!Number.isInteger(pid) || pid <= 1) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** What a running server leaves on disk so a later run can clean up after a killed one. */
interface InstanceRecord {
  name: string;
  owner: number;
  pid: number;
  watchdog: number;
}

const recordFile = (instanceDir: string): string => join(instanceDir, 'instance.json');

/**
 * Removes what killed runs left behind: a server whose owning test process is gone is killed
 * (its whole process group) and its instance dir, data included, is deleted.
 */
export function reapStaleInstances(): string[] {
  if (!existsSync(runRoot)) return [];
  const reaped: string[] = [];
  for (const entry of readdirSync(runRoot)) {
    const dir = join(runRoot, entry);
    let record: InstanceRecord | undefined;
    try {
      record = JSON.parse(readFileSync(recordFile(dir), 'utf8')) as InstanceRecord;
    } catch {
      record = undefined; // a start that died before writing its record
    }
    if (record && isAlive(record.owner)) continue;
    if (!record && !isStale(entry)) continue;
    if (record) {
      signalGroup(record.pid, 'SIGKILL');
      signalGroup(record.watchdog, 'SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
    reaped.push(entry);
  }
  return reaped;
}

/** Instance dirs are named `<name>-<ownerPid>-<random>`; without a record, judge by the owner. */
function isStale(entry: string): boolean {
  const owner = Number(entry.split('-').at(-2));
  return !Number.isInteger(owner) || !isAlive(owner);
}

export interface ServerSpec {
  /** Short component name, used in messages and the instance dir name. */
  name: string;
  command: string;
  args: (instanceDir: string) => string[];
  env?: NodeJS.ProcessEnv;
  /** Prepares files (configs, formatted storage) in the fresh instance dir before the start. */
  prepare?: (instanceDir: string) => Promise<void> | void;
  /** Resolves true once the server answers; polled until `readyTimeoutMs`. */
  ready: (log: () => string) => Promise<boolean>;
  readyTimeoutMs?: number;
}

export interface RunningServer {
  name: string;
  pid: number;
  instanceDir: string;
  /** The server's combined stdout and stderr so far. */
  log(): string;
  /** Stops the server (TERM, then KILL after a grace period) and deletes its instance dir. */
  stop(): Promise<void>;
}

/**
 * Starts a server in its own process group with a watchdog that kills the group if this process
 * dies (a test killed mid-run leaves nothing behind). Waits until `ready` says so — never a fixed
 * sleep — and fails with the server's own log when it exits early or never becomes ready.
 */
export async function startServer(spec: ServerSpec): Promise<RunningServer> {
  reapStaleInstances();
  mkdirSync(runRoot, { recursive: true });
  const instanceDir = join(
    runRoot,
    `${spec.name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
  );
  mkdirSync(instanceDir, { recursive: true });
  const logPath = join(instanceDir, 'server.log');
  const log = (): string => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : '');

  try {
    await spec.prepare?.(instanceDir);
  } catch (error) {
    rmSync(instanceDir, { recursive: true, force: true });
    throw error;
  }

  const logFd = openSync(logPath, 'a');
  const child = spawn(spec.command, spec.args(instanceDir), {
    cwd: instanceDir,
    env: spec.env ?? process.env,
    detached: true,
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  let exit: string | undefined;
  let spawnError: Error | undefined;
  child.on('error', (error) => (spawnError = error));
  child.on('exit', (code, signal) => (exit = `exited with ${code ?? signal}`));
  child.unref();
  await new Promise((resolveSpawn) => {
    child.once('spawn', resolveSpawn);
    child.once('error', resolveSpawn);
  });
  if (spawnError || child.pid === undefined) {
    rmSync(instanceDir, { recursive: true, force: true });
    throw new Error(
      `${spec.name}: cannot start ${spec.command}: ${spawnError?.message ?? 'no pid'}`,
    );
  }
  const pid = child.pid;

  const watchdog = spawn(
    'sh',
    [
      '-c',
      `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${pid} 2>/dev/null; do sleep 1; done; ` +
        `kill -TERM -${pid} 2>/dev/null; sleep 5; kill -KILL -${pid} 2>/dev/null`,
    ],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.unref();
  const record: InstanceRecord = {
    name: spec.name,
    owner: process.pid,
    pid,
    watchdog: watchdog.pid ?? 0,
  };
  writeFileSync(recordFile(instanceDir), JSON.stringify(record));

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    signalGroup(pid, 'SIGTERM');
    for (let waited = 0; waited < 10_000 && isAlive(pid); waited += 100) await sleep(100);
    signalGroup(pid, 'SIGKILL');
    for (let waited = 0; waited < 5_000 && isAlive(pid); waited += 50) await sleep(50);
    signalGroup(record.watchdog, 'SIGKILL');
    if (!process.env.TWINOPS_KEEP_BED) rmSync(instanceDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (spec.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (exit) {
      const output = log();
      await stop();
      throw new Error(`${spec.name} ${exit} before it was ready. Its log:\n${tail(output, 30)}`);
    }
    if (await spec.ready(log).catch(() => false)) break;
    if (Date.now() > deadline) {
      const output = log();
      await stop();
      throw new Error(
        `${spec.name} was not ready within ${(spec.readyTimeoutMs ?? 60_000) / 1000} s. Its log:\n${tail(output, 30)}`,
      );
    }
    await sleep(200);
  }
  return { name: spec.name, pid, instanceDir, log, stop };
}

/** True when an HTTP GET of `url` answers 200. */
export async function httpOk(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await response.arrayBuffer();
  return response.ok;
}
