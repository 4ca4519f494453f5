/** Progress lines for installs and starts go to stderr so they never mix with test output parsing. */
export function progress(component: string, message: string): void {
  process.stderr.write(`[bed:${component}] ${message}\n`);
}

export interface HeartbeatOptions {
  /** How often to say the work is still going (15 s). */
  everyMs?: number;
  /**
   * Roughly how long the work takes when nothing is cached, said on the first line, e.g.
   * "about 2 minutes on a first run": a person watching knows whether to wait or to worry.
   */
  cold?: string;
}

/**
 * Runs `work`, saying through `say` what it is (and roughly how long it takes cold), that it is
 * still working every `everyMs`, and how long it took, so a long step never looks hung.
 */
export async function withProgress<T>(
  say: (message: string) => void,
  what: string,
  work: () => Promise<T>,
  options: HeartbeatOptions = {},
): Promise<T> {
  const everyMs = options.everyMs ?? 15_000;
  const started = Date.now();
  say(options.cold ? `${what} (${options.cold})…` : `${what}…`);
  const timer = setInterval(
    () => say(`${what}: still working (${Math.round((Date.now() - started) / 1000)} s)`),
    everyMs,
  );
  try {
    const result = await work();
    say(`${what}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return result;
  } catch (error) {
    say(`${what}: failed after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    throw error;
  } finally {
    clearInterval(timer);
  }
}

/** `withProgress` for a test bed component: its lines are `[bed:<component>] …` on stderr. */
export function withHeartbeat<T>(
  component: string,
  what: string,
  work: () => Promise<T>,
  options: number | HeartbeatOptions = {},
): Promise<T> {
  return withProgress(
    (message) => progress(component, message),
    what,
    work,
    typeof options === 'number' ? { everyMs: options } : options,
  );
}
