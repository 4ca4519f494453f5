/**
 * An ExportMetricsServiceRequest read from its protobuf bytes straight into TwinPoints: no message
 * objects, attribute keys matched on their bytes, only the twin's attributes decoded.
 *
 * It reads the common case, strictly. Anything else — a wire type other than the schema's, a
 * message field given twice, a nested attribute value, a histogram, a point the conventions
 * reject, a truncated body — makes it answer `undefined`, and the caller takes the general path
 * (protobufjs, then normalize.ts), which decides as it always has. Where it answers, its answer is
 * the general path's: both apply the same conventions (conventions.ts) to the same values, and
 * the fuzz suite (test/fuzz/otlp-invariants.ts) compares the two on every body it makes.
 */
import { isUtf8 } from 'node:buffer';
import type { NormalizedBatch, TwinPoint } from '../../model.js';
import {
  PointAttributes,
  boundedString,
  finite,
  twinPoint,
  twinResource,
  unsignedNanosToMs,
} from './conventions.js';
import type { RequestBounds } from './bounds.js';
import {
  KeyTable,
  Recent,
  digitsToMs,
  notDirect,
  pointKeyTable,
  pointKeys,
  readDirectly,
  resourceKeyTable,
  resourceKeys,
  setPointAttribute,
  targetTimeKey,
} from './direct-shared.js';
import type { AnyValue, KeyValue } from './types.js';

// Wire types.
const VARINT = 0;
const FIXED64 = 1;
const BYTES = 2;
const FIXED32 = 5;

/**
 * The field numbers each message of the schema declares (exporter/proto/otlp.proto), as bit masks.
 * protobufjs reads a declared field by its number whatever the wire type says; a declared field
 * with an unexpected wire type is therefore left to it, and only undeclared fields are skipped.
 */
const fields = (...numbers: number[]) => numbers.reduce((mask, n) => mask | (1 << n), 0);
const known = {
  request: fields(1),
  resourceMetrics: fields(1, 2, 3),
  resource: fields(1, 2),
  scopeMetrics: fields(1, 2, 3),
  scope: fields(1, 2, 3, 4),
  metric: fields(1, 2, 3, 5, 7, 9, 10, 11),
  gauge: fields(1),
  sum: fields(1, 2, 3),
  numberDataPoint: fields(2, 3, 4, 6, 7, 8),
  keyValue: fields(1, 2),
};

/** A point attribute as read: which twin key (-1: another), its value, the messages it counts. */
interface ReadAttribute {
  which: number;
  value: AnyValue | undefined;
  elements: number;
}

/**
 * Point attributes, whole (key and value bytes): a data point usually carries the same few as
 * the one before, and one comparison of their bytes then stands for reading them.
 */
const recentPointAttributes = new Recent<ReadAttribute>(64, 96);

/** The string values of each twin key: sources, a class's properties, a model's versions. */
const stringValues = () => new Recent<AnyValue>(16, 64);
const resourceValues = resourceKeys.map(stringValues);
/**
 * A prediction's target time differs from point to point: it is read each time, and when it is
 * decimal digits, straight into milliseconds, its AnyValue then standing for "given in digits".
 */
const inDigits: AnyValue = { value: 'stringValue' };
/** (The target time's slot stays empty: `keyValue` reads that value itself.) */
const pointValues = pointKeys.map(stringValues);

/**
 * The request's points, or undefined when the general path must read it. With `bounds`, a request
 * over them is left to the general path too, which refuses it naming the bound: this reader
 * counts the messages and points that `checkRequestBounds` counts, so it never accepts what that
 * refuses.
 */
export function readMetricsDirect(
  body: Buffer,
  bounds?: RequestBounds,
): NormalizedBatch | undefined {
  return readDirectly(
    new DirectReader(body, bounds?.maxElements ?? Infinity, bounds?.maxPoints ?? Infinity),
  );
}

class DirectReader {
  readonly points: TwinPoint[] = [];
  private pos = 0;
  /** Messages and data points read so far, as `checkRequestBounds` counts them. */
  private elements = 0;
  private counted = 0;
  /** The value the last `keyValue` read (undefined when it had none, or it was not decoded). */
  private lastValue: AnyValue | undefined;
  private readonly attributes = new PointAttributes();
  /** The field ranges of the message being read, for messages whose fields may come in any order. */
  private readonly scopes: number[] = [];

