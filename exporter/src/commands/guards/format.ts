/** Small helpers that keep guard messages readable and bounded. */
import type { GuardName, ReasonCode, Verdict } from '../model.js';

export function passed(guard: GuardName, message: string): Verdict {
  return { guard, pass: true, message };
}

export function failed(guard: GuardName, code: ReasonCode, message: string): Verdict {
  return { guard, pass: false, code, message };
}

/** A value for a message: numbers without float noise, client-supplied text quoted and cut short. */
export function show(value: unknown): string {
  if (typeof value === 'number') return String(Number(value.toPrecision(12)));
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
  }
  if (typeof value === 'boolean') return String(value);
  return value === undefined ? 'nothing' : 'a non-scalar value';
}

/** 60000 → "60s", 1500 → "1.5s". */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}

/** When something may be retried: rounded up, so retrying as told never comes too early. */
export function retryAfter(waitMs: number, atMs: number): string {
  return `retry in ${Math.ceil(waitMs / 1000)}s (at ${new Date(atMs).toISOString()})`;
}

/** Case- and width-insensitive, so "Alice" cannot approve what "alice" submitted. */
export function sameUser(a: string, b: string): boolean {
  return a.normalize('NFKC').toLowerCase() === b.normalize('NFKC').toLowerCase();
}
