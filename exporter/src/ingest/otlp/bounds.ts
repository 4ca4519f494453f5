/**
 * What one request may cost, checked on its bytes before a decoder builds anything. A decoder
 * allocates an object per JSON value or protobuf message (100–200 bytes of heap each), and a
 * hostile body packs one into every 2 or 3 bytes (`[{},{},…]`, empty submessages): without a
 * count first, 8 MB of either became 300–450 MB of heap and seconds of blocked event loop.
 * Both scans are single passes over the bytes that allocate nothing.
 */
import protobuf from 'protobufjs';
import type { Encoding, Signal } from '../../model.js';
import { otlpRoot } from './decode.js';
import { OtlpDecodeError, maxAnyValueDepth } from './types.js';

export interface RequestBounds {
  /** JSON values (objects, arrays, members and items) or protobuf messages in one request. */
  maxElements: number;
  /** Data points and log records in one request. */
  maxPoints: number;
}

/** A request over its bounds: well-formed, perhaps, but more than one request may ask. */
export class OtlpLimitError extends OtlpDecodeError {
  override name = 'OtlpLimitError';
}

/**
 * The deepest nesting legal OTLP/JSON reaches: 13 levels down to a data point attribute's value
 * (request, resourceMetrics, item, scopeMetrics, item, metrics, item, gauge, dataPoints, item,
 * attributes, item, value), then 4 per nested key-value list (kvlistValue, values, item, value).
 */
export const maxJsonDepth = 13 + 4 * (maxAnyValueDepth - 1);

/** Throws unless the body is within the bounds; the decoders then run as before. */
export function checkRequestBounds(
  signal: Signal,
  encoding: Encoding,
  body: Uint8Array,
  bounds: RequestBounds,
): void {
  if (encoding === 'otlp_json') checkJson(body, bounds);
  // Every message takes two bytes at least (tag and length): a smaller body cannot be over.
  else if (body.length >= 2 * Math.min(bounds.maxElements, bounds.maxPoints)) {
    checkProtobuf(signal, body, bounds);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;

/**
 * Counts containers and separators outside strings: every value after the first in a container
 * follows a comma, so containers + commas bounds the values JSON.parse would build. Malformed
 * JSON is left to the parser, which names where it breaks.
 */
function checkJson(body: Uint8Array, bounds: RequestBounds): void {
  let elements = 0;
  let depth = 0;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i]!;
    if (byte === QUOTE) {
      i = stringEnd(body, i);
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      if (++depth > maxJsonDepth) {
        throw new OtlpDecodeError(
          `invalid JSON: nesting deeper than ${maxJsonDepth} levels at position ${i}`,
        );
      }
      elements++;
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      depth--;
    } else if (byte === COMMA) {
      elements++;
    } else {
      continue;
    }
    if (elements > bounds.maxElements) throw tooManyElements(bounds, 'JSON values');
  }
}

/**
 * The index of the quote closing the string opened at `open` (or the body's end). A loop of its
 * own: OTLP/JSON's strings are short, and a native indexOf per string cost more than reading them.
 */
function stringEnd(body: Uint8Array, open: number): number {
  for (let i = open + 1; i < body.length; i++) {
    const byte = body[i];
    if (byte === QUOTE) return i;
    if (byte === BACKSLASH) i++; // the escaped character, whatever it is
  }
  return body.length;
}

const tooManyElements = (bounds: RequestBounds, what: string) =>
  new OtlpLimitError(
    `request holds more than ${bounds.maxElements} ${what}; send it in smaller batches`,
  );

export const tooManyPoints = (bounds: RequestBounds, signal: Signal) =>
  new OtlpLimitError(
    `request holds more than ${bounds.maxPoints} ${signal === 'metrics' ? 'data points' : 'log records'}; send it in smaller batches`,
  );

/** Per message type: which length-delimited fields are messages, and whether it is a point. */
interface WireShape {
  /** Indexed by field number (OTLP's are small). */
  messages: (WireShape | undefined)[];
  point: boolean;
}

const pointTypes = new Set([
  'NumberDataPoint',
  'HistogramDataPoint',
  'ExponentialHistogramDataPoint',
  'SummaryDataPoint',
  'LogRecord',
]);

function wireShape(type: protobuf.Type, shapes = new Map<protobuf.Type, WireShape>()): WireShape {
  const known = shapes.get(type);
  if (known) return known;
  const shape: WireShape = { messages: [], point: pointTypes.has(type.name) };
  shapes.set(type, shape);
  for (const field of type.fieldsArray) {
    field.resolve();
    if (field.resolvedType instanceof protobuf.Type) {
      shape.messages[field.id] = wireShape(field.resolvedType, shapes);
    }
  }
  return shape;
}

const requestShapes = {
  metrics: wireShape(otlpRoot.lookupType('opentelemetry.proto.ExportMetricsServiceRequest')),
  logs: wireShape(otlpRoot.lookupType('opentelemetry.proto.ExportLogsServiceRequest')),
};

/**
 * Walks the wire format with the schema's message fields, counting submessages and points and
 * skipping everything else by its length. Anything malformed ends the walk quietly: protobufjs
 * decodes next and names the fault as it always has.
 */
function checkProtobuf(signal: Signal, body: Uint8Array, bounds: RequestBounds): void {
  let elements = 0;
  let points = 0;
  // The open messages, innermost last: where each ends, and its shape.
  const ends: number[] = [];
  const shapes: WireShape[] = [];
  let shape = requestShapes[signal];
  let end = body.length;
  let at = 0;
  for (;;) {
    if (at >= end) {
      if (ends.length === 0) return;
      end = ends.pop()!;
      shape = shapes.pop()!;
      continue;
    }
    // Tags and lengths: varints of at most 5 bytes (field numbers and lengths fit in 32 bits).
    let byte = body[at++]!;
    let tag = byte & 0x7f;
    for (let shift = 7; byte >= 0x80; shift += 7) {
      if (shift > 28 || at >= end) return;
      byte = body[at++]!;
      tag += (byte & 0x7f) * 2 ** shift;
    }
    const wireType = tag & 7;
    if (wireType === 2) {
      byte = body[at++] ?? 0;
      let length = byte & 0x7f;
      for (let shift = 7; byte >= 0x80; shift += 7) {
        if (shift > 28 || at >= end) return;
        byte = body[at++]!;
        length += (byte & 0x7f) * 2 ** shift;
      }
      if (at + length > end) return;
      const child = shape.messages[tag >>> 3];
      if (child === undefined) {
        at += length;
        continue;
      }
      if (++elements > bounds.maxElements) throw tooManyElements(bounds, 'protobuf messages');
      if (child.point && ++points > bounds.maxPoints) throw tooManyPoints(bounds, signal);
      ends.push(end);
      shapes.push(shape);
      end = at + length;
      shape = child;
    } else if (wireType === 0) {
      while (at < end && body[at]! >= 0x80) at++;
      at++;
    } else if (wireType === 1) {
      at += 8;
    } else if (wireType === 5) {
      at += 4;
    } else {
      return; // groups and unknown wire types: protobufjs's to refuse
    }
  }
}