  constructor(
    private readonly buf: Buffer,
    private readonly maxElements: number,
    private readonly maxPoints: number,
  ) {}

  /** One more message of the schema (any of them, as the bounds count them). */
  private element(): void {
    if (++this.elements > this.maxElements) throw notDirect;
  }

  request(): void {
    const end = this.buf.length;
    while (this.pos < end) {
      const tag = this.tag();
      if (tag === ((1 << 3) | BYTES)) {
        this.element();
        this.resourceMetrics(this.length());
      } else this.unknown(tag, known.request);
    }
  }

  // ---- messages ----

  /** The resource may follow its scopes on the wire: the scopes are read once it is known. */
  private resourceMetrics(end: number): void {
    let resourceStart = -1;
    let resourceEnd = -1;
    const scopes = this.scopes;
    const first = scopes.length;
    while (this.pos < end) {
      const tag = this.tag();
      if (tag === ((1 << 3) | BYTES)) {
        if (resourceStart >= 0) throw notDirect; // protobufjs keeps the last; rare: leave it to it
        this.element();
        resourceEnd = this.length();
        resourceStart = this.pos;
        this.pos = resourceEnd;
      } else if (tag === ((2 << 3) | BYTES)) {
        this.element();
        const scopeEnd = this.length();
        scopes.push(this.pos, scopeEnd);
        this.pos = scopeEnd;
      } else if (tag === ((3 << 3) | BYTES)) {
        this.skipText(); // schema_url
      } else this.unknown(tag, known.resourceMetrics);
    }
    this.end(end);
    const attributes: KeyValue[] = [];
    if (resourceStart >= 0) {
      this.pos = resourceStart;
      this.resource(resourceEnd, attributes);
    }
    const resource = twinResource(resourceStart >= 0 ? { attributes } : undefined);
    if (resource.rejected) throw notDirect;
    const last = scopes.length;
    for (let i = first; i < last; i += 2) {
      this.pos = scopes[i]!;
      this.scopeMetrics(scopes[i + 1]!, resource);
    }
    scopes.length = first;
    this.pos = end;
  }

  private resource(end: number, twin: KeyValue[]): void {
    while (this.pos < end) {
      const tag = this.tag();
      if (tag === ((1 << 3) | BYTES)) this.keyValue(this.length(), resourceKeyTable, twin);
      else if (tag === ((2 << 3) | VARINT))
        this.varint(); // dropped_attributes_count
      else this.unknown(tag, known.resource);
    }
    this.end(end);
  }

  private scopeMetrics(end: number, resource: ReturnType<typeof twinResource>): void {
    let scopeSeen = false;
    while (this.pos < end) {
      const tag = this.tag();
      if (tag === ((1 << 3) | BYTES)) {
        if (scopeSeen) throw notDirect;
        scopeSeen = true;
        this.scope(this.length());
      } else if (tag === ((2 << 3) | BYTES)) this.metric(this.length(), resource);
      else if (tag === ((3 << 3) | BYTES))
        this.skipText(); // schema_url
      else this.unknown(tag, known.scopeMetrics);
    }
    this.end(end);
  }

  private scope(end: number): void {
    this.element();
    while (this.pos < end) {
      const tag = this.tag();
      if (tag === ((1 << 3) | BYTES) || tag === ((2 << 3) | BYTES)) this.skipText();
      else if (tag === ((3 << 3) | BYTES)) this.keyValue(this.length(), undefined, undefined);
      else if (tag === ((4 << 3) | VARINT)) this.varint();
      else this.unknown(tag, known.scope);
    }
    this.end(end);
  }

