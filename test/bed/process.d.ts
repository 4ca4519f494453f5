export interface CommandResult {
  stdout: string;
  stderr: string;
}
/** Runs a command to completion; a non-zero exit throws with the command and its output. */
export declare function run(
  command: string,
  args: readonly string[],
  options?: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    input?: string;
  },
): Promise<CommandResult>;
/** The last `lines` lines of a text, for error messages that show why something failed. */
export declare function tail(text: string, lines: number): string;
export declare function isAlive(pid: number): boolean;
/**
 * Removes what killed runs left behind: a server whose owning test process is gone is killed
 * (its whole process group) and its instance dir, data included, is deleted.
 */
export declare function reapStaleInstances(): string[];
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
export declare function startServer(spec: ServerSpec): Promise<RunningServer>;
/** True when an HTTP GET of `url` answers 200. */
export declare function httpOk(url: string): Promise<boolean>;
