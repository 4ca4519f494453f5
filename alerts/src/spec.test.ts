import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decimal, format, mul, shift, sub } from './decimal.js';
import { scaleDuration } from '../../exporter/src/config/duration.js';
import { alertsDir } from './cli.js';
import {
  SpecError,
  loadSpecs,
  parseConfig,
  parseSloFile,
  resolveSlos,
  type SloSpec,
} from './spec.js';

const config = parseConfig(readFileSync(join(alertsDir, 'config.yaml'), 'utf8'));

const slo = (overrides: Partial<SloSpec> = {}): SloSpec => ({
  name: 'test-slo',
  alert: 'TwinTestBudgetBurn',
  description: 'test',
  objective: 99.9,
  period: '30d',
  sli: { good: 'good_total', total: 'all_total' },
  ...overrides,
});

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof SpecError) return error.problems;
    throw error;
  }
  throw new Error('expected a SpecError');
}

describe('exact numbers', () => {
  it('prints 14.4 × (1 − 0.999) as 0.0144, where floats say 0.014400000000000001', () => {
    expect(14.4 * (1 - 0.999)).not.toBe(0.0144);
    const budget = shift(sub(decimal(100), decimal(99.9)), 2);
    expect(format(budget)).toBe('0.001');
    expect(format(mul(decimal(14.4), budget))).toBe('0.0144');
  });

  it('resolves every tier threshold exactly', () => {
    const [resolved] = resolveSlos([{ file: 'x.yaml', slos: [slo({ objective: 99.95 })] }], config);
    expect(resolved?.objective).toBe('0.9995');
    expect(resolved?.errorBudget).toBe('0.0005');
    expect(resolved?.tiers.map((t) => t.threshold)).toEqual([
      '0.0072',
      '0.003',
      '0.0015',
      '0.0005',
    ]);
  });

  it('handles exponent forms and integers', () => {
    expect(format(decimal(1e-7))).toBe('0.0000001');
    expect(format(decimal(6))).toBe('6');
    expect(format(mul(decimal(6), decimal('0.05')))).toBe('0.3');
  });

  it('compresses durations for the test profile exactly, or refuses', () => {
    expect(scaleDuration('1h', 60)).toBe('1m');
    expect(scaleDuration('5m', 60)).toBe('5s');
    expect(scaleDuration('3d', 60)).toBe('72m');
    expect(scaleDuration('30d', 60)).toBe('12h');
    expect(() => scaleDuration('1s', 7)).toThrow(/not a whole number/);
  });
});

