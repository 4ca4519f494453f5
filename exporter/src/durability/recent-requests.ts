/**
 * OTLP requests applied recently, by the digest of their body. An OTLP client that got no answer
 * (the exporter died between applying and answering) sends the same bytes again: recognised here,
 * the retry is answered as the first was and not applied twice. Kept for `windowMs` and at most
 * `maxRequests`, oldest out first; part of the durable state, so a restart keeps it.
 */
export interface RecentRequest {
  /** When the first copy was received. */
  atMs: number;
  /** Points it had rejected (the retry's answer repeats it). */
  rejected: number;
}

export class RecentRequests {
  private readonly entries = new Map<string, RecentRequest>();

  constructor(
    private readonly windowMs: number,
    private readonly maxRequests: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): RecentRequest | undefined {
    return this.entries.get(key);
  }

  /** Remembers a request applied at `atMs`, and forgets those out of the window. */
  remember(key: string, atMs: number, rejected: number): void {
    this.entries.delete(key);
    this.entries.set(key, { atMs, rejected });
    // Insertion order is arrival order: the oldest are first.
    for (const [oldKey, entry] of this.entries) {
      if (this.entries.size <= this.maxRequests && entry.atMs >= atMs - this.windowMs) break;
      this.entries.delete(oldKey);
    }
  }

  toJSON(): [key: string, atMs: number, rejected: number][] {
    return [...this.entries].map(([key, entry]) => [key, entry.atMs, entry.rejected]);
  }

  /** The window a checkpoint stored, under the limits in force now. */
  static from(
    stored: readonly [string, number, number][],
    windowMs: number,
    maxRequests: number,
  ): RecentRequests {
    const recent = new RecentRequests(windowMs, maxRequests);
    for (const [key, atMs, rejected] of stored.slice(-maxRequests)) {
      recent.entries.set(key, { atMs, rejected });
    }
    return recent;
  }
}
