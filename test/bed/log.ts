/** Progress lines for installs and starts go to stderr so they never mix with test output parsing. */
export function progress(component: string, message: string): void {
  process.stderr.write(`[bed:${component}] ${message}\n`);
}

/** Runs `work`, printing a heartbeat every `everyMs` so a long install never looks hung. */
export async function withHeartbeat<T>(
  component: string,
  what: string,
  work: () => Promise<T>,
  everyMs = 15_000,
): Promise<T> {
  const started = Date.now();
  progress(component, `${what}…`);
  const timer = setInterval(
    () =>
      progress(
        component,
        `${what}: still working (${Math.round((Date.now() - started) / 1000)} s)`,
      ),
    everyMs,
  );
  try {
    const result = await work();
    progress(component, `${what}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return result;
  } finally {
    clearInterval(timer);
  }
}
