/**
 * Loading and validation of alerts/config.yaml and the SLO specs in alerts/slos/. Every problem
 * is reported with the file and the path inside it (`slos/twin.yaml: slos[2].objective: …`), all
 * at once, before anything is generated.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import configSchema from '../schemas/config.schema.json' with { type: 'json' };
import sloSchema from '../schemas/slo.schema.json' with { type: 'json' };
import { compare, decimal, format, mul, shift, sub } from './decimal.js';
import { durationExamples, parseDuration } from '../../exporter/src/config/duration.js';

export interface Tier {
  id: string;
  severity: string;
  factor: number;
  longWindow: string;
  shortWindow: string;
  for: string;
}

export interface AlertsConfig {
  links: { grafana: string; runbooks: string };
  exporterJob: string;
  tierPresets: Record<string, Tier[]>;
  defaultTierPreset: string;
  /** The default preset's tiers (what most SLOs use, and the dashboards show). */
  tiers: Tier[];
  minEvents: number;
  sliAbsentFor: string;
  nonSlo: {
    exporterDownFor: string;
    telemetryAbsentWindow: string;
    telemetryAbsentFor: string;
    kafkaLagMessages: number;
    kafkaLagWindow: string;
    ingestRejectRatio: number;
    auditVerifiedWithin: string;
    resourceFor: string;
    exporterMemoryMiB: number;
    eventLoopLagSeconds: number;
    restartsPerHour: number;
    ingestQueueDepth: number;
    outboxDepth: number;
    attemptsWindow: string;
    forbiddenAttempts: number;
    unauthenticatedAttempts: number;
    versionMismatchRefusals: number;
    schemaRejectedPoints: number;
    modelCoverageTarget: number;
  };
  testProfile: { timeScale: number; evaluationInterval: string };
}

type TierOverride = Partial<Omit<Tier, 'id'>> & { disabled?: boolean };

export interface SloSpec {
  name: string;
  alert: string;
  title?: string;
  description: string;
  objective: number;
  period: string;
  sli: { good: string; total: string; by?: string[] };
  runbook?: string;
  dashboard?: string;
  labels?: Record<string, string>;
  tierPreset?: string;
  minEvents?: number;
  sliAbsent?: false | { for: string };
  tiers?: Record<string, TierOverride>;
}

interface SloFile {
  version: string;
  slos: SloSpec[];
}

/** An SLO with its tiers resolved and its numbers as exact decimal strings. */
export interface Slo {
  name: string;
  alert: string;
  title: string;
  description: string;
  /** Where it was defined, for messages. */
  source: string;
  /** Percent, as written: "99.95". */
  objectivePercent: string;
  /** Ratio: "0.9995". */
  objective: string;
  /** 1 − objective: "0.0005". */
  errorBudget: string;
  period: string;
  good: string;
  total: string;
  by: string[];
  runbook: string;
  dashboard: string;
  labels: Record<string, string>;
  tierPreset: string;
  /** Events a tier's long window must hold (per `by` value) before the tier may fire. */
  minEvents: number;
  /** How long the total series may be absent before TwinSLIAbsent; undefined: no such alert. */
  sliAbsentFor: string | undefined;
  tiers: ResolvedTier[];
}

export interface ResolvedTier extends Tier {
  /** factor × error budget, exact: "0.0144". */
  threshold: string;
  /** factor as written: "14.4". */
  factorText: string;
}

