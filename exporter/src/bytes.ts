/**
 * A byte writer and reader for the exporter's own binary records (journal events, checkpointed
 * assets): little-endian doubles, unsigned varints, length-prefixed UTF-8 strings, byte runs and
 * property values. Doubles carry every number exactly, NaN and ±Infinity included.
 */
import type { PropertyValue } from './model.js';

// Tags of a property value.
const NUMBER = 0;
const STRING = 1;
const TRUE = 2;
const FALSE = 3;

export class ByteWriter {
  private buffer: Buffer;
  /** Doubles through a DataView: much cheaper than Buffer's own methods on the hot path. */
  private data: DataView;
  private position = 0;

  constructor(initialBytes = 4096) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
    this.data = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
  }

  get length(): number {
    return this.position;
  }

  /** A copy of what was written since `from` (0: everything). */
  copy(from = 0): Uint8Array {
    return Uint8Array.prototype.slice.call(this.buffer, from, this.position);
  }

  /** What was written, as a view of the writer's own buffer: valid until the next write or reset. */
  view(from = 0): Uint8Array {
    return this.buffer.subarray(from, this.position);
  }

  reset(): void {
    this.position = 0;
  }

  u8(value: number): void {
    this.reserve(1);
    this.buffer[this.position++] = value;
  }

  f64(value: number): void {
    this.reserve(8);
    this.data.setFloat64(this.position, value, true);
    this.position += 8;
  }

  /** An unsigned integer below 2^53, 7 bits a byte. */
  varuint(value: number): void {
    this.reserve(8);
    while (value >= 0x80) {
      this.buffer[this.position++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buffer[this.position++] = value;
  }

  string(value: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    this.reserve(8 + value.length * 3);
    const lengthAt = this.position;
    const written = this.buffer.write(value, lengthAt + 4, 'utf8');
    this.buffer.writeUInt32LE(written, lengthAt);
    this.position = lengthAt + 4 + written;
  }

  bytes(value: Uint8Array): void {
    this.varuint(value.length);
    this.raw(value);
  }

  value(value: PropertyValue): void {
    if (typeof value === 'number') {
      this.u8(NUMBER);
      this.f64(value);
    } else if (typeof value === 'string') {
      this.u8(STRING);
      this.string(value);
    } else {
      this.u8(value ? TRUE : FALSE);
    }
  }

  /** Bytes without a length: only as the last field of a record. */
  raw(value: Uint8Array): void {
    this.reserve(value.length);
    this.buffer.set(value, this.position);
    this.position += value.length;
  }

  private reserve(bytes: number): void {
    if (this.position + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.position + bytes));
    this.buffer.copy(grown, 0, 0, this.position);
    this.buffer = grown;
    this.data = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }
}

/** Thrown when a record ends early or holds what its writer never wrote. */
export class CorruptRecordError extends Error {}

export class ByteReader {
  private readonly buffer: Buffer;
  private readonly data: DataView;
  private position = 0;

  constructor(bytes: Uint8Array) {
    this.buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get done(): boolean {
    return this.position >= this.buffer.length;
  }

  u8(): number {
    this.need(1);
    return this.buffer[this.position++] as number;
  }

  f64(): number {
    this.need(8);
    const value = this.data.getFloat64(this.position, true);
    this.position += 8;
    return value;
  }

  varuint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = this.u8();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
      if (scale > 2 ** 56) throw new CorruptRecordError('varint too long');
    }
  }

  string(): string {
    this.need(4);
    const length = this.data.getUint32(this.position, true);
    this.position += 4;
    this.need(length);
    const value = this.buffer.toString('utf8', this.position, this.position + length);
    this.position += length;
    return value;
  }

  value(): PropertyValue {
    const tag = this.u8();
    switch (tag) {
      case NUMBER:
        return this.f64();
      case STRING:
        return this.string();
      case TRUE:
        return true;
      case FALSE:
        return false;
      default:
        throw new CorruptRecordError(`unknown value tag ${tag}`);
    }
  }

  /** A view into the record (copy it to keep it beyond the record's life). */
  bytes(): Uint8Array {
    const length = this.varuint();
    this.need(length);
    const value = this.buffer.subarray(this.position, this.position + length);
    this.position += length;
    return value;
  }

  /** The next `length` bytes, as a view to read numbers from. */
  block(length: number): DataView {
    this.need(length);
    const view = new DataView(this.buffer.buffer, this.buffer.byteOffset + this.position, length);
    this.position += length;
    return view;
  }

  /** The rest of the record. */
  rest(): Uint8Array {
    const value = this.buffer.subarray(this.position);
    this.position = this.buffer.length;
    return value;
  }

  private need(bytes: number): void {
    if (this.position + bytes > this.buffer.length) {
      throw new CorruptRecordError(
        `record ends after ${this.buffer.length} bytes, ${bytes} more needed at ${this.position}`,
      );
    }
  }
}
