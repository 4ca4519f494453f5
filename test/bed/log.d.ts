/** Progress lines for installs and starts go to stderr so they never mix with test output parsing. */
export declare function progress(component: string, message: string): void;
/** Runs `work`, printing a heartbeat every `everyMs` so a long install never looks hung. */
export declare function withHeartbeat<T>(
  component: string,
  what: string,
  work: () => Promise<T>,
  everyMs?: number,
): Promise<T>;
