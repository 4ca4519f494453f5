/**
 * Command ids: UUIDs of version 7 (RFC 9562), whose first 48 bits are the time in milliseconds.
 * Ids made later sort later, so the ledger's indexes on them grow at their end instead of
 * touching a random page per command (fewer pages written per commit).
 */
import { randomFillSync } from 'node:crypto';

/** Random bytes drawn 256 ids at a time: one call to the CSPRNG per id costs more than the id. */
const pool = Buffer.alloc(16 * 256);
let next = pool.length;
const id = Buffer.alloc(16);

export function timeOrderedUuid(nowMs: number): string {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  pool.copy(id, 0, next, next + 16);
  next += 16;
  id.writeUIntBE(Math.max(0, Math.floor(nowMs)) % 2 ** 48, 0, 6);
  id[6] = 0x70 | (id[6]! & 0x0f); // version 7
  id[8] = 0x80 | (id[8]! & 0x3f); // the RFC's variant
  const hex = id.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
