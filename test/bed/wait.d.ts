/**
 * Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs` with
 * `what` and the last error. For conditions that become true on their own (a scrape, a delivery).
 */
export declare function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs?: number,
  everyMs?: number,
): Promise<T>;