  /** The name may follow the data on the wire: the points are read once it is known. */
  private metric(end: number, resource: ReturnType<typeof twinResource>): void {
    this.element();
    let nameStart = 0;
    let nameEnd = 0;
    let dataStart = -1;
    let dataEnd = -1;
    let dataMask = known.gauge;
    while (this.pos < end) {
      const tag = this.tag();
      const field = tag >>> 3;
      if (tag === ((1 << 3) | BYTES)) {
        nameEnd = this.length();
        nameStart = this.pos;
        this.checkText(nameStart, nameEnd);
        this.pos = nameEnd;
      } else if (tag === ((2 << 3) | BYTES) || tag === ((3 << 3) | BYTES)) {
        this.skipText(); // description, unit
      } else if (tag === ((5 << 3) | BYTES) || tag === ((7 << 3) | BYTES)) {
        if (dataStart >= 0) throw notDirect; // two data members: the last wins, in protobufjs
        this.element();
        dataMask = field === 5 ? known.gauge : known.sum;
        dataEnd = this.length();
        dataStart = this.pos;
        this.pos = dataEnd;
      } else if (field === 9 || field === 10 || field === 11) {
        throw notDirect; // histograms and summaries are rejected: the general path says so
      } else this.unknown(tag, known.metric);
    }
    this.end(end);
    if (dataStart < 0) return; // no data: no points, as in the general path
    const name = boundedString(this.buf.utf8Slice(nameStart, nameEnd));
    this.pos = dataStart;
    this.numberData(dataEnd, dataMask, resource, name);
    this.pos = end;
  }

  /** Gauge or Sum (`mask`): their points are field 1 in both; Sum's other fields are scalars. */
  private numberData(
    end: number,
    mask: number,
    resource: ReturnType<typeof twinResource>,
    name: string | null | undefined,
  ): void {
    while (this.pos < end) {
      const tag = this.tag();
      if (tag === ((1 << 3) | BYTES)) this.numberDataPoint(this.length(), resource, name);
      else if (mask === known.sum && (tag === ((2 << 3) | VARINT) || tag === ((3 << 3) | VARINT))) {
        this.varint(); // aggregation_temporality, is_monotonic
      } else this.unknown(tag, mask);
    }
    this.end(end);
  }

  private numberDataPoint(
    end: number,
    resource: ReturnType<typeof twinResource>,
    name: string | null | undefined,
  ): void {
    this.element();
    if (++this.counted > this.maxPoints) throw notDirect;
    const attributes = this.attributes;
    attributes.clear();
    let timeMs = 0;
    let value: number | undefined;
    let valueSet = false;
    const buf = this.buf;
    while (this.pos < end) {
      const tag = this.tag();
      switch (tag) {
        case (7 << 3) | BYTES:
          this.pointAttribute(this.length());
          break;
        case (2 << 3) | FIXED64:
          this.fixed(8); // start_time_unix_nano
          break;
        case (3 << 3) | FIXED64: {
          const at = this.fixed(8);
          timeMs = unsignedNanosToMs(uint32At(buf, at + 4), uint32At(buf, at));
          break;
        }
        case (4 << 3) | FIXED64:
          value = finite(doubleAt(buf, this.fixed(8)));
          valueSet = true;
          break;
        case (6 << 3) | FIXED64: {
          const at = this.fixed(8);
          value = finite((uint32At(buf, at + 4) | 0) * 4294967296 + uint32At(buf, at));
          valueSet = true;
          break;
        }
        case (8 << 3) | VARINT:
          this.varint(); // flags
          break;
        default:
          this.unknown(tag, known.numberDataPoint);
      }
    }
    this.end(end);
    const point = twinPoint(resource, attributes, name, valueSet ? value : undefined, timeMs);
    if (typeof point === 'string') throw notDirect; // rejected: the general path counts and says why
    this.points.push(point);
  }

  /** A point attribute: one seen before is taken as it was read then. */
  private pointAttribute(end: number): void {
    const start = this.pos;
    const seen = recentPointAttributes.get(this.buf, start, end);
    if (seen) {
      if ((this.elements += seen.elements) > this.maxElements) throw notDirect;
      if (seen.which >= 0) setPointAttribute(this.attributes, seen.which, seen.value);
      this.pos = end;
      return;
    }
    const before = this.elements;
    const which = this.keyValue(end, pointKeyTable, undefined);
    // A prediction's target time differs from point to point: not worth keeping.
    if (which !== targetTimeKey) {
      const read = { which, value: this.lastValue, elements: this.elements - before };
      recentPointAttributes.add(this.buf, start, end, read);
    }
  }

