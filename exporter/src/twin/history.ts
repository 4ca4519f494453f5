/**
 * The history of every property of the fleet: the values each held before its current ones (and
 * out-of-order arrivals), in arrival order, at most `capacity` per property.
 *
 * Kept in a few large typed arrays rather than in arrays per property. A million assets with
 * three properties and 32 entries each are 100 million values: as JavaScript arrays they were most
 * of the heap, and the garbage collector's pauses grow with the heap. In typed-array chunks they
 * are bytes the collector never walks, and a property's history is just a ring number.
 */
import { endianness } from 'node:os';
import type { ByteReader, ByteWriter } from '../bytes.js';
import type { PropertyValue } from '../model.js';

export type Side = 'physical' | 'twin';

export interface HistoryEntry {
  source: Side;
  sourceTimeMs: number;
  value: PropertyValue;
}

/** Rings per chunk of the typed arrays. */
const ringsPerChunk = 4096;
/** The encoding of a ring is little-endian: on such a machine its bytes are copied as they are. */
const littleEndian = endianness() === 'LE';

// An entry's tag: bit 0 the side (1: twin), bits 1–2 the kind of value.
const TWIN = 1;
const NUMBER = 0;
const TRUE = 2;
const FALSE = 4;
const STRING = 6;
const KIND = 6;

interface Chunk {
  times: Float64Array;
  values: Float64Array;
  tags: Uint8Array;
}

export class HistoryStore {
  private readonly chunks: Chunk[] = [];
  /** Per ring: entries held, and once full the slot the next entry overwrites (the oldest). */
  private sizes = new Int32Array(0);
  private nexts = new Int32Array(0);
  /** Strings, per ring that ever held one: numbers and booleans need no object. */
  private readonly strings = new Map<number, (string | undefined)[]>();
  private readonly free: number[] = [];
  private rings = 0;

  constructor(readonly capacity: number) {}

  /** Rings in use. */
  get ringsInUse(): number {
    return this.rings - this.free.length;
  }

  /** A new, empty ring. */
  allocate(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    const ring = this.rings++;
    if (ring % ringsPerChunk === 0) {
      const entries = ringsPerChunk * this.capacity;
      this.chunks.push({
        times: new Float64Array(entries),
        values: new Float64Array(entries),
        tags: new Uint8Array(entries),
      });
    }
    if (ring >= this.sizes.length) {
      // Doubled, so a growing fleet copies these O(rings) times in all, not O(rings²).
      const grown = (from: Int32Array) => {
        const to = new Int32Array(Math.max(ringsPerChunk, from.length * 2));
        to.set(from);
        return to;
      };
      this.sizes = grown(this.sizes);
      this.nexts = grown(this.nexts);
    }
    return ring;
  }

  /** Gives a ring back (its property is gone). */
  release(ring: number): void {
    this.sizes[ring] = 0;
    this.nexts[ring] = 0;
    this.strings.delete(ring);
    this.free.push(ring);
  }

  size(ring: number): number {
    return this.sizes[ring] as number;
  }

  push(ring: number, source: Side, sourceTimeMs: number, value: PropertyValue): void {
    const size = this.sizes[ring] as number;
    let slot: number;
    if (size < this.capacity) {
      slot = size;
      this.sizes[ring] = size + 1;
    } else {
      slot = this.nexts[ring] as number;
      this.nexts[ring] = (slot + 1) % this.capacity;
    }
    const chunk = this.chunks[(ring / ringsPerChunk) | 0] as Chunk;
    const at = (ring % ringsPerChunk) * this.capacity + slot;
    chunk.times[at] = sourceTimeMs;
    const side = source === 'twin' ? TWIN : 0;
    if (typeof value === 'number') {
      chunk.values[at] = value;
      chunk.tags[at] = side | NUMBER;
    } else if (typeof value === 'boolean') {
      chunk.tags[at] = side | (value ? TRUE : FALSE);
    } else {
      chunk.tags[at] = side | STRING;
      let strings = this.strings.get(ring);
      if (!strings)
        this.strings.set(ring, (strings = new Array<string | undefined>(this.capacity)));
      strings[slot] = value;
      return;
    }
    // A string this slot held before is not kept alive.
    const strings = this.strings.get(ring);
    if (strings) strings[slot] = undefined;
  }

