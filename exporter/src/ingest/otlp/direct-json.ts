/**
 * An ExportMetricsServiceRequest read from its OTLP/JSON bytes straight into TwinPoints: no
 * JSON.parse, no objects but the points and the twin's values; keys matched on their bytes, only
 * the twin's values decoded.
 *
 * Like direct-metrics.ts it reads the common case, strictly, and answers `undefined` for anything
 * else — malformed JSON, a key written with escapes, a known field given twice, as null or under
 * both its JSON and its proto name, a resource after its scopes, a metric's name after its data,
 * a key after its value, a histogram or summary, an array, key-value list or bytes attribute
 * value, a point the conventions reject, a request over its bounds — and the caller takes the
 * general path (json.ts, then normalize.ts), which decides as it always has and names what is
 * wrong. Where it answers, the answer is the general path's: the body is UTF-8 JSON, each field
 * the general reader reads has the JSON type it requires, containers and commas are counted as
 * `checkRequestBounds` counts them, and the values go through the same conventions; the fuzz suite
 * (test/fuzz/otlp-invariants.ts) compares the two on every body it makes.
 */
import { isUtf8 } from 'node:buffer';
import type { NormalizedBatch, TwinPoint } from '../../model.js';
import { maxJsonDepth, type RequestBounds } from './bounds.js';
import {
  PointAttributes,
  boundedString,
  finite,
  int64ToNumber,
  nanosToMs,
  twinPoint,
  twinResource,
  type TwinResource,
} from './conventions.js';
import {
  type KeyTable,
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
import type { AnyValue, Int64, KeyValue } from './types.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

/**
 * A message's field names (its JSON name and its proto name, which the proto3 JSON mapping also
 * allows), each to a field id; unknown names are -1. The name that followed each field last time
 * is tried first, against the bytes as written (quotes included): members mostly come in the
 * same order, and one comparison then stands for reading the key and looking it up.
 */
class FieldNames {
  private readonly quoted: Buffer[] = [];
  readonly ids: number[] = [];
  private readonly byLength: number[][] = [];
  /** The name (its index) that came after field id `i - 1` last time; index 0: first in its object. */
  readonly next: Int16Array;

  constructor(fields: Record<string, number>) {
    for (const [name, id] of Object.entries(fields)) {
      (this.byLength[name.length] ??= []).push(this.ids.length);
      this.quoted.push(Buffer.from(`"${name}"`, 'latin1'));
      this.ids.push(id);
    }
    this.next = new Int16Array(Math.max(...this.ids) + 2).fill(-1);
  }

  /** The name at [start, end) of `buf` (unquoted): its index, or -1. */
  find(buf: Buffer, start: number, end: number): number {
    const candidates = this.byLength[end - start];
    if (candidates === undefined) return -1;
    for (let c = 0; c < candidates.length; c++) {
      const name = candidates[c]!;
      const bytes = this.quoted[name]!;
      let i = bytes.length - 2;
      while (i >= 1 && bytes[i] === buf[start + i - 1]) i--;
      if (i < 1) return name;
    }
    return -1;
  }

  /** The length of name `name`, quoted, if it is written at `at` of `buf`; else 0. */
  writtenAt(buf: Buffer, at: number, name: number): number {
    const bytes = this.quoted[name]!;
    if (at + bytes.length > buf.length) return 0;
    let i = bytes.length - 1;
    while (i >= 0 && bytes[i] === buf[at + i]) i--;
    return i < 0 ? bytes.length : 0;
  }
}

const requestFields = new FieldNames({ resourceMetrics: 1, resource_metrics: 1 });
const resourceMetricsFields = new FieldNames({ resource: 1, scopeMetrics: 2, scope_metrics: 2 });
const resourceFields = new FieldNames({ attributes: 1 });
const scopeMetricsFields = new FieldNames({ scope: 1, metrics: 2 });
const scopeFields = new FieldNames({ name: 1, version: 2, attributes: 3 });
const metricFields = new FieldNames({
  name: 1,
  gauge: 2,
  sum: 2,
  // Rejected by the general path as unsupported_metric_type: left to it to count.
  histogram: 3,
  exponentialHistogram: 3,
  exponential_histogram: 3,
  summary: 3,
});
const numberDataFields = new FieldNames({ dataPoints: 1, data_points: 1 });
const pointFields = new FieldNames({
  attributes: 1,
  timeUnixNano: 2,
  time_unix_nano: 2,
  asDouble: 3,
  as_double: 3,
  asInt: 4,
  as_int: 4,
});
const keyValueFields = new FieldNames({ key: 1, value: 2 });
/** AnyValue's members by name (a bit each, to catch one repeated); the id halved is the kind. */
const anyValueFields = new FieldNames({
  stringValue: 0,
  string_value: 1,
  boolValue: 2,
  bool_value: 3,
  intValue: 4,
  int_value: 5,
  doubleValue: 6,
  double_value: 7,
  arrayValue: 8,
  array_value: 9,
  kvlistValue: 10,
  kvlist_value: 11,
  bytesValue: 12,
  bytes_value: 13,
});
const STRING_VALUE = 0;
const BOOL_VALUE = 1;
const INT_VALUE = 2;
const DOUBLE_VALUE = 3;

/** The string values of each twin key, by their bytes (see direct-metrics.ts). */
const stringValues = () => new Recent<AnyValue>(16, 64);
const resourceValues = resourceKeys.map(stringValues);
const pointValues = pointKeys.map(stringValues);

/** A point attribute as read: its twin key (-1: another), value, containers and commas, bytes. */
interface ReadAttribute {
  which: number;
  value: AnyValue | undefined;
  elements: number;
  length: number;
}

/**
 * JSON values read recently, by their bytes, found from where they start: a KeyValue object is
 * a complete JSON value, so bytes equal to one seen before, from its `{` to its `}`, are that
 * same value. Direct-mapped by a few bytes after the start (past the `{"key":"twin.` most share).
 */
class RecentValues<T extends { length: number }> extends Recent<T> {
  /** The value whose bytes are those at `start` of `buf` (as many as it had), if one is. */
  getAt(buf: Buffer, start: number): T | undefined {
    const known = this.bytes[this.slot(buf, start)];
    if (known === undefined || start + known.length > buf.length) return undefined;
    return this.get(buf, start, start + known.length);
  }

  protected override slot(buf: Buffer, start: number): number {
    let hash = 0;
    for (let offset = 13; offset < 64; offset += 5) {
      const at = start + offset;
      hash = Math.imul(hash ^ (at < buf.length ? buf[at]! : 0), 0x9e3779b1);
    }
    return (hash >>> 16) & this.mask;
  }
}

const recentPointAttributes = new RecentValues<ReadAttribute>(64, 128);

/** A target time read from its digits: `targetTimeMs` holds it (see direct-metrics.ts). */
const inDigits: AnyValue = { value: 'stringValue' };

/**
 * The request's points, or undefined when the general path must read it. With `bounds`, a request
 * over them is left to the general path too, which refuses it naming the bound.
 */
export function readMetricsJsonDirect(
  body: Buffer,
  bounds?: RequestBounds,
): NormalizedBatch | undefined {
  // The general path decodes the whole body as UTF-8 first (a byte order mark included: left
  // to it), and refuses it if any of it is not.
  if (body.length === 0 || !isUtf8(body)) return undefined;
  return readDirectly(
    new JsonReader(body, bounds?.maxElements ?? Infinity, bounds?.maxPoints ?? Infinity),
  );
}

class JsonReader {
  readonly points: TwinPoint[] = [];
  private pos = 0;
  /** Containers and commas so far (as `checkRequestBounds` counts JSON), and the nesting. */
  private elements = 0;
  private depth = 0;
  private counted = 0;
  private readonly attributes = new PointAttributes();
  /** The last string read: its content at [textStart, textEnd), and whether it holds escapes. */
  private textStart = 0;
  private textEnd = 0;
  private escaped = false;
  /** The last number read, at [numberStart, pos). */
  private numberStart = 0;
  /** The value the last `keyValue` read. */
  private lastValue: AnyValue | undefined;
  /** The deepest nesting reached since it was last set. */
  private deepest = 0;

  constructor(
    private readonly buf: Buffer,
    private readonly maxElements: number,
    private readonly maxPoints: number,
  ) {}

  request(): void {
    this.space();
    let seen = 0;
    let field = -1;
    if (this.openObject()) {
      do {
        field = this.key(requestFields, field);
        if (field === 1) {
          seen = once(seen, 1);
          if (this.openArray()) {
            do this.resourceMetrics();
            while (this.nextItem());
          }
        } else this.skipValue();
      } while (this.nextMember());
    }
    this.space();
    if (this.pos !== this.buf.length) throw notDirect;
  }

  // ---- messages ----

  private resourceMetrics(): void {
    let seen = 0;
    let resource: TwinResource | undefined;
    let field = -1;
    if (this.openObject()) {
      do {
        field = this.key(resourceMetricsFields, field);
        if (field === 1) {
          seen = once(seen, 1);
          resource = this.resource();
        } else if (field === 2) {
          seen = once(seen, 2);
          // No resource yet (later, or none): its points are rejected or it comes second. Rare.
          if (!resource || resource.rejected) throw notDirect;
          if (this.openArray()) {
            do this.scopeMetrics(resource);
            while (this.nextItem());
          }
        } else this.skipValue();
      } while (this.nextMember());
    }
  }

  private resource(): TwinResource {
    const twin: KeyValue[] = [];
    let seen = 0;
    let field = -1;
    if (this.openObject()) {
      do {
        field = this.key(resourceFields, field);
        if (field === 1) {
          seen = once(seen, 1);
          this.keyValues(resourceKeyTable, twin);
        } else this.skipValue();
      } while (this.nextMember());
    }
    return twinResource({ attributes: twin });
  }

  private scopeMetrics(resource: TwinResource): void {
    let seen = 0;
    let field = -1;
    if (this.openObject()) {
      do {
        field = this.key(scopeMetricsFields, field);
        if (field === 1) {
          seen = once(seen, 1);
          this.scope();
        } else if (field === 2) {
          seen = once(seen, 2);
          if (this.openArray()) {
            do this.metric(resource);
            while (this.nextItem());
          }
        } else this.skipValue();
      } while (this.nextMember());
    }
  }

  /** Its name, version and attributes are read (so checked) by the general path, then dropped. */
  private scope(): void {
    let seen = 0;
    let field = -1;
    if (this.openObject()) {
      do {
        field = this.key(scopeFields, field);
        if (field === 1 || field === 2) {
          seen = once(seen, field);
          this.string();
        } else if (field === 3) {
          seen = once(seen, 4);
          this.keyValues(undefined, undefined);
        } else this.skipValue();
      } while (this.nextMember());
    }
  }

  private metric(resource: TwinResource): void {
    let seen = 0;
    let name: string | null | undefined;
    let field = -1;
    if (this.openObject()) {
      do {
        field = this.key(metricFields, field);
        if (field === 1) {
          // After the data, the points were made without it: rare, left to the general path.
          seen = once(seen, 1 | 2);
          this.string();
          name = boundedString(this.text());
        } else if (field === 2) {
          if (seen & 4) throw notDirect; // two kinds of data: the general path says which
          seen |= 4 | 2; // no name after this
          this.numberData(resource, name);
        } else if (field === 3) {
          throw notDirect;
        } else this.skipValue();
      } while (this.nextMember());
    }
  }

  private numberData(resource: TwinResource, name: string | null | undefined): void {
    let seen = 0;
    let field = -1;
    if (this.openObject()) {
      do {
        field = this.key(numberDataFields, field);
        if (field === 1) {
          seen = once(seen, 1);
          if (this.openArray()) {
            do this.numberDataPoint(resource, name);
            while (this.nextItem());
          }
        } else this.skipValue();
      } while (this.nextMember());
    }
  }

  private numberDataPoint(resource: TwinResource, name: string | null | undefined): void {
    if (++this.counted > this.maxPoints) throw notDirect;
    const attributes = this.attributes;
    attributes.clear();
    let seen = 0;
    let timeMs = 0;
    let value: number | undefined;
    let field = -1;
    if (this.openObject()) {
      do {
        field = this.key(pointFields, field);
        switch (field) {
          case 1:
            seen = once(seen, 1);
            this.pointAttributes();
            break;
          case 2:
            seen = once(seen, 2);
            timeMs = this.nanos();
            break;
          case 3:
            seen = once(seen, 4);
            value = finite(this.double());
            break;
          case 4:
            seen = once(seen, 8);
            value = finite(int64ToNumber(this.int64()));
            break;
          default:
            this.skipValue();
        }
      } while (this.nextMember());
    }
    if ((seen & 12) === 12) throw notDirect; // both asDouble and asInt: the general path says so
    const point = twinPoint(resource, attributes, name, value, timeMs);
    if (typeof point === 'string') throw notDirect; // rejected: the general path counts and says why
    this.points.push(point);
  }

  /**
   * An array of KeyValues. With `keys`, a key among them has its value decoded: into `twin`
   * (resources), or onto the point's attributes (points). Any other key's value is checked.
   */
  private keyValues(keys: KeyTable | undefined, twin: KeyValue[] | undefined): void {
    if (!this.openArray()) return;
    do {
      const which = this.keyValue(keys, twin !== undefined);
      if (which < 0) continue;
      if (twin) twin.push({ key: resourceKeys[which]!, value: this.lastValue });
      else setPointAttribute(this.attributes, which, this.lastValue);
    } while (this.nextItem());
  }

  /** A point's attributes: one seen before, byte for byte, is taken as it was read then. */
  private pointAttributes(): void {
    if (!this.openArray()) return;
    const buf = this.buf;
    do {
      const start = this.pos;
      const seen = recentPointAttributes.getAt(buf, start);
      if (seen && this.depth + 2 <= maxJsonDepth) {
        if ((this.elements += seen.elements) > this.maxElements) throw notDirect;
        if (seen.which >= 0) setPointAttribute(this.attributes, seen.which, seen.value);
        this.pos = start + seen.length;
        continue;
      }
      const elements = this.elements;
      const depth = this.depth;
      this.deepest = depth;
      const which = this.keyValue(pointKeyTable, false);
      if (which >= 0) setPointAttribute(this.attributes, which, this.lastValue);
      // A prediction's target time differs from point to point: not worth keeping.
      if (which !== targetTimeKey && this.deepest - depth <= 2) {
        const length = this.pos - start;
        const read = { which, value: this.lastValue, elements: this.elements - elements, length };
        recentPointAttributes.add(buf, start, this.pos, read);
      }
    } while (this.nextItem());
  }

  /** A KeyValue: its key's index in `keys` (-1: another, or no `keys`), its value in `lastValue`. */
  private keyValue(keys: KeyTable | undefined, ofResource: boolean): number {
    let seen = 0;
    let which = -1;
    let value: AnyValue | undefined;
    let field = -1;
    if (this.openObject()) {
      do {
        field = this.key(keyValueFields, field);
        if (field === 1) {
          seen = once(seen, 1);
          this.string();
          if (keys) {
            which = this.escaped
              ? keys.indexOf(this.text())
              : keys.find(this.buf, this.textStart, this.textEnd);
          }
        } else if (field === 2) {
          if (!(seen & 1)) throw notDirect; // the value before its key: rare
          seen = once(seen, 2);
          if (this.buf[this.pos] === 0x6e) this.literal('null');
          else value = this.anyValue(which, ofResource);
        } else this.skipValue();
      } while (this.nextMember());
    }
    this.lastValue = value;
    return which;
  }

  /**
   * An AnyValue, decoded when `which` is a twin key's index (of the resource's keys when
   * `ofResource`), else only checked. Array, key-value list and bytes values are left to the
   * general path.
   */
  private anyValue(which: number, ofResource: boolean): AnyValue | undefined {
    let names = 0;
    let kind = -1;
    let result: AnyValue | undefined;
    const decode = which >= 0;
    const targetTime = decode && !ofResource && which === targetTimeKey;
    if (targetTime) this.attributes.targetTimeMs = undefined;
    let previous = -1;
    if (this.openObject()) {
      do {
        const name = this.key(anyValueFields, previous);
        previous = name;
        if (name < 0) {
          this.skipValue();
          continue;
        }
        names = once(names, 1 << name);
        if (this.buf[this.pos] === 0x6e) {
          this.literal('null'); // an unset member
          continue;
        }
        if (kind >= 0 || name >= 8) throw notDirect; // two members, or a nested or bytes value
        kind = name >> 1;
        switch (kind) {
          case STRING_VALUE: {
            this.string();
            if (!decode) break;
            if (targetTime && !this.escaped) {
              const ms = digitsToMs(this.buf, this.textStart, this.textEnd);
              if (ms !== undefined) {
                this.attributes.targetTimeMs = ms;
                result = inDigits;
                break;
              }
            }
            const known = (ofResource ? resourceValues : pointValues)[which]!;
            result = this.escaped ? undefined : known.get(this.buf, this.textStart, this.textEnd);
            if (!result) {
              result = { value: 'stringValue', stringValue: this.text() };
              if (!this.escaped) known.add(this.buf, this.textStart, this.textEnd, result);
            }
            break;
          }
          case BOOL_VALUE: {
            const byte = this.buf[this.pos];
            if (byte === 0x74) this.literal('true');
            else if (byte === 0x66) this.literal('false');
            else throw notDirect;
            if (decode) result = { value: 'boolValue', boolValue: byte === 0x74 };
            break;
          }
          case INT_VALUE: {
            const intValue = this.int64();
            if (decode) result = { value: 'intValue', intValue };
            break;
          }
          case DOUBLE_VALUE: {
            const doubleValue = this.double();
            if (decode) result = { value: 'doubleValue', doubleValue };
            break;
          }
        }
      } while (this.nextMember());
    }
    if (targetTime && result !== inDigits) this.attributes.targetTimeMs = undefined;
    return decode ? (result ?? {}) : undefined;
  }

  // ---- values of a field's JSON type (else the general path names the type error) ----

  /** A 64-bit integer field: a string or a number, kept as the general reader keeps it. */
  private int64(): Int64 {
    if (this.buf[this.pos] === QUOTE) {
      this.string();
      return this.text();
    }
    this.number();
    return Number(this.buf.latin1Slice(this.numberStart, this.pos));
  }

  /** A time in nanoseconds, in milliseconds as `nanosToMs` reads it. */
  private nanos(): number {
    if (this.buf[this.pos] === QUOTE) {
      this.string();
      if (!this.escaped) {
        const ms = digitsToMs(this.buf, this.textStart, this.textEnd);
        if (ms !== undefined) return ms;
      }
      return nanosToMs(this.text());
    }
    this.number();
    return nanosToMs(Number(this.buf.latin1Slice(this.numberStart, this.pos)));
  }

  /** A double field: a number, or a string (proto3 JSON writes "NaN" and "Infinity" so). */
  private double(): number {
    if (this.buf[this.pos] === QUOTE) {
      this.string();
      const text = this.text();
      return text.trim() === '' ? NaN : Number(text);
    }
    this.number();
    return Number(this.buf.latin1Slice(this.numberStart, this.pos));
  }

  /** The last string's content. */
  private text(): string {
    const { buf, textStart, textEnd } = this;
    if (!this.escaped) return buf.utf8Slice(textStart, textEnd);
    return JSON.parse(buf.utf8Slice(textStart - 1, textEnd + 1)) as string;
  }

  // ---- JSON ----

  /**
   * A key of an object the reader is in, and its colon: the field's id in `fields`, or -1.
   * `previous` is the id of the member before it (-1: none, or unknown).
   */
  private key(fields: FieldNames, previous: number): number {
    const buf = this.buf;
    const guess = fields.next[previous + 1]!;
    const length = guess >= 0 ? fields.writtenAt(buf, this.pos, guess) : 0;
    let name = guess;
    if (length > 0) this.pos += length;
    else {
      this.string();
      if (this.escaped) throw notDirect;
      name = fields.find(buf, this.textStart, this.textEnd);
      if (name >= 0) fields.next[previous + 1] = name;
    }
    this.space();
    if (buf[this.pos] !== COLON) throw notDirect;
    this.pos++;
    this.space();
    return name < 0 ? -1 : fields.ids[name]!;
  }

  /** `{`, counted; false when the object is empty (then closed). A field's value must be one. */
  private openObject(): boolean {
    if (this.buf[this.pos] !== OPEN_OBJECT) throw notDirect;
    return this.open(CLOSE_OBJECT);
  }

  private openArray(): boolean {
    if (this.buf[this.pos] !== OPEN_ARRAY) throw notDirect;
    return this.open(CLOSE_ARRAY);
  }

  private open(close: number): boolean {
    if (++this.elements > this.maxElements || ++this.depth > maxJsonDepth) throw notDirect;
    if (this.depth > this.deepest) this.deepest = this.depth;
    this.pos++;
    this.space();
    if (this.buf[this.pos] !== close) return true;
    this.pos++;
    this.depth--;
    return false;
  }

  /** After a member: true at a comma (counted, then the next key), false at the closing brace. */
  private nextMember(): boolean {
    return this.next(CLOSE_OBJECT);
  }

  private nextItem(): boolean {
    return this.next(CLOSE_ARRAY);
  }

  private next(close: number): boolean {
    this.space();
    const byte = this.buf[this.pos];
    this.pos++;
    if (byte === COMMA) {
      if (++this.elements > this.maxElements) throw notDirect;
      this.space();
      return true;
    }
    if (byte !== close) throw notDirect;
    this.depth--;
    return false;
  }

  /** Any JSON value, checked and counted, not kept (a field the general reader ignores). */
  private skipValue(): void {
    const byte = this.buf[this.pos];
    if (byte === OPEN_OBJECT) {
      if (this.openObject()) {
        do {
          this.string();
          this.space();
          if (this.buf[this.pos++] !== COLON) throw notDirect;
          this.space();
          this.skipValue();
        } while (this.nextMember());
      }
    } else if (byte === OPEN_ARRAY) {
      if (this.openArray()) {
        do this.skipValue();
        while (this.nextItem());
      }
    } else if (byte === QUOTE) this.string();
    else if (byte === 0x74) this.literal('true');
    else if (byte === 0x66) this.literal('false');
    else if (byte === 0x6e) this.literal('null');
    else this.number();
  }

  /** A string (its escapes and control characters checked as JSON.parse checks them). */
  private string(): void {
    const buf = this.buf;
    const length = buf.length;
    let pos = this.pos;
    if (buf[pos] !== QUOTE) throw notDirect;
    const start = ++pos;
    let escaped = false;
    for (;;) {
      if (pos >= length) throw notDirect;
      const byte = buf[pos++]!;
      if (byte === QUOTE) break;
      if (byte < 0x20) throw notDirect;
      if (byte === BACKSLASH) {
        escaped = true;
        const escape = pos < length ? buf[pos++]! : 0;
        if (escape === 0x75) {
          // \uXXXX
          for (let i = 0; i < 4; i++) if (pos >= length || !isHex(buf[pos++]!)) throw notDirect;
        } else if (!simpleEscapes.has(escape)) throw notDirect;
      }
    }
    this.pos = pos;
    this.textStart = start;
    this.textEnd = pos - 1;
    this.escaped = escaped;
  }

  /** A number by JSON's grammar: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
  private number(): void {
    const buf = this.buf;
    this.numberStart = this.pos;
    if (buf[this.pos] === MINUS) this.pos++;
    if (buf[this.pos] === ZERO) this.pos++;
    else if (!this.digits()) throw notDirect;
    if (buf[this.pos] === 0x2e) {
      this.pos++;
      if (!this.digits()) throw notDirect;
    }
    const e = buf[this.pos];
    if (e === 0x65 || e === 0x45) {
      this.pos++;
      if (buf[this.pos] === 0x2b || buf[this.pos] === MINUS) this.pos++;
      if (!this.digits()) throw notDirect;
    }
  }

  /** One or more digits. */
  private digits(): boolean {
    const from = this.pos;
    for (let byte = this.buf[this.pos]; byte !== undefined && byte >= ZERO && byte <= NINE;) {
      byte = this.buf[++this.pos];
    }
    return this.pos > from;
  }

  private literal(word: 'true' | 'false' | 'null'): void {
    for (let i = 0; i < word.length; i++) {
      if (this.buf[this.pos++] !== word.charCodeAt(i)) throw notDirect;
    }
  }

  /** JSON's whitespace. */
  private space(): void {
    const buf = this.buf;
    let pos = this.pos;
    while (pos < buf.length) {
      const byte = buf[pos]!;
      if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) break;
      pos++;
    }
    this.pos = pos;
  }
}

/** `seen` with `bit` set; a field seen before (given twice) is left to the general path. */
function once(seen: number, bit: number): number {
  if (seen & bit) throw notDirect;
  return seen | bit;
}

/** The characters after a backslash JSON allows, but `u` (then four hex digits). */
const simpleEscapes = new Set([...'"\\/bfnrt'].map((c) => c.charCodeAt(0)));

function isHex(byte: number | undefined): boolean {
  return (
    byte !== undefined &&
    ((byte >= ZERO && byte <= NINE) ||
      (byte >= 0x61 && byte <= 0x66) ||
      (byte >= 0x41 && byte <= 0x46))
  );
}
