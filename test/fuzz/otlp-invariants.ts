/**
 * The properties every OTLP body must satisfy through `decodeAndNormalize`, whatever its bytes:
 * it throws nothing but OtlpDecodeError with a clean message, it does not hang, every point it
 * returns is well-formed, and every data point or log record is either a point or counted as
 * rejected.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Encoding, NormalizedBatch, Signal } from '../../exporter/src/model.js';
import { rejectReasons, sources } from '../../exporter/src/model.js';
import { decodeRequest, OtlpDecodeError } from '../../exporter/src/ingest/otlp/decode.js';
import type { OtlpLogsRequest, OtlpMetricsRequest } from '../../exporter/src/ingest/otlp/types.js';
import {
  decodeAndNormalize,
  decodeAndNormalizeGeneral,
} from '../../exporter/src/ingest/otlp/normalize.js';
import { timed } from './run.js';

/** Far above what any body of these sizes takes; a superlinear path or a loop blows it. */
const budgetMs = 2_000;

const minTimeMs = Date.UTC(2000, 0, 1);
const endTimeMs = Date.UTC(2201, 0, 1);
// eslint-disable-next-line no-control-regex -- control characters are what is looked for
const controlCharacter = /[\u0000-\u001f\u007f]/;

/** Caps on a request's elements and points, as the OTLP/HTTP server passes them. */
export type Bounds = Parameters<typeof decodeAndNormalize>[3];

/**
 * Runs one body through the decoder (with `bounds`, as the HTTP server does; without, as replay
 * does) and checks every property; throws what it finds wrong.
 */
export function checkBody(
  signal: Signal,
  encoding: Encoding,
  body: Uint8Array,
  bounds?: Bounds,
): void {
  if (signal === 'metrics') checkSameAsGeneral(encoding, body, bounds);
  let batch: NormalizedBatch;
  try {
    batch = timed(`decodeAndNormalize(${signal}, ${encoding})`, budgetMs, () =>
      decodeAndNormalize(signal, encoding, body, bounds),
    );
  } catch (error) {
    if (!(error instanceof OtlpDecodeError)) throw error;
    checkDecodeError(error);
    return;
  }
  checkBatch(batch);
  // The decoder said yes once: it says so again, and the request tells how many items there were.
  const total = itemsIn(signal, decodeRequest(signal, encoding, body));
  if (batch.points.length + batch.rejectedCount !== total) {
    throw new Error(
      `${batch.points.length} points + ${batch.rejectedCount} rejected ≠ ${total} in the request`,
    );
  }
}

/**
 * Metrics may be read directly from their bytes (direct-metrics.ts, direct-json.ts): what the
 * exporter answers is then exactly what the general path (protobufjs or the JSON reader, then the
 * normalizer) answers, the same batch or the same error.
 */
function checkSameAsGeneral(encoding: Encoding, body: Uint8Array, bounds?: Bounds): void {
  const outcome = (read: () => NormalizedBatch): NormalizedBatch | string => {
    try {
      return read();
    } catch (error) {
      return `${(error as Error).name}: ${(error as Error).message}`;
    }
  };
  const answered = outcome(() => decodeAndNormalize('metrics', encoding, body, bounds));
  const general = outcome(() => decodeAndNormalizeGeneral('metrics', encoding, body, bounds));
  if (!isDeepStrictEqual(answered, general)) {
    throw new Error(
      `the direct reader answered ${JSON.stringify(answered)}, the general path ${JSON.stringify(general)}`,
    );
  }
}

export function checkDecodeError(error: OtlpDecodeError): void {
  const message = error.message;
  if (!message.trim()) throw new Error('an OtlpDecodeError without a message');
  const repeated = repeatedClause(message);
  if (repeated) throw new Error(`the message ${JSON.stringify(message)} repeats "${repeated}"`);
}