  /**
   * A KeyValue. With `keys`, a key among them has its value decoded: into `twin` (resources), or
   * onto the point's attributes (points). Any other key's value is checked and skipped.
   */
  private keyValue(end: number, keys: KeyTable | undefined, twin: KeyValue[] | undefined): number {
    this.element();
    let keyStart = -1;
    let keyEnd = -1;
    let valueStart = -1;
    let valueEnd = -1;
    while (this.pos < end) {
      const tag = this.tag();
      if (tag === ((1 << 3) | BYTES)) {
        keyEnd = this.length();
        keyStart = this.pos;
        this.pos = keyEnd;
      } else if (tag === ((2 << 3) | BYTES)) {
        if (valueStart >= 0) throw notDirect;
        this.element();
        valueEnd = this.length();
        valueStart = this.pos;
        this.pos = valueEnd;
      } else this.unknown(tag, known.keyValue);
    }
    this.end(end);
    const which = keys && keyStart >= 0 ? keys.find(this.buf, keyStart, keyEnd) : -1;
    // A twin key is ASCII; any other is checked as protobufjs would.
    if (which < 0 && keyStart >= 0) this.checkText(keyStart, keyEnd);
    let value: AnyValue | undefined;
    let targetTimeMs: number | undefined;
    if (valueStart >= 0) {
      if (which < 0) value = this.anyValue(valueStart, valueEnd, false);
      else if (!twin && which === targetTimeKey) {
        targetTimeMs = this.digitsAsMs(valueStart, valueEnd);
        value = targetTimeMs === undefined ? this.anyValue(valueStart, valueEnd, true) : inDigits;
      } else {
        value = this.twinValue(valueStart, valueEnd, (twin ? resourceValues : pointValues)[which]!);
      }
    }
    this.pos = end;
    this.lastValue = value;
    if (which < 0) return which;
    if (twin) twin.push({ key: resourceKeys[which]!, value });
    else {
      setPointAttribute(this.attributes, which, value);
      if (which === targetTimeKey) this.attributes.targetTimeMs = targetTimeMs;
    }
    return which;
  }

  /**
   * An AnyValue holding a string of 1 to 21 decimal digits (a time in nanoseconds, as OTLP/JSON
   * writes 64-bit integers), in milliseconds exactly as `nanosToMs` reads the string; undefined
   * for anything else, which is then read as a value.
   */
  private digitsAsMs(start: number, end: number): number | undefined {
    const buf = this.buf;
    const length = buf[start + 1]!;
    if (buf[start] !== ((1 << 3) | BYTES) || start + 2 + length !== end) return undefined;
    return digitsToMs(buf, start + 2, end);
  }

  /** A twin key's value: a string seen before is taken from `known`; anything else is read. */
  private twinValue(start: number, end: number, known: Recent<AnyValue>): AnyValue | undefined {
    const buf = this.buf;
    // One string member: its tag, a one-byte length, the bytes to the end of the AnyValue.
    const length = buf[start + 1]!;
    if (buf[start] === ((1 << 3) | BYTES) && length < 0x80 && start + 2 + length === end) {
      const seen = known.get(buf, start + 2, end);
      if (seen) return seen;
      const value = this.anyValue(start, end, true)!;
      known.add(buf, start + 2, end, value);
      return value;
    }
    return this.anyValue(start, end, true);
  }

  /**
   * An AnyValue of one scalar member, decoded when `decode`, else only checked. Nested values,
   * bytes and repeated members are left to the general path.
   */
  private anyValue(start: number, end: number, decode: boolean): AnyValue | undefined {
    this.pos = start;
    let result: AnyValue | undefined;
    let members = 0;
    const buf = this.buf;
    while (this.pos < end) {
      const tag = this.tag();
      members++;
      switch (tag) {
        case (1 << 3) | BYTES: {
          const stringEnd = this.length();
          this.checkText(this.pos, stringEnd);
          if (decode) {
            result = { value: 'stringValue', stringValue: buf.utf8Slice(this.pos, stringEnd) };
          }
          this.pos = stringEnd;
          break;
        }
        case (2 << 3) | VARINT: {
          const low = this.varint();
          if (decode) result = { value: 'boolValue', boolValue: low !== 0 };
          break;
        }
        case (3 << 3) | VARINT: {
          const at = this.pos;
          this.varint64();
          if (decode) result = { value: 'intValue', intValue: this.int64At(at) };
          break;
        }
        case (4 << 3) | FIXED64: {
          const at = this.fixed(8);
          if (decode) result = { value: 'doubleValue', doubleValue: doubleAt(buf, at) };
          break;
        }
        default:
          throw notDirect; // arrays, key-value lists, bytes, unknown fields
      }
    }
    if (members > 1) throw notDirect;
    this.end(end);
    return decode ? (result ?? {}) : undefined;
  }

