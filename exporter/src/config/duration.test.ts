import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  durationPattern,
  formatDuration,
  parseDuration,
  scaleDuration,
  zeroDurationPattern,
} from './duration.js';

describe('the duration grammar', () => {
  it('reads Prometheus durations, compound ones included', () => {
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('0s')).toBe(0);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1d2h3m4s5ms')).toBe(93_784_005);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    expect(parseDuration('1y')).toBe(365 * 86_400_000);
  });

  it('refuses what Prometheus refuses, naming the text', () => {
    for (const text of ['', '1.5s', '5', 'ms', '30m1h', '5m5m', '-5s', '5 m', '1H', '10x']) {
      expect(() => parseDuration(text), text).toThrow(`"${text}" is not a duration`);
    }
  });

  it('formats canonically, with the largest unit that divides exactly', () => {
    expect(formatDuration(5_400_000)).toBe('90m');
    expect(formatDuration(30 * 86_400_000)).toBe('30d');
    expect(formatDuration(1_500)).toBe('1500ms');
    expect(() => formatDuration(0)).toThrow('cannot format duration 0 ms');
    expect(scaleDuration('1h30m', 60)).toBe('90s');
  });

  it('is the pattern of every duration in every schema: exporter config, alerts, SLO specs', () => {
    /** Every `pattern` in a schema that names a unit of time, with its path. */
    const durationPatterns = (file: string) => {
      const found: [string, string][] = [];
      const walk = (node: unknown, path: string): void => {
        if (typeof node !== 'object' || node === null) return;
        for (const [key, value] of Object.entries(node)) {
          if (key === 'pattern' && typeof value === 'string' && value.includes('ms')) {
            found.push([path, value]);
          } else walk(value, `${path}/${key}`);
        }
      };
      walk(JSON.parse(readFileSync(new URL(file, import.meta.url), 'utf8')), file);
      return found;
    };
    const files = [
      '../../schemas/config.schema.json',
      '../../../alerts/schemas/config.schema.json',
      '../../../alerts/schemas/slo.schema.json',
    ];
    const found = files.flatMap(durationPatterns);
    expect(found.length).toBeGreaterThanOrEqual(5);
    for (const [path, pattern] of found) {
      // A window or period refuses zero with `not: { pattern: zero }`; the grammar is the same.
      const expected = path.endsWith('/not') ? zeroDurationPattern : durationPattern;
      expect(pattern, path).toBe(expected);
    }
    const zero = new RegExp(zeroDurationPattern);
    expect(['0', '0s', '0h0m', '00ms'].every((text) => zero.test(text))).toBe(true);
    expect(['1s', '0h1m', '10ms'].some((text) => zero.test(text))).toBe(false);
  });
});
