import type { Asset } from './fleet.js';

export type ScenarioKind = 'partition' | 'drift' | 'regression' | 'skew';
export const scenarioKinds: readonly ScenarioKind[] = ['partition', 'drift', 'regression', 'skew'];

interface ScenarioBase {
  /** Asset ids, class names or site names; an asset is hit if any of them names it. None: all. */
  targets?: string[];
  /** Window start in ms after tick 0 (default 0). Ticks whose nominal time is inside are hit. */
  fromMs?: number;
  /** Window end in ms after tick 0, exclusive (default: until the run stops). */
  toMs?: number;
}

/** The asset's link is down: its points are held back and sent at the window's end, all at once. */
export interface PartitionScenario extends ScenarioBase {
  kind: 'partition';
}

/** A sensor drifts: physical readings move away from the twin, ramping up over five ticks. */
export interface DriftScenario extends ScenarioBase {
  kind: 'drift';
  /** Final offset in multiples of the property's tolerance (default 5). */
  magnitude?: number;
  /** Only these properties drift (default: every property of the asset). */
  properties?: string[];
}

/** The model gets worse, optionally because an unvetted version was rolled out. */
export interface RegressionScenario extends ScenarioBase {
  kind: 'regression';
  /** Prediction error is multiplied by this (default 10). */
  errorFactor?: number;
  /** Predictions in the window carry this model version instead of the class's normal one. */
  version?: string;
}

/** The asset's clock runs ahead: its physical points carry timestamps in the future. */
export interface SkewScenario extends ScenarioBase {
  kind: 'skew';
  /** How far ahead, in ms (default 30 000). */
  skewMs?: number;
}

export type Scenario = PartitionScenario | DriftScenario | RegressionScenario | SkewScenario;

export const scenarioDefaults = {
  driftMagnitude: 5,
  driftRampTicks: 5,
  errorFactor: 10,
  skewMs: 30_000,
} as const;

/** A scenario as it played out: resolved assets and absolute times (simulated clock, ms). */
export interface ScenarioWindow {
  kind: ScenarioKind;
  scenario: Scenario;
  assets: string[];
  fromMs: number;
  /** Null: open until the run stopped. */
  toMs: number | null;
}

/** Resolves targets to assets and offsets to absolute times; an unknown target is a typo: throw. */
export function resolveScenarios(
  scenarios: readonly Scenario[],
  fleet: readonly Asset[],
  startTimeMs: number,
): ScenarioWindow[] {
  return scenarios.map((scenario) => {
    if (!scenarioKinds.includes(scenario.kind)) {
      throw new Error(`unknown scenario kind ${JSON.stringify(scenario.kind)}`);
    }
    const targets = scenario.targets ?? [];
    for (const target of targets) {
      if (!fleet.some((a) => a.id === target || a.spec.name === target || a.site === target)) {
        throw new Error(`scenario ${scenario.kind}: no asset, class or site named "${target}"`);
      }
    }
    const assets = fleet
      .filter(
        (a) =>
          targets.length === 0 ||
          targets.includes(a.id) ||
          targets.includes(a.spec.name) ||
          targets.includes(a.site),
      )
      .map((a) => a.id);
    return {
      kind: scenario.kind,
      scenario,
      assets,
      fromMs: startTimeMs + (scenario.fromMs ?? 0),
      toMs: scenario.toMs === undefined ? null : startTimeMs + scenario.toMs,
    };
  });
}

/** Whether a window covers an asset at a (nominal tick) time. */
export function windowCovers(window: ScenarioWindow, assetId: string, timeMs: number): boolean {
  return (
    timeMs >= window.fromMs &&
    (window.toMs === null || timeMs < window.toMs) &&
    window.assets.includes(assetId)
  );
}

/** Parses `500ms`, `30s`, `2m`, `1h` into ms. A unit is required so `30` is never ambiguous. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!match) throw new Error(`bad duration "${text}": use e.g. 500ms, 30s, 2m, 1h`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

/**
 * Parses the CLI form `kind[=param][:target,…][@from[+duration]]`, e.g. `drift:pump-3`,
 * `partition:site-a@30s+60s`, `regression=1.5.0-rc1:pump@1m`, `skew=10s:valve-2`.
 * The param is the drift magnitude (tolerances), the regression's model version or the skew.
 */
export function parseScenario(text: string): Scenario {
  const match = /^([a-z]+)(?:=([^:@]+))?(?::([^@]+))?(?:@([^+]+)(?:\+(.+))?)?$/.exec(text.trim());
  if (!match)
    throw new Error(`bad scenario "${text}": use kind[=param][:target,…][@from[+duration]]`);
  const [, kind, param, targetList, from, duration] = match;
  const base: ScenarioBase = {};
  if (targetList) base.targets = targetList.split(',').map((t) => t.trim());
  if (from) base.fromMs = parseDuration(from);
  if (duration) base.toMs = (base.fromMs ?? 0) + parseDuration(duration);
  switch (kind) {
    case 'partition':
      if (param) throw new Error(`scenario partition takes no parameter: "${text}"`);
      return { kind, ...base };
    case 'drift': {
      if (param === undefined) return { kind, ...base };
      const magnitude = Number(param);
      if (!Number.isFinite(magnitude)) throw new Error(`bad drift magnitude in "${text}"`);
      return { kind, ...base, magnitude };
    }
    case 'regression':
      return param ? { kind, ...base, version: param } : { kind, ...base };
    case 'skew':
      return param ? { kind, ...base, skewMs: parseDuration(param) } : { kind, ...base };
    default:
      throw new Error(`unknown scenario kind "${kind}": one of ${scenarioKinds.join(', ')}`);
  }
}
