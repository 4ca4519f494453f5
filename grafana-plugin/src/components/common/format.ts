import type { PropertyValue } from '../../api/types';

/** An age in the largest sensible units: "850 ms", "12 s", "3 min 5 s", "2 h 10 min", "4 d 2 h". */
export function formatAge(ms: number): string {
  if (!Number.isFinite(ms)) {
    return '—';
  }
  const abs = Math.max(0, ms);
  if (abs < 1000) {
    return `${Math.round(abs)} ms`;
  }
  const s = Math.floor(abs / 1000);
  if (s < 60) {
    return `${s} s`;
  }
  const m = Math.floor(s / 60);
  if (m < 60) {
    return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
  }
  const h = Math.floor(m / 60);
  if (h < 24) {
    return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  }
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}

export function formatValue(value: PropertyValue | unknown): string {
  if (value === null || value === undefined) {
    return '—';
  }
  if (typeof value === 'number') {
    return String(Number(value.toPrecision(12)));
  }
  if (typeof value === 'object') {
    return JSON.stringify(value);
  }
  return String(value);
}

/** ISO-like local time, to the second: unambiguous in an audit trail. */
export function formatTime(ms: number | undefined | null): string {
  if (ms === undefined || ms === null) {
    return '—';
  }
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function formatParams(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${formatValue(v)}`)
    .join(', ');
}