export class SpecError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid alerts spec:\n  ${problems.join('\n  ')}`);
    this.name = 'SpecError';
  }
}

const ajv = new Ajv({ allErrors: true, strict: true });
const validateConfig = ajv.compile<AlertsConfig>(configSchema);
const validateSloFile = ajv.compile<SloFile>(sloSchema);

/** `/slos/2/objective` → `slos[2].objective`. */
function jsonPath(instancePath: string): string {
  const path = instancePath
    .split('/')
    .slice(1)
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
    .join('')
    .replace(/^\./, '');
  return path || '(top level)';
}

function describe(error: ErrorObject): string {
  const at = jsonPath(error.instancePath);
  switch (error.keyword) {
    case 'additionalProperties':
      return `${at}: unknown key "${(error.params as { additionalProperty: string }).additionalProperty}"`;
    case 'required':
      return `${at}: missing "${(error.params as { missingProperty: string }).missingProperty}"`;
    case 'const':
      return `${at}: must be ${JSON.stringify((error.params as { allowedValue: unknown }).allowedValue)}`;
    case 'pattern':
      if (error.schemaPath.includes('duration') || /for$|Window$|period$/.test(at)) {
        return `${at}: must be a duration such as ${durationExamples}`;
      }
      if (error.schemaPath.includes('selector')) {
        return `${at}: must be a series selector such as metric_total{label="value"}`;
      }
      return `${at}: ${error.message ?? 'is invalid'}`;
    case 'not':
      // The only `not` of the schemas: a window or period of zero.
      return `${at}: must be longer than 0`;
    default:
      return `${at}: ${error.message ?? 'is invalid'}`;
  }
}

function validated<T>(validate: ValidateFunction<T>, document: unknown, file: string): T {
  if (!validate(document)) {
    throw new SpecError(
      [...new Set((validate.errors ?? []).map(describe))].map((p) => `${file}: ${p}`),
    );
  }
  return document;
}

function parseYaml(text: string, file: string): unknown {
  try {
    return parse(text);
  } catch (error) {
    throw new SpecError([`${file}: not YAML: ${(error as Error).message.split('\n')[0]}`]);
  }
}

export function parseConfig(text: string, file = 'config.yaml'): AlertsConfig {
  const config = validated(validateConfig, parseYaml(text, file), file);
  const problems: string[] = [];
  for (const [preset, tiers] of Object.entries(config.tierPresets)) {
    const ids = new Set<string>();
    tiers.forEach((tier, i) => {
      if (ids.has(tier.id)) {
        problems.push(`${file}: tierPresets.${preset}[${i}].id: "${tier.id}" is used twice`);
      }
      ids.add(tier.id);
    });
  }
  const tiers = config.tierPresets[config.defaultTierPreset];
  if (!tiers) {
    problems.push(
      `${file}: defaultTierPreset: no preset "${config.defaultTierPreset}"; known: ${Object.keys(config.tierPresets).join(', ')}`,
    );
  }
  const n = config.nonSlo;
  const absentMs = parseDuration(n.telemetryAbsentWindow) + parseDuration(n.telemetryAbsentFor);
  const symptomMs = earliestFreshnessPageMs(tiers ?? []);
  if (symptomMs !== undefined && absentMs >= symptomMs) {
    const minutes = (ms: number) => Math.round(ms / 600) / 100;
    problems.push(
      `${file}: nonSlo.telemetryAbsentWindow + telemetryAbsentFor = ${minutes(absentMs)} min: a ` +
        `silent class would page for its freshness burn first (after ${minutes(symptomMs)} min), ` +
        'before this cause, and the inhibition of the symptom would come too late',
    );
  }
  if (problems.length) throw new SpecError(problems);
  return { ...config, tiers: tiers ?? [] };
}

/**
 * When a class that goes silent pages for its freshness burn at the earliest: every check fails
 * from then on, so a page tier's long-window ratio passes factor × budget after
 * longWindow × factor × budget, then waits `for`. The budget is the default SLOs' 1%; a looser
 * objective pages later, so this is the bound the telemetry-absent alert must beat.
 */
export function earliestFreshnessPageMs(tiers: Tier[], errorBudget = 0.01): number | undefined {
  const pages = tiers
    .filter((t) => t.severity === 'page')
    .map(
      (t) =>
        parseDuration(t.longWindow) * Math.min(1, t.factor * errorBudget) + parseDuration(t.for),
    );
  return pages.length ? Math.min(...pages) : undefined;
}

/** Parses one SLO file; semantic checks that need the config happen in resolveSlos. */
export function parseSloFile(text: string, file: string): SloSpec[] {
  return validated(validateSloFile, parseYaml(text, file), file).slos;
}

/** Applies the tier overrides and checks what the schema cannot: windows, thresholds, names. */
export function resolveSlos(
  files: { file: string; slos: SloSpec[] }[],
  config: AlertsConfig,
): Slo[] {
  const problems: string[] = [];
  const names = new Map<string, string>();
  const alerts = new Map<string, string>();
  const resolved: Slo[] = [];
  for (const { file, slos } of files) {
    slos.forEach((spec, i) => {
      const at = `${file}: slos[${i}]`;
      const problem = (path: string, message: string) => problems.push(`${at}.${path}: ${message}`);
      const previous = names.get(spec.name);
      if (previous) problem('name', `"${spec.name}" is already defined in ${previous}`);
      names.set(spec.name, file);
      const previousAlert = alerts.get(spec.alert);
      if (previousAlert) problem('alert', `"${spec.alert}" is already used in ${previousAlert}`);
      alerts.set(spec.alert, file);

      const objective = decimal(spec.objective);
      const errorBudget = shift(sub(decimal(100), objective), 2);
      const periodMs = parseDuration(spec.period);
      const tierPreset = spec.tierPreset ?? config.defaultTierPreset;
      const preset = config.tierPresets[tierPreset];
      if (!preset) {
        problem(
          'tierPreset',
          `no preset "${tierPreset}"; known: ${Object.keys(config.tierPresets).join(', ')}`,
        );
      }
      for (const id of Object.keys(spec.tiers ?? {})) {
        if (preset && !preset.some((t) => t.id === id)) {
          problem(
            `tiers.${id}`,
            `no such tier in preset ${tierPreset}; known: ${preset.map((t) => t.id).join(', ')}`,
          );
        }
      }
      const tiers: ResolvedTier[] = [];
      for (const base of preset ?? []) {
        const override = spec.tiers?.[base.id] ?? {};
        if (override.disabled) continue;
        const tier: Tier = {
          id: base.id,
          severity: override.severity ?? base.severity,
          factor: override.factor ?? base.factor,
          longWindow: override.longWindow ?? base.longWindow,
          shortWindow: override.shortWindow ?? base.shortWindow,
          for: override.for ?? base.for,
        };
        const path = `tiers.${tier.id}`;
        const longMs = parseDuration(tier.longWindow);
        if (parseDuration(tier.shortWindow) >= longMs) {
          problem(
            path,
            `shortWindow ${tier.shortWindow} must be shorter than longWindow ${tier.longWindow}`,
          );
        }
        if (longMs > periodMs) {
          problem(path, `longWindow ${tier.longWindow} is longer than the period ${spec.period}`);
        }
        const threshold = mul(decimal(tier.factor), errorBudget);
        if (compare(threshold, decimal(1)) >= 0) {
          problem(
            path,
            `factor ${tier.factor} × error budget ${format(errorBudget)} = ${format(threshold)}: ` +
              `an error ratio can never exceed it (lower the factor or disable the tier)`,
          );
        }
        tiers.push({
          ...tier,
          threshold: format(threshold),
          factorText: format(decimal(tier.factor)),
        });
      }
      const by = spec.sli.by ?? [];
      for (const label of Object.keys(spec.labels ?? {})) {
        if (['slo', 'tier', 'severity', 'alertname', ...by].includes(label)) {
          problem(`labels.${label}`, 'is set by the generator');
        }
      }
      resolved.push({
        name: spec.name,
        alert: spec.alert,
        title: spec.title ?? spec.name,
        description: spec.description,
        source: file,
        objectivePercent: format(objective),
        objective: format(shift(objective, 2)),
        errorBudget: format(errorBudget),
        period: spec.period,
        good: spec.sli.good,
        total: spec.sli.total,
        by,
        runbook: spec.runbook ?? `${spec.name}.md`,
        dashboard: spec.dashboard ?? 'twinops-oncall',
        labels: spec.labels ?? {},
        tierPreset,
        minEvents: spec.minEvents ?? config.minEvents,
        sliAbsentFor:
          spec.sliAbsent === false ? undefined : (spec.sliAbsent?.for ?? config.sliAbsentFor),
        tiers,
      });
    });
  }
  if (problems.length) throw new SpecError(problems);
  return resolved;
}

export interface Specs {
  config: AlertsConfig;
  slos: Slo[];
}

/** Reads `<dir>/config.yaml` and every `<dir>/slos/*.yaml`; names files relative to `dir`. */
export function loadSpecs(dir: string): Specs {
  const configFile = join(dir, 'config.yaml');
  const config = parseConfig(readFileSync(configFile, 'utf8'), relative(dir, configFile));
  const sloDir = join(dir, 'slos');
  const files: { file: string; slos: SloSpec[] }[] = [];
  const problems: string[] = [];
  for (const name of readdirSync(sloDir)
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()) {
    const file = relative(dir, join(sloDir, name));
    try {
      files.push({ file, slos: parseSloFile(readFileSync(join(sloDir, name), 'utf8'), file) });
    } catch (error) {
      if (!(error instanceof SpecError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length) throw new SpecError(problems);
  return { config, slos: resolveSlos(files, config) };
}
