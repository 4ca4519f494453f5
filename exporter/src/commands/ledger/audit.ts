/**
 * The audit log's hash chain, as pure functions: the ledger writes with them, `verifyAudit` and
 * anyone holding an export (JSON lines) check with them, no database needed.
 */
import { createHash } from 'node:crypto';
import type { AuditEntry, AuditVerification } from '../../../../contracts/api.js';

/** What the chain's first entry links to. */
export const genesisHash = '0'.repeat(64);

/** An audit log entry as the API serializes it: the contract's (contracts/api.ts). */
export type { AuditEntry, AuditVerification } from '../../../../contracts/api.js';

/** The chain so far: the last entry's seq and hash (seq 0 with the genesis hash when empty). */
export interface ChainHead {
  seq: number;
  hash: string;
}

/**
 * Where the log now begins: the rows through `seq` were archived (removed) by `actor`, the last
 * of them hashing to `hash`. Verification starts from here instead of the genesis.
 */
export interface AuditCheckpoint extends ChainHead {
  atMs: number;
  actor: string;
  /** Rows removed by this archive. */
  count: number;
}

/** JSON with object keys sorted at every depth, so the same entry always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value !== null && typeof value === 'object') {
    const json = (value as { toJSON?: () => unknown }).toJSON;
    if (typeof json === 'function') return canonicalJson(json.call(value));
    if (Array.isArray(value)) {
      // Like JSON.stringify: holes and undefined in arrays become null.
      return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
    }
    const fields = Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map(
        (key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`,
      );
    return `{${fields.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** User-given values larger than this (canonical JSON, UTF-8) are audited as a digest. */
export const maxAuditedBytes = 1024;

/**
 * The value itself when its canonical JSON fits in `maxBytes`, else its SHA-256 and size: an
 * audit entry stays small whatever a caller sent, and whoever holds the value can still prove it
 * is the one audited.
 */
export function boundedForAudit(value: unknown, maxBytes = maxAuditedBytes): unknown {
  const json = canonicalJson(value);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes <= maxBytes) return value;
  return { digest: createHash('sha256').update(json, 'utf8').digest('hex'), bytes };
}

// Callers pass no credentials; this is the net under that promise. Matches e.g. `authorization`,
// `x-api-key`, `accessToken`, `password`, `cookie` — but not `idempotencyKey`.
const secretKey = /authorization|token|secret|passw|cookie|api[-_]?key|credential|bearer/i;

/**
 * The canonical JSON of `value` with the values of credential-like keys written as "[redacted]",
 * at every depth, so no secret reaches the log: one pass, no copy made.
 */
export function redactedCanonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      text += `${i > 0 ? ',' : ''}${item === undefined ? 'null' : redactedCanonicalJson(item)}`;
    }
    return `${text}]`;
  }
  // Any other object is written as its own enumerable fields (toJSON is not consulted).
  const keys = Object.keys(value).sort();
  let text = '{';
  for (const key of keys) {
    if (secretKey.test(key)) {
      text += `${text.length > 1 ? ',' : ''}${JSON.stringify(key)}:"[redacted]"`;
      continue;
    }
    const item = (value as Record<string, unknown>)[key];
    if (item === undefined) continue;
    text += `${text.length > 1 ? ',' : ''}${JSON.stringify(key)}:${redactedCanonicalJson(item)}`;
  }
  return `${text}}`;
}

/** sha256(prevHash + canonical JSON of the entry's fields); seq too, binding each number to its row. */
export function entryHash(prevHash: string, entry: Omit<AuditEntry, 'prevHash' | 'hash'>): string {
  return chainHash(prevHash, entry, canonicalJson(entry.details));
}

/**
 * `entryHash` with the details already as canonical JSON text, so a write canonicalizes them once.
 * The text is what `canonicalJson` makes of the whole entry: keys in sorted order.
 */
export function chainHash(
  prevHash: string,
  entry: Omit<AuditEntry, 'prevHash' | 'hash' | 'details'>,
  detailsJson: string,
): string {
  const json = (value: unknown) => JSON.stringify(value) ?? 'null';
  const text =
    `{"action":${json(entry.action)},"actor":${json(entry.actor)},` +
    `"assetId":${json(entry.assetId ?? null)},"atMs":${json(entry.atMs)},` +
    `"commandId":${json(entry.commandId ?? null)},"details":${detailsJson},"seq":${json(entry.seq)}}`;
  return createHash('sha256')
    .update(prevHash + text)
    .digest('hex');
}

/**
 * Walks entries in seq order from `start` (genesis by default) and names the first bad one: an
 * edited field (its hash no longer matches), a removed row (a gap in seq), a reordered or
 * re-linked row (prevHash is not the previous hash). A rewrite of the whole tail, hashes
 * included, is only caught against a head published earlier: pass it as `anchor`.
 */
export function verifyChain(
  entries: Iterable<AuditEntry>,
  anchor?: ChainHead,
  start: ChainHead = { seq: 0, hash: genesisHash },
): AuditVerification {
  if (anchor && anchor.seq === start.seq && anchor.hash !== start.hash) {
    return { ok: false, seq: start.seq, reason: `row ${start.seq} differs from the anchored head` };
  }
  let previous = start;
  let count = 0;
  for (const entry of entries) {
    const expectedSeq = previous.seq + 1;
    if (entry.seq !== expectedSeq) {
      return entry.seq > expectedSeq
        ? {
            ok: false,
            seq: expectedSeq,
            reason: `row ${expectedSeq} is missing (next is ${entry.seq})`,
          }
        : {
            ok: false,
            seq: entry.seq,
            reason: `row ${entry.seq} is out of order after ${previous.seq}`,
          };
    }
    if (entry.prevHash !== previous.hash) {
      return {
        ok: false,
        seq: entry.seq,
        reason: `row ${entry.seq} does not link to row ${previous.seq}`,
      };
    }
    if (entryHash(entry.prevHash, entry) !== entry.hash) {
      return { ok: false, seq: entry.seq, reason: `row ${entry.seq} was altered (hash mismatch)` };
    }
    if (anchor && entry.seq === anchor.seq && entry.hash !== anchor.hash) {
      return {
        ok: false,
        seq: entry.seq,
        reason: `row ${entry.seq} differs from the anchored head`,
      };
    }
    previous = { seq: entry.seq, hash: entry.hash };
    count++;
  }
  if (anchor && previous.seq < anchor.seq) {
    return {
      ok: false,
      seq: previous.seq + 1,
      reason: `log ends at row ${previous.seq} but the anchored head is row ${anchor.seq}`,
    };
  }
  return { ok: true, entries: count };
}