describe('validation', () => {
  it('loads the committed specs: seven default SLOs, the workbook tiers but for availability (seed)', () => {
    const specs = loadSpecs(alertsDir);
    expect(specs.slos.map((s) => s.name)).toEqual([
      'sync-latency',
      'freshness',
      'divergence',
      'prediction-accuracy',
      'actuation-success',
      'convergence',
      'api-availability',
    ]);
    for (const s of specs.slos) {
      expect(s.tiers.map((t) => t.id)).toEqual(
        s.name === 'api-availability'
          ? ['sustained', 'slow', 'gradual']
          : ['fast', 'medium', 'slow', 'gradual'],
      );
      expect(s.minEvents).toBe(20);
    }
    const absent = Object.fromEntries(specs.slos.map((s) => [s.name, s.sliAbsentFor]));
    expect(absent).toEqual({
      'sync-latency': '15m',
      freshness: '15m',
      divergence: '15m',
      'prediction-accuracy': undefined,
      'actuation-success': undefined,
      convergence: undefined,
      'api-availability': '15m',
    });
  });

  it('names the file and the path of each schema violation, all at once', () => {
    const text = [
      'version: twinops.slo/v1',
      'slos:',
      '  - name: Bad Name',
      '    alert: TwinX',
      '    description: x',
      '    objective: 100',
      '    period: 30 days',
      '    sli: { good: "a{", total: b_total, extra: 1 }',
    ].join('\n');
    expect(problems(() => parseSloFile(text, 'slos/mine.yaml')).sort()).toEqual(
      [
        'slos/mine.yaml: slos[0].name: must match pattern "^[a-z][a-z0-9-]*$"',
        'slos/mine.yaml: slos[0].objective: must be < 100',
        'slos/mine.yaml: slos[0].period: must be a duration such as 500ms, 30s, 5m, 1h30m or 30d',
        'slos/mine.yaml: slos[0].sli.good: must be a series selector such as metric_total{label="value"}',
        'slos/mine.yaml: slos[0].sli: unknown key "extra"',
      ].sort(),
    );
  });

  it('refuses a period of zero, in any unit', () => {
    for (const period of ['0', '0s', '0d0h']) {
      const text = [
        'version: twinops.slo/v1',
        'slos:',
        '  - { name: zero, alert: TwinZero, description: x, objective: 99,',
        `      period: "${period}", sli: { good: a_total, total: b_total } }`,
      ].join('\n');
      expect(problems(() => parseSloFile(text, 'slos/zero.yaml'))).toEqual([
        'slos/zero.yaml: slos[0].period: must be longer than 0',
      ]);
    }
  });

  it('reports YAML syntax errors and wrong versions with the file name', () => {
    expect(problems(() => parseSloFile('slos: [', 'slos/broken.yaml'))[0]).toMatch(
      /^slos\/broken\.yaml: not YAML: /,
    );
    expect(problems(() => parseSloFile('version: 2\nslos: []', 'slos/v.yaml'))).toContain(
      'slos/v.yaml: version: must be "twinops.slo/v1"',
    );
  });

  it('refuses a tier that can never fire, inverted windows, unknown tiers and duplicates', () => {
    const found = problems(() =>
      resolveSlos(
        [
          {
            file: 'slos/a.yaml',
            slos: [
              slo({ objective: 90 }),
              slo({
                name: 'other',
                alert: 'TwinTestBudgetBurn',
                tiers: { fast: { shortWindow: '2h' }, hourly: { factor: 2 } },
              }),
            ],
          },
          { file: 'slos/b.yaml', slos: [slo({ labels: { tier: 'x' } })] },
        ],
        config,
      ),
    );
    expect(found).toEqual([
      'slos/a.yaml: slos[0].tiers.fast: factor 14.4 × error budget 0.1 = 1.44: an error ratio can never exceed it (lower the factor or disable the tier)',
      'slos/a.yaml: slos[1].alert: "TwinTestBudgetBurn" is already used in slos/a.yaml',
      'slos/a.yaml: slos[1].tiers.hourly: no such tier in preset workbook; known: fast, medium, slow, gradual',
      'slos/a.yaml: slos[1].tiers.fast: shortWindow 2h must be shorter than longWindow 1h',
      'slos/b.yaml: slos[0].name: "test-slo" is already defined in slos/a.yaml',
      'slos/b.yaml: slos[0].alert: "TwinTestBudgetBurn" is already used in slos/a.yaml',
      'slos/b.yaml: slos[0].labels.tier: is set by the generator',
    ]);
  });

  it('applies per-SLO tier overrides and drops disabled tiers', () => {
    const [resolved] = resolveSlos(
      [
        {
          file: 'x.yaml',
          slos: [
            slo({
              tiers: {
                fast: { for: '0', severity: 'critical', factor: 10 },
                gradual: { disabled: true },
              },
            }),
          ],
        },
      ],
      config,
    );
    expect(resolved?.tiers.map((t) => [t.id, t.severity, t.threshold, t.for])).toEqual([
      ['fast', 'critical', '0.01', '0'],
      ['medium', 'page', '0.006', '15m'],
      ['slow', 'ticket', '0.003', '30m'],
    ]);
  });

  it('resolves a named preset, its own minEvents and sliAbsent, and refuses an unknown preset', () => {
    const [seed, quiet] = resolveSlos(
      [
        {
          file: 'x.yaml',
          slos: [
            slo({ tierPreset: 'seed', sliAbsent: { for: '30m' } }),
            slo({ name: 'quiet', alert: 'TwinQuietBudgetBurn', minEvents: 5, sliAbsent: false }),
          ],
        },
      ],
      config,
    );
    expect(seed?.tiers.map((t) => [t.id, t.severity, t.threshold, t.longWindow, t.for])).toEqual([
      ['sustained', 'page', '0.004', '1h', '5m'],
      ['slow', 'ticket', '0.003', '1d', '30m'],
      ['gradual', 'ticket', '0.001', '3d', '1h'],
    ]);
    expect([seed?.minEvents, seed?.sliAbsentFor]).toEqual([20, '30m']);
    expect([quiet?.minEvents, quiet?.sliAbsentFor]).toEqual([5, undefined]);
    expect(
      problems(() =>
        resolveSlos([{ file: 'x.yaml', slos: [slo({ tierPreset: 'monthly' })] }], config),
      ),
    ).toEqual(['x.yaml: slos[0].tierPreset: no preset "monthly"; known: workbook, seed']);
  });

  it('refuses a telemetry-absent alert that would page after the freshness burn it should inhibit', () => {
    const text = readFileSync(join(alertsDir, 'config.yaml'), 'utf8');
    // The fast tier pages a silent class after 60 min × 14.4% + 2 min = 10.64 min at the earliest.
    const late = text.replace('telemetryAbsentWindow: 5m', 'telemetryAbsentWindow: 10m');
    expect(problems(() => parseConfig(late))).toEqual([
      'config.yaml: nonSlo.telemetryAbsentWindow + telemetryAbsentFor = 11 min: a silent class ' +
        'would page for its freshness burn first (after 10.64 min), before this cause, and the ' +
        'inhibition of the symptom would come too late',
    ]);
    const unknown = text.replace('defaultTierPreset: workbook', 'defaultTierPreset: weekly');
    expect(problems(() => parseConfig(unknown))).toEqual([
      'config.yaml: defaultTierPreset: no preset "weekly"; known: workbook, seed',
    ]);
  });

  it('validates config.yaml too', () => {
    expect(problems(() => parseConfig('links: {}\n', 'config.yaml'))).toContain(
      'config.yaml: links: missing "grafana"',
    );
  });
});
