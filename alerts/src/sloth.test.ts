/**
 * The same SLO through Sloth v0.16.0 (github.com/slok/sloth, built by the test bed) and through
 * our generator: the burn-rate math must agree (windows, factor pairs, thresholds); the README
 * lists where the outputs differ on purpose.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { installSloth, run } from '../../test/bed/index.js';
import { alertsDir } from './cli.js';
import { slothSpec } from './sloth-spec.js';
import { sloAlertRules, sloRecordingRules } from './slo-rules.js';
import { loadSpecs, type Slo } from './spec.js';

interface PromRule {
  record?: string;
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
}

const specs = loadSpecs(alertsDir);

/** Sloth's alert exprs: `(short > (factor * budget)) and (long > (factor * budget))` pairs. */
function slothTiers(expr: string) {
  const terms = [...expr.matchAll(/ratio_rate(\w+)\{[^}]*\} > \(([\d.]+) \* ([\d.e-]+)\)/g)].map(
    ([, window, factor, budget]) => ({ window, factor: Number(factor), budget }),
  );
  const tiers = [];
  for (let i = 0; i < terms.length; i += 2) {
    const [short, long] = [terms[i], terms[i + 1]];
    tiers.push({
      shortWindow: short?.window,
      longWindow: long?.window,
      factor: short?.factor,
      budget: short?.budget,
    });
  }
  return tiers;
}

describe('Sloth v0.16.0 on the same SLO', () => {
  let dir: string;
  const rulesOf = new Map<string, PromRule[]>();
  const slo = specs.slos.find((s) => s.name === 'sync-latency') as Slo;
  const api = specs.slos.find((s) => s.name === 'api-availability') as Slo;
  let sloth: PromRule[] = [];

  beforeAll(async () => {
    const binary = await installSloth();
    dir = mkdtempSync(join(tmpdir(), 'twinops-sloth-'));
    writeFileSync(join(dir, 'spec.yaml'), slothSpec([slo, api]));
    await run(binary, ['generate', '-i', join(dir, 'spec.yaml'), '-o', join(dir, 'out.yaml')]);
    const out = parse(readFileSync(join(dir, 'out.yaml'), 'utf8')) as {
      groups: { name: string; rules: PromRule[] }[];
    };
    // Sloth's groups end in -<service>-<slo>.
    for (const s of [slo, api]) {
      rulesOf.set(
        s.name,
        out.groups.filter((g) => g.name.endsWith(`-twinops-${s.name}`)).flatMap((g) => g.rules),
      );
    }
    sloth = rulesOf.get(slo.name) ?? [];
  }, 600_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('records the error ratio over the same windows', () => {
    // Ours are named twinops_slo:… so that Sloth's rules can share a Prometheus with them.
    const windows = (rules: PromRule[]) =>
      rules
        .map((r) => /^(?:twinops_)?slo:sli_error:ratio_rate(\w+)$/.exec(r.record ?? '')?.[1])
        .filter((w): w is string => w !== undefined)
        .sort();
    expect(windows(sloRecordingRules(slo))).toEqual(windows(sloth));
    expect(windows(sloth)).toEqual(['1d', '1h', '2h', '30d', '30m', '3d', '5m', '6h']);
  });

  it('pages and tickets on the same window pairs and factors (SRE workbook defaults)', () => {
    const ours = sloAlertRules(slo, specs.config);
    for (const severity of ['page', 'ticket']) {
      const theirs = sloth.find((r) => r.alert && r.labels?.severity === severity);
      expect(theirs, severity).toBeDefined();
      const pairs = slothTiers(theirs?.expr ?? '').map(({ shortWindow, longWindow, factor }) => ({
        shortWindow,
        longWindow,
        factor,
      }));
      const mine = slo.tiers
        .filter((t) => t.severity === severity)
        .map(({ shortWindow, longWindow, factor }) => ({ shortWindow, longWindow, factor }));
      expect(pairs).toEqual(mine);
      // Sloth ORs a severity's tiers into one rule; ours is one rule per tier.
      expect(ours.filter((r) => r.labels.severity === severity)).toHaveLength(mine.length);
    }
  });

  it('uses the same thresholds, which Sloth prints with float noise and ours exactly', () => {
    // Sloth's page alert ORs the workbook's fast tier: compare with ours under that preset (the
    // availability SLO runs the seed's preset, whose page tier is 4×).
    for (const s of [slo, api]) {
      const page = rulesOf.get(s.name)?.find((r) => r.alert && r.labels?.severity === 'page');
      const [fast] = slothTiers(page?.expr ?? '');
      const workbookFast = specs.config.tierPresets.workbook![0]!;
      expect((fast?.factor ?? 0) * Number(fast?.budget)).toBeCloseTo(
        workbookFast.factor * Number(s.errorBudget),
        12,
      );
    }
    expect(slo.tiers[0]?.threshold).toBe('0.144');
    expect(api.tiers[0]?.threshold).toBe('0.002');
    // 99.95%: Sloth computes 1 − 0.9995 in floating point and prints it as is.
    const apiPage = rulesOf.get(api.name)?.find((r) => r.alert && r.labels?.severity === 'page');
    expect(slothTiers(apiPage?.expr ?? '')[0]?.budget).not.toBe(api.errorBudget);
    expect(api.errorBudget).toBe('0.0005');
    const objective = rulesOf.get(api.name)?.find((r) => r.record === 'slo:objective:ratio');
    expect(objective?.expr.trim()).toMatch(/^vector\(0\.9995\d*\)$/);
    const ours = sloRecordingRules(api);
    expect(ours.find((r) => r.record === 'twinops_slo:objective:ratio')?.expr).toBe(
      'vector(0.9995)',
    );
  });

  it('differs where the README says: tier label, for, period ratio, labels, annotations', () => {
    const slothAlerts = sloth.filter((r) => r.alert);
    expect(slothAlerts).toHaveLength(2); // page and ticket, tiers ORed inside
    for (const a of slothAlerts) {
      expect(a.labels).not.toHaveProperty('tier');
      expect(a).not.toHaveProperty('for');
      expect(a).not.toHaveProperty('annotations.runbook_url');
    }
    const period = sloth.find((r) => r.record === 'slo:sli_error:ratio_rate30d');
    expect(period?.expr).toContain('count_over_time'); // unweighted mean of 5m ratios
    expect(sloth.find((r) => r.record === 'slo:sli_error:ratio_rate5m')?.labels).toHaveProperty(
      'sloth_window',
    );
    expect(sloth.some((r) => r.record === 'slo:period_error_budget_remaining:ratio')).toBe(true);
    // No name in common: Sloth's rules and ours can be loaded into one Prometheus.
    const names = new Set(sloth.map((r) => r.record).filter(Boolean));
    expect(sloRecordingRules(slo).filter((r) => names.has(r.record))).toEqual([]);
  });
});
