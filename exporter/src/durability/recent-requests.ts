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
  /** Remembered since the last `takeAdded` (what the next checkpoint adds). */
  private added: [string, number, number][] = [];

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
    this.added.push([key, atMs, rejected]);
    // Insertion order is arrival order: the oldest are first.
    for (const [oldKey, entry] of this.entries) {
      if (this.entries.size <= this.maxRequests && entry.atMs >= atMs - this.windowMs) break;
      this.entries.delete(oldKey);
    }
  }

  /** What was remembered since the last call, and the time of the oldest request still kept. */
  takeAdded(): { added: [string, number, number][]; keptFromMs: number } {
    const added = this.added;
    this.added = [];
    const oldest = this.entries.values().next();
    return { added, keptFromMs: oldest.done ? Infinity : oldest.value.atMs };
  }

  /** Gives back what `takeAdded` took (its checkpoint failed). */
  restoreAdded(added: [string, number, number][]): void {
    this.added = added.concat(this.added);
  }

  /** The window a checkpoint stored (oldest first), under the limits in force now. */
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