  /** Visits a ring's entries in arrival order, oldest first, without allocating them. */
  forEach(
    ring: number,
    visit: (source: Side, sourceTimeMs: number, value: PropertyValue) => void,
  ): void {
    const size = this.sizes[ring] as number;
    const first = size < this.capacity ? 0 : (this.nexts[ring] as number);
    const chunk = this.chunks[(ring / ringsPerChunk) | 0] as Chunk;
    const base = (ring % ringsPerChunk) * this.capacity;
    const strings = this.strings.get(ring);
    for (let k = 0; k < size; k++) {
      const slot = (first + k) % this.capacity;
      const tag = chunk.tags[base + slot] as number;
      const kind = tag & KIND;
      const value =
        kind === NUMBER
          ? (chunk.values[base + slot] as number)
          : kind === STRING
            ? (strings?.[slot] as string)
            : kind === TRUE;
      visit(tag & TWIN ? 'twin' : 'physical', chunk.times[base + slot] as number, value);
    }
  }

  /**
   * Writes a ring's entries, oldest first: their count, then three blocks (times and values as
   * little-endian doubles, tags as bytes), then the strings in order. The blocks are copies of the
   * typed arrays, so encoding a full history costs a few copies, not a call per entry.
   */
  encode(ring: number, out: ByteWriter): void {
    const size = this.sizes[ring] as number;
    out.varuint(size);
    if (size === 0) return;
    const first = size < this.capacity ? 0 : (this.nexts[ring] as number);
    const chunk = this.chunks[(ring / ringsPerChunk) | 0] as Chunk;
    const base = (ring % ringsPerChunk) * this.capacity;
    // Arrival order: from the oldest slot to the end, then from slot 0 up to it.
    const segments =
      first === 0
        ? [[0, size]]
        : [
            [first, size],
            [0, first],
          ];
    for (const doubles of [chunk.times, chunk.values]) {
      for (const [from, to] of segments as [number, number][]) {
        if (littleEndian) {
          out.raw(new Uint8Array(doubles.buffer, (base + from) * 8, (to - from) * 8));
        } else {
          for (let slot = from; slot < to; slot++) out.f64(doubles[base + slot] as number);
        }
      }
    }
    for (const [from, to] of segments as [number, number][]) {
      out.raw(chunk.tags.subarray(base + from, base + to));
    }
    const strings = this.strings.get(ring);
    if (!strings) return;
    for (const [from, to] of segments as [number, number][]) {
      for (let slot = from; slot < to; slot++) {
        if (((chunk.tags[base + slot] as number) & KIND) === STRING) {
          out.string(strings[slot] as string);
        }
      }
    }
  }

  toArray(ring: number): HistoryEntry[] {
    const entries: HistoryEntry[] = [];
    this.forEach(ring, (source, sourceTimeMs, value) =>
      entries.push({ source, sourceTimeMs, value }),
    );
    return entries;
  }
}

/** Reads a ring `HistoryStore.encode` wrote, entry by entry, oldest first. */
export function readHistory(
  input: ByteReader,
  visit: (source: Side, sourceTimeMs: number, value: PropertyValue) => void,
): void {
  const size = input.varuint();
  if (size === 0) return;
  const times = input.block(size * 8);
  const values = input.block(size * 8);
  const tags = input.block(size);
  for (let k = 0; k < size; k++) {
    const tag = tags.getUint8(k);
    const kind = tag & KIND;
    const value =
      kind === NUMBER
        ? values.getFloat64(k * 8, true)
        : kind === STRING
          ? input.string()
          : kind === TRUE;
    visit(tag & TWIN ? 'twin' : 'physical', times.getFloat64(k * 8, true), value);
  }
}
