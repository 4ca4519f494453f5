import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';

/** One numeric property of an asset class and how its simulated signal behaves. */
export interface PropertySpec {
  name: string;
  /** Centre of the signal. */
  base: number;
  /** Half the swing of the slow sine the true value follows. */
  amplitude: number;
  /** Sensor noise (standard deviation) on physical readings. */
  noise: number;
  /**
   * The divergence tolerance a sensible exporter config would use for this property. Scenarios
   * are sized in multiples of it (drift) and the model's normal error stays well inside it.
   */
  tolerance: number;
  /** Physical bounds the value is clamped to, when there are any (a valve is 0–100 % open). */
  min?: number;
  max?: number;
}

export interface AssetClassSpec {
  name: string;
  properties: PropertySpec[];
  /** The prediction model serving this class, in its normal (vetted) version. */
  model: { name: string; version: string };
}

export const defaultClasses: readonly AssetClassSpec[] = [
  {
    name: 'pump',
    model: { name: 'pump-forecaster', version: '1.4.0' },
    properties: [
      { name: 'temperature', base: 60, amplitude: 5, noise: 0.1, tolerance: 1 },
      { name: 'pressure', base: 6, amplitude: 0.8, noise: 0.01, tolerance: 0.1 },
    ],
  },
  {
    name: 'valve',
    model: { name: 'valve-forecaster', version: '2.1.0' },
    properties: [
      { name: 'position', base: 50, amplitude: 30, noise: 0.2, tolerance: 2, min: 0, max: 100 },
    ],
  },
  {
    name: 'conveyor',
    model: { name: 'conveyor-forecaster', version: '0.9.3' },
    properties: [{ name: 'speed', base: 1.5, amplitude: 0.3, noise: 0.005, tolerance: 0.05 }],
  },
];

export const defaultSites: readonly string[] = ['site-a', 'site-b', 'site-c'];

export interface Asset {
  id: string;
  spec: AssetClassSpec;
  site: string;
  /** The OTLP resource every point of this asset is sent under. */
  resource: Resource;
  /** Per-asset phase so assets of one class do not move in lockstep. */
  phase: number;
}

/**
 * Assets cycle through the classes (pump-1, valve-1, conveyor-1, pump-2, …) and fill the sites
 * one class-round at a time, so every site gets a mix of classes.
 */
export function buildFleet(
  count: number,
  classes: readonly AssetClassSpec[],
  sites: readonly string[],
  phaseOf: (index: number) => number,
): Asset[] {
  if (classes.length === 0 || sites.length === 0)
    throw new Error('need at least one class and site');
  const perClass = new Map<string, number>();
  const fleet: Asset[] = [];
  for (let i = 0; i < count; i++) {
    const spec = classes[i % classes.length]!;
    const n = (perClass.get(spec.name) ?? 0) + 1;
    perClass.set(spec.name, n);
    const id = `${spec.name}-${n}`;
    const site = sites[Math.floor(i / classes.length) % sites.length]!;
    fleet.push({
      id,
      spec,
      site,
      phase: phaseOf(i),
      resource: resourceFromAttributes({
        'twin.asset.id': id,
        'twin.asset.class': spec.name,
        'twin.site': site,
      }),
    });
  }
  return fleet;
}

/** Ticks per period of the true signal: tied to ticks, not ms, so any tick length looks alike. */
const PERIOD_TICKS = 30;

/** The true value of a property at a (possibly fractional) tick: what a perfect sensor would read. */
export function trueValue(property: PropertySpec, phase: number, tick: number): number {
  return property.base + property.amplitude * Math.sin((2 * Math.PI * tick) / PERIOD_TICKS + phase);
}

/** Clamps to the property's physical bounds and rounds to keep the ground truth readable. */
export function settle(property: PropertySpec, value: number): number {
  const clamped = Math.min(property.max ?? Infinity, Math.max(property.min ?? -Infinity, value));
  return Math.round(clamped * 1e4) / 1e4;
}
