import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { defaultConfig } from '../../exporter/src/config/load.js';
import {
  bucketBounds,
  convergenceExtraBounds,
  syncLatencyExtraBounds,
} from '../../exporter/src/sli/histogram.js';
import { alertsDir, drift } from './cli.js';
import { generate } from './generate.js';
import type { AlertingRule, RuleFile } from './rules.js';
import { loadSpecs } from './spec.js';

const specs = loadSpecs(alertsDir);
const outputs = generate(specs);
const ruleFiles = [...outputs].map(([path, text]) => ({ path, file: parse(text) as RuleFile }));
const alerts = ruleFiles
  .filter(({ path }) => !path.includes('test-profile'))
  .flatMap(({ file }) => file.groups.flatMap((g) => g.rules))
  .filter((r): r is AlertingRule => 'alert' in r);

describe('generated rules', () => {
  it('are committed and match the specs (run `npm run -w alerts generate` if this fails)', () => {
    expect(drift()).toEqual([]);
  });

  it('drift is detected when a spec changes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'twinops-alerts-'));
    try {
      for (const part of ['config.yaml', 'slos', 'generated']) {
        cpSync(join(alertsDir, part), join(dir, part), { recursive: true });
      }
      expect(drift(dir)).toEqual([]);
      const slos = join(dir, 'slos', 'twin.yaml');
      writeFileSync(
        slos,
        readFileSync(slos, 'utf8').replace('objective: 99.95', 'objective: 99.9'),
      );
      expect(drift(dir)).toEqual([
        'generated/slo-rules/api-availability.yaml',
        'generated/test-profile/slo-rules.yaml',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('print numbers exactly: no float noise anywhere', () => {
    for (const text of outputs.values()) expect(text).not.toMatch(/\d\.\d*(0000000|9999999)\d*/);
    const api = outputs.get('generated/slo-rules/api-availability.yaml') ?? '';
    expect(api).toContain('> 0.002\n'); // the seed preset: 4 × 0.0005
    expect(api).toContain('vector(0.9995)');
    expect(api).toContain(
      '1 - twinops_slo:sli_error:ratio_rate30d{slo="api-availability"} / 0.0005',
    );
  });

  it('give every alert a summary, a description with the value, a runbook that exists and a dashboard', () => {
    // six SLOs on the workbook's 4 tiers, availability on the seed's 3, four TwinSLIAbsent, 18 others
    expect(alerts.length).toBe(6 * 4 + 3 + 4 + 18);
    for (const alert of alerts) {
      const { summary, description, runbook_url, dashboard_url } = alert.annotations;
      expect(summary, alert.alert).toBeTruthy();
      expect(description, alert.alert).toMatch(/\{\{ \$value/);
      const runbook = runbook_url.replace(`${specs.config.links.runbooks}/`, '');
      expect(existsSync(join(alertsDir, 'runbooks', runbook)), runbook_url).toBe(true);
      expect(dashboard_url).toMatch(
        new RegExp(`^${specs.config.links.grafana}/d/twinops-(oncall|executive|debug)\\b`),
      );
      expect(['page', 'ticket']).toContain(alert.labels.severity);
    }
    // Every runbook is used by some alert.
    const used = new Set(alerts.map((a) => a.annotations.runbook_url.split('/').pop()));
    expect(
      readdirSync(join(alertsDir, 'runbooks'))
        .filter((f) => f !== 'README.md')
        .sort(),
    ).toEqual([...used].sort());
  });

  it('label each SLO alert with a stable tier, its severity and the SLO', () => {
    const sync = alerts.filter((a) => a.alert === 'TwinSyncLatencyBudgetBurn');
    expect(sync.map((a) => [a.labels.tier, a.labels.severity, a.for])).toEqual([
      ['fast', 'page', '2m'],
      ['medium', 'page', '15m'],
      ['slow', 'ticket', '30m'],
      ['gradual', 'ticket', '1h'],
    ]);
    expect(sync[0]?.expr).toBe(
      'twinops_slo:sli_error:ratio_rate1h{slo="sync-latency"} > 0.144\n' +
        'and\n' +
        'twinops_slo:sli_error:ratio_rate5m{slo="sync-latency"} > 0.144\n' +
        // minEvents: the long window holds at least 20 physical points of the class
        'and on (asset_class)\n' +
        'sum by (asset_class) (increase(twin_sync_latency_seconds_count{source="physical"}[1h])) >= 20',
    );
  });

  it('compress time in the test profile', () => {
    const profile = ruleFiles.find((f) => f.path === 'generated/test-profile/slo-rules.yaml')?.file;
    const group = profile?.groups.find((g) => g.name === 'twinops-slo-freshness');
    expect(group?.interval).toBe('1s');
    const fast = group?.rules.find(
      (r): r is AlertingRule => 'alert' in r && r.labels.tier === 'fast',
    );
    expect(fast?.expr).toContain('twinops_slo:sli_error:ratio_rate1m{slo="freshness"} > 0.144');
    expect(fast?.expr).toContain('twinops_slo:sli_error:ratio_rate5s{slo="freshness"} > 0.144');
    expect(fast?.for).toBe('2s');
    expect(group?.rules.map((r) => ('record' in r ? r.record : ''))).toContain(
      'twinops_slo:sli_error:ratio_rate12h',
    );
  });
});

describe('the SLIs read metrics the exporter exposes', () => {
  // Every metric the exporter defines is in exporter/src/metrics/ (a lint rule keeps it so).
  const metricsDir = join(alertsDir, '..', 'exporter', 'src', 'metrics');
  const exporterSource = readdirSync(metricsDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => readFileSync(join(metricsDir, f), 'utf8'))
    .join('\n');

  it('every metric name in the rules is registered by the exporter', () => {
    const names = new Set<string>();
    for (const { path, file } of ruleFiles) {
      if (path.includes('test-profile')) continue;
      for (const rule of file.groups.flatMap((g) => g.rules)) {
        for (const [name] of rule.expr.matchAll(/\btwin_[a-z0-9_]+/g)) names.add(name);
      }
    }
    expect(names.size).toBeGreaterThan(15);
    // The process metrics come from prom-client's default collectors, registered with this prefix.
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'twin_exporter_' });
    const defaults = new Set(registry.getMetricsAsArray().map((m) => m.name));
    expect(exporterSource).toContain("prefix: 'twin_exporter_'");
    for (const name of names) {
      const base = name.replace(/_(bucket|count)$/, '');
      if (defaults.has(base)) continue;
      expect(exporterSource, name).toContain(`'${base}'`);
    }
    expect(names).toContain('twin_exporter_process_resident_memory_bytes');
  });

  it('the latency and convergence thresholds are exact bucket bounds by default', () => {
    const sync = specs.slos.find((s) => s.name === 'sync-latency');
    const convergence = specs.slos.find((s) => s.name === 'convergence');
    const le = (selector = '') => Number(/le="([^"]+)"/.exec(selector)?.[1]);
    expect(
      bucketBounds(defaultConfig.sli.syncLatencyThresholdsSeconds, syncLatencyExtraBounds),
    ).toContain(le(sync?.good));
    expect(
      bucketBounds(defaultConfig.sli.convergenceThresholdsSeconds, convergenceExtraBounds),
    ).toContain(le(convergence?.good));
  });
});