/**
 * A clause said twice, e.g. `at offset 1 at offset 1`. Quoted input is left out (a client may
 * send anything), the rest is cut at `:`, `,`, `;` and before `at`.
 */
export function repeatedClause(message: string): string | undefined {
  const unquoted = message.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const clauses = unquoted
    .split(/[:,;]\s+|\s+(?=at\s)/)
    .map((clause) => clause.trim())
    .filter(Boolean);
  const seen = new Set<string>();
  for (const clause of clauses) {
    if (seen.has(clause)) return clause;
    seen.add(clause);
  }
  return undefined;
}

const boundedName = (what: string, value: unknown): void => {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) {
    throw new Error(`${what} ${JSON.stringify(value)} is not a name of 1–256 characters`);
  }
};

const cleanName = (what: string, value: unknown): void => {
  boundedName(what, value);
  if (controlCharacter.test(value as string)) {
    throw new Error(`${what} ${JSON.stringify(value)} holds a control character`);
  }
};

const validTime = (what: string, ms: unknown): void => {
  if (typeof ms !== 'number' || !(ms >= minTimeMs && ms < endTimeMs)) {
    throw new Error(`${what} ${String(ms)} is outside 2000–2200`);
  }
};

const version = (what: string, value: unknown): void => {
  if (value !== undefined && !(Number.isSafeInteger(value) && (value as number) >= 0)) {
    throw new Error(`${what} ${String(value)} is not a non-negative integer`);
  }
};

export function checkBatch(batch: NormalizedBatch): void {
  for (const point of batch.points) {
    cleanName('asset id', point.assetId);
    cleanName('asset class', point.assetClass);
    cleanName('property', point.property);
    if (point.site !== undefined) boundedName('site', point.site);
    if (!sources.includes(point.source)) throw new Error(`source ${String(point.source)}`);
    const value = point.value;
    if (
      !(typeof value === 'number' && Number.isFinite(value)) &&
      typeof value !== 'string' &&
      typeof value !== 'boolean'
    ) {
      throw new Error(`value ${String(value)} is not a finite number, a string or a boolean`);
    }
    validTime('source time', point.sourceTimeMs);
    if (point.source === 'model') {
      boundedName('model name', point.model?.name);
      boundedName('model version', point.model?.version);
      validTime('target time', point.targetTimeMs);
    } else if (point.model !== undefined || point.targetTimeMs !== undefined) {
      throw new Error(`a ${point.source} point with a model or target time`);
    }
    version('desired version', point.desiredVersion);
    version('reported version', point.reportedVersion);
  }
  let sum = 0;
  for (const [reason, count] of Object.entries(batch.rejected)) {
    if (!rejectReasons.includes(reason as never)) throw new Error(`reject reason ${reason}`);
    if (!Number.isInteger(count) || count <= 0) throw new Error(`${reason}: ${count}`);
    sum += count;
  }
  if (sum !== batch.rejectedCount) {
    throw new Error(`rejected by reason sums to ${sum}, rejectedCount is ${batch.rejectedCount}`);
  }
  if (batch.rejectedCount > 0 !== (batch.errorMessage !== '')) {
    throw new Error(
      `${batch.rejectedCount} rejected, message ${JSON.stringify(batch.errorMessage)}`,
    );
  }
}

/** Data points (of every metric kind) or log records in a decoded request. */
export function itemsIn(signal: Signal, request: OtlpMetricsRequest | OtlpLogsRequest): number {
  let total = 0;
  if (signal === 'metrics') {
    for (const resource of (request as OtlpMetricsRequest).resourceMetrics) {
      for (const scope of resource.scopeMetrics) {
        for (const metric of scope.metrics) {
          if (metric.data) total += metric[metric.data]?.dataPoints.length ?? 0;
        }
      }
    }
  } else {
    for (const resource of (request as OtlpLogsRequest).resourceLogs) {
      for (const scope of resource.scopeLogs) total += scope.logRecords.length;
    }
  }
  return total;
}
