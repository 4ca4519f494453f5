/**
 * The floor for decoding OTLP protobuf in Node: one pass over the bytes that reads every field of
 * every message the exporter's schema declares, as any decoder must. Varints and fixed-width
 * values are read into numbers, every string (keys, values, names) is decoded, nested messages
 * are descended into; nothing is kept. A decoder can be no faster than this; the benchmark
 * compares the exporter's decode + normalize with it, on the same bytes, in the same run.
 */

/** Node's Buffer decodes UTF-8 with `utf8Slice` (what protobufjs and the exporter call). */
type Utf8Slicing = Buffer & { utf8Slice(start: number, end: number): string };

/** Field numbers of the schema's nested messages, per message (exporter/proto/otlp.proto). */
type Shape = { readonly [field: number]: Shape | 'string' | undefined };

const anyValue: Shape = { 1: 'string' };
const keyValue: Shape = { 1: 'string', 2: anyValue };
const scope: Shape = { 1: 'string', 2: 'string', 3: keyValue };
const numberDataPoint: Shape = { 7: keyValue };
const numberData: Shape = { 1: numberDataPoint };
const metric: Shape = { 1: 'string', 2: 'string', 3: 'string', 5: numberData, 7: numberData };
const scopeMetrics: Shape = { 1: scope, 2: metric, 3: 'string' };
const resource: Shape = { 1: keyValue };
const resourceMetrics: Shape = { 1: resource, 2: scopeMetrics, 3: 'string' };
export const metricsRequestShape: Shape = { 1: resourceMetrics };

/** Reads every field of the message at [pos, end); returns a checksum so nothing is optimized out. */
export function scanMessage(buf: Buffer, pos: number, end: number, shape: Shape): number {
  let sum = 0;
  while (pos < end) {
    let tag = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = buf[pos++]!;
      tag |= (byte & 0x7f) << shift;
      if (byte < 0x80) break;
    }
    switch (tag & 7) {
      case 0: {
        let value = 0;
        for (let shift = 0; ; shift += 7) {
          const byte = buf[pos++]!;
          if (shift < 32) value |= (byte & 0x7f) << shift;
          if (byte < 0x80) break;
        }
        sum += value;
        break;
      }
      case 1:
        sum += buf.readDoubleLE(pos) > 0 ? 1 : 0;
        pos += 8;
        break;
      case 5:
        sum += buf.readUInt32LE(pos);
        pos += 4;
        break;
      case 2: {
        let length = 0;
        for (let shift = 0; ; shift += 7) {
          const byte = buf[pos++]!;
          length |= (byte & 0x7f) << shift;
          if (byte < 0x80) break;
        }
        const nested = shape[tag >>> 3];
        if (nested === 'string') sum += (buf as Utf8Slicing).utf8Slice(pos, pos + length).length;
        else if (nested) sum += scanMessage(buf, pos, pos + length, nested);
        pos += length;
        break;
      }
      default:
        throw new Error(`wire type ${tag & 7}`);
    }
  }
  return sum;
}
