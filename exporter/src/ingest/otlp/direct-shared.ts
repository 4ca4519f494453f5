/**
 * What the direct readers (direct-metrics.ts for protobuf, direct-json.ts for JSON) share: the
 * twin's attribute keys found by their bytes, values recently read kept by their bytes, decimal
 * nanoseconds read straight from their digits, and how a reader gives up (`notDirect`) and is run
 * (`readDirectly`).
 */
import type { NormalizedBatch, TwinPoint } from '../../model.js';
import type { PointAttributes } from './conventions.js';
import type { AnyValue } from './types.js';

declare global {
  interface Buffer {
    /** Node's UTF-8 decoder without `toString`'s argument handling; protobufjs reads strings so. */
    utf8Slice(start: number, end: number): string;
    /** The same for Latin-1 (JSON numbers are ASCII). */
    latin1Slice(start: number, end: number): string;
  }
}

/** Resource attributes the conventions read (twinResource), by key. */
export const resourceKeys = ['twin.asset.id', 'twin.asset.class', 'twin.site', 'twin.source'];

/** Point attributes the conventions read (PointAttributes), by key, in `setPointAttribute`'s order. */
export const pointKeys = [
  'twin.source',
  'twin.property',
  'twin.model.name',
  'twin.model.version',
  'twin.prediction.target_time_unix_nano',
  'twin.desired.version',
  'twin.reported.version',
];

export const targetTimeKey = pointKeys.indexOf('twin.prediction.target_time_unix_nano');

/**
 * Keys found by their bytes, no string made: the twin's keys have distinct lengths, so the length
 * picks the one candidate, compared from its end (they all begin with `twin.`).
 */
export class KeyTable {
  private readonly bytes: Buffer[];
  private readonly byLength = new Int8Array(64).fill(-1);

  constructor(private readonly keys: readonly string[]) {
    this.bytes = keys.map((key) => Buffer.from(key, 'latin1'));
    this.bytes.forEach((key, i) => {
      if (this.byLength[key.length] !== -1) throw new Error(`two keys of ${key.length} bytes`);
      this.byLength[key.length] = i;
    });
  }

  /** The index of `key`, or -1 (a key read from text with escapes, not from its bytes). */
  indexOf(key: string): number {
    return this.keys.indexOf(key);
  }

  /** The index of the key at [start, end) of `buf`, or -1. */
  find(buf: Buffer, start: number, end: number): number {
    const length = end - start;
    const k = length < 64 ? this.byLength[length]! : -1;
    if (k < 0) return -1;
    const key = this.bytes[k]!;
    for (let i = length - 1; i >= 0; i--) if (key[i] !== buf[start + i]) return -1;
    return k;
  }
}

export const resourceKeyTable = new KeyTable(resourceKeys);
export const pointKeyTable = new KeyTable(pointKeys);

/**
 * What was read from byte strings seen recently, by their bytes: a value seen before is taken
 * again, neither decoded nor checked anew. What is kept is only ever read, so one object serves
 * every point that carries the same bytes. Direct-mapped: a string's slot follows from its length
 * and three of its bytes, so a lookup compares one candidate, whatever the cache holds; two
 * strings sharing a slot take turns (a miss reads the value again).
 */
/** 2^32 divided by the golden ratio: multiplying by it spreads a few bytes over every bit. */
const golden = 0x9e3779b1;

export class Recent<T> {
  protected readonly bytes: (Buffer | undefined)[];
  protected readonly values: (T | undefined)[];
  protected readonly mask: number;

  /** @param slots kept (a power of two); @param longest longer byte strings are not kept */
  constructor(
    slots: number,
    private readonly longest: number,
  ) {
    this.mask = slots - 1;
    this.bytes = new Array<Buffer | undefined>(slots).fill(undefined);
    this.values = new Array<T | undefined>(slots).fill(undefined);
  }

  /** What was read from the bytes at [start, end) of `buf`, if they were seen. */
  get(buf: Buffer, start: number, end: number): T | undefined {
    const slot = this.slot(buf, start, end);
    const known = this.bytes[slot];
    const length = end - start;
    if (known === undefined || known.length !== length) return undefined;
    let i = length - 1;
    while (i >= 0 && known[i] === buf[start + i]) i--;
    return i < 0 ? this.values[slot] : undefined;
  }

  add(buf: Buffer, start: number, end: number, value: T): void {
    if (end - start > this.longest) return;
    const slot = this.slot(buf, start, end);
    this.bytes[slot] = Buffer.from(buf.subarray(start, end));
    this.values[slot] = value;
  }

  protected slot(buf: Buffer, start: number, end: number): number {
    const length = end - start;
    if (length === 0) return 0;
    let hash = Math.imul(length, golden);
    hash = Math.imul(hash ^ buf[end - 1]!, golden);
    hash = Math.imul(hash ^ buf[start + (length >> 1)]!, golden);
    hash = Math.imul(hash ^ buf[start + ((3 * length) >> 2)]!, golden);
    hash = Math.imul(hash ^ buf[start + ((7 * length) >> 3)]!, golden);
    return (hash >>> 16) & this.mask;
  }
}

/** Thrown inside a direct reader for "not the common case": caught by `readDirectly`. */
export const notDirect = new Error('not read directly');

/**
 * Runs a direct reader over a whole request: its points, or undefined when it met something it
 * leaves to the general path (it threw `notDirect`).
 */
export function readDirectly(reader: {
  request(): void;
  readonly points: TwinPoint[];
}): NormalizedBatch | undefined {
  try {
    reader.request();
  } catch (error) {
    if (error === notDirect) return undefined;
    throw error;
  }
  return { points: reader.points, rejected: {}, rejectedCount: 0, errorMessage: '' };
}

/** Sets the point attribute `which` (an index of `pointKeys`). */
export function setPointAttribute(
  attributes: PointAttributes,
  which: number,
  value: AnyValue | undefined,
): void {
  switch (which) {
    case 0:
      attributes.source = value;
      break;
    case 1:
      attributes.property = value;
      break;
    case 2:
      attributes.modelName = value;
      break;
    case 3:
      attributes.modelVersion = value;
      break;
    case 4:
      attributes.targetTime = value;
      break;
    case 5:
      attributes.desiredVersion = value;
      break;
    case 6:
      attributes.reportedVersion = value;
      break;
  }
}

/**
 * The decimal digits at [from, end) of `buf` (1 to 21 of them: a time in nanoseconds, as OTLP/JSON
 * writes 64-bit integers) in milliseconds, exactly as `nanosToMs` reads the same string; undefined
 * for anything else, which the caller then reads as `nanosToMs` does.
 */
export function digitsToMs(buf: Uint8Array, from: number, end: number): number | undefined {
  const length = end - from;
  if (length === 0 || length > 21) return undefined;
  const split = Math.max(from, end - 6); // the sub-millisecond digits, when there are more than 15
  let high = 0;
  let low = 0;
  for (let i = from; i < end; i++) {
    const digit = buf[i]! - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    if (length <= 15 || i < split) high = high * 10 + digit;
    else low = low * 10 + digit;
  }
  if (length <= 15) {
    const subMs = high % 1e6;
    return (high - subMs) / 1e6 + subMs / 1e6;
  }
  return high + low / 1e6;
}