  // ---- wire ----

  /**
   * A string field's bytes must be UTF-8: protobufjs verifies proto3 strings (`stringVerify`) and
   * refuses the request otherwise, so such a request is left to it. ASCII is checked here.
   */
  private checkText(start: number, end: number): void {
    const buf = this.buf;
    for (let i = start; i < end; i++) {
      if (buf[i]! >= 0x80) {
        if (!isUtf8(buf.subarray(start, end))) throw notDirect;
        return;
      }
    }
  }

  /** A string field not needed: checked, and skipped. */
  private skipText(): void {
    const end = this.length();
    this.checkText(this.pos, end);
    this.pos = end;
  }

  /** A field's tag (its number and wire type); field 0 is no field. */
  private tag(): number {
    const tag = this.varint();
    if (tag >>> 3 === 0) throw notDirect;
    return tag;
  }

  /** A length-delimited field's length, as its end offset within the body. */
  private length(): number {
    const length = this.varint();
    const end = this.pos + length;
    if (end > this.buf.length) throw notDirect;
    return end;
  }

  /**
   * A tag, a length or a 32-bit field's varint, of at most 4 bytes (below 2^28): every protobufjs
   * reads those alike. Longer ones (negative int32s, huge field numbers) are left to it.
   */
  private varint(): number {
    const buf = this.buf;
    let value = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (this.pos >= buf.length) throw notDirect;
      const byte = buf[this.pos++]!;
      value |= (byte & 0x7f) << shift;
      if (byte < 0x80) return value;
    }
    throw notDirect;
  }

  /** Skips a varint of 1 to 10 bytes, as protobufjs reads 64-bit ones and skips unknown ones. */
  private varint64(): void {
    const buf = this.buf;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= buf.length) throw notDirect;
      if (buf[this.pos++]! < 0x80) return;
    }
    throw notDirect;
  }

  /** The varint at `at` as a 64-bit integer in protobufjs's form (its two 32-bit halves). */
  private int64At(at: number): { low: number; high: number; unsigned: boolean } {
    const buf = this.buf;
    let low = 0;
    let high = 0;
    for (let i = 0, shift = 0; i < 10; i++, shift += 7) {
      const byte = buf[at + i]!;
      const bits = byte & 0x7f;
      if (shift < 28) low |= bits << shift;
      else if (shift === 28) {
        low |= (bits & 0x0f) << 28;
        high |= bits >>> 4;
      } else high |= bits << (shift - 32);
      if (byte < 0x80) break;
    }
    return { low: low | 0, high: high | 0, unsigned: false };
  }

  /** Skips `size` bytes of a fixed-width field; returns where they start. */
  private fixed(size: number): number {
    const at = this.pos;
    if (at + size > this.buf.length) throw notDirect;
    this.pos = at + size;
    return at;
  }

  /** A field `mask` does not declare: skipped as protobufjs skips it. */
  private unknown(tag: number, mask: number): void {
    const field = tag >>> 3;
    if (field < 31 && (mask >>> field) & 1) throw notDirect; // declared, with another wire type
    switch (tag & 7) {
      case VARINT:
        this.varint64();
        return;
      case FIXED64:
        this.fixed(8);
        return;
      case BYTES:
        this.pos = this.length();
        return;
      case FIXED32:
        this.fixed(4);
        return;
      default:
        throw notDirect; // groups, invalid wire types
    }
  }

  /** A message must end exactly where its length said. */
  private end(end: number): void {
    if (this.pos !== end) throw notDirect;
  }
}

/** A little-endian uint32 at `at` (in bounds: `fixed` checked), without Buffer's own checks. */
function uint32At(buf: Buffer, at: number): number {
  return (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24)) >>> 0;
}

const doubleBytes = new Uint8Array(8);
const doubleView = new Float64Array(doubleBytes.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A little-endian double at `at` (in bounds), through a scratch view on a little-endian CPU. */
function doubleAt(buf: Buffer, at: number): number {
  if (!littleEndian) return buf.readDoubleLE(at);
  for (let i = 0; i < 8; i++) doubleBytes[i] = buf[at + i]!;
  return doubleView[0]!;
}
