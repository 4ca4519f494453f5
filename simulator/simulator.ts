import { createWriteStream, type WriteStream } from 'node:fs';
import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import {
  AggregationTemporality,
  DataPointType,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import {
  buildFleet,
  defaultClasses,
  defaultSites,
  settle,
  trueValue,
  type Asset,
  type AssetClassSpec,
} from './fleet.js';
import { createRng, type Rng } from './random.js';
import {
  resolveScenarios,
  scenarioDefaults,
  windowCovers,
  type Scenario,
  type ScenarioKind,
  type ScenarioWindow,
} from './scenarios.js';
import {
  msToNanoString,
  type ExportStats,
  type SimulationResult,
  type TruthPoint,
} from './truth.js';

export interface SimulationOptions {
  /** OTLP/HTTP base URL; points go to `<endpoint>/v1/metrics` (default http://127.0.0.1:4318). */
  endpoint?: string;
  /** `proto` (application/x-protobuf, the default) or `json` (application/json). */
  encoding?: 'proto' | 'json';
  /** Number of assets (default 12). */
  assets?: number;
  classes?: readonly AssetClassSpec[];
  sites?: readonly string[];
  /** Tick interval in ms (default 1000). A multiple of 4 keeps prediction target times exact. */
  tickMs?: number;
  /** Ticks to run: runSimulation defaults to 10, startSimulation to unlimited. */
  ticks?: number;
  /** PRNG seed: the same seed and options give the same points (default 1). */
  seed?: number;
  scenarios?: readonly Scenario[];
  /** Network delay of physical readings, uniform whole ms (default 20–300). */
  sendDelayMs?: { min: number; max: number };
  /** Chance per asset and tick that the twin publishes a new desired version (default 0.05). */
  desiredChangeProbability?: number;
  /**
   * The simulated clock at tick 0, in ms since the epoch. Default: now (rounded up to 4 ms).
   * Give a past or future time to shift every timestamp (and sentAtMs) by that much.
   */
  startTimeMs?: number;
  /** Per-export deadline for the SDK exporter, its retries included (default 10 000). */
  timeoutMs?: number;
  /** Export calls in flight before the SDK refuses more (counted as failed; default 100). */
  concurrencyLimit?: number;
  /** Keep every sent point in memory for the result (default true; long CLI runs turn it off). */
  keepTruth?: boolean;
  /** Also write the ground truth as JSON lines to this file. */
  truthFile?: string;
}

export interface SimulationStats {
  ticks: number;
  points: number;
  /** Points held back by a partition right now. */
  held: number;
  exports: ExportStats;
}

export interface SimulationHandle {
  /** Stops ticking, sends what is pending (partitioned points now), waits for the exports. */
  stop(): Promise<SimulationResult>;
  stats(): SimulationStats;
}

/** A point before it is sent. */
type Draft = Omit<TruthPoint, 'exportId' | 'sentAtMs' | 'delivered'>;

/** Points of one asset that leave together: one export call, one HTTP request. */
interface Group {
  asset: Asset;
  dueAtMs: number;
  /** Held back by a partition, released at the window's end (or at stop). */
  held: boolean;
  drafts: Draft[];
  timer: NodeJS.Timeout | undefined;
}

/** Per asset: desired/reported state versions, for convergence. */
interface VersionState {
  desired: number;
  /** Tick at which the asset reports the pending desired version. */
  reportAtTick: number | undefined;
}

const metricName = 'twin.value';
const scope = { name: 'twinops-sim', version: '0.1.0' };
const maxErrors = 5;

/** Runs `ticks` ticks, sends everything, and resolves with the ground truth. */
export async function runSimulation(options: SimulationOptions = {}): Promise<SimulationResult> {
  const sim = new Simulation({ ticks: 10, ...options });
  await sim.ticked;
  return sim.stop();
}

/** Runs until stopped (or until `ticks`, if given): for the demo and the CLI. */
export function startSimulation(options: SimulationOptions = {}): SimulationHandle {
  const sim = new Simulation(options);
  return { stop: () => sim.stop(), stats: () => sim.stats() };
}

class Simulation {
  readonly ticked: Promise<void>;
  private readonly rng: Rng;
  private readonly fleet: Asset[];
  private readonly windows: ScenarioWindow[];
  private readonly exporter: PushMetricExporter;
  private readonly tickMs: number;
  private readonly maxTicks: number;
  private readonly delay: { min: number; max: number };
  private readonly desiredChance: number;
  private readonly keepTruth: boolean;
  private readonly startTimeMs: number;
  /** Simulated clock minus wall clock. */
  private readonly shiftMs: number;
  private readonly versions = new Map<string, VersionState>();
  private readonly groups = new Map<string, Group>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly points: TruthPoint[] = [];
  private readonly exportStats: ExportStats = { sent: 0, succeeded: 0, failed: 0, errors: [] };
  private readonly truthFile: WriteStream | undefined;
  private pointCount = 0;
  private tickIndex = 0;
  private tickTimer: NodeJS.Timeout | undefined;
  private finishTicking: () => void = () => {};
  private stopping: Promise<SimulationResult> | undefined;
  private truthFileError: Error | undefined;

  constructor(options: SimulationOptions) {
    this.tickMs = options.tickMs ?? 1_000;
    this.maxTicks = options.ticks ?? Infinity;
    this.delay = options.sendDelayMs ?? { min: 20, max: 300 };
    this.desiredChance = options.desiredChangeProbability ?? 0.05;
    this.keepTruth = options.keepTruth ?? true;
    const assetCount = options.assets ?? 12;
    if (!(this.tickMs > 0)) throw new Error(`tickMs must be positive, got ${this.tickMs}`);
    if (!(assetCount >= 1)) throw new Error(`assets must be at least 1, got ${assetCount}`);
    if (!(this.maxTicks >= 0)) throw new Error(`ticks must not be negative, got ${this.maxTicks}`);
    if (!(this.delay.min >= 0 && this.delay.min <= this.delay.max)) {
      throw new Error(`sendDelayMs needs 0 <= min <= max, got ${JSON.stringify(this.delay)}`);
    }

    this.rng = createRng(options.seed ?? 1);
    this.fleet = buildFleet(
      assetCount,
      options.classes ?? defaultClasses,
      options.sites ?? defaultSites,
      () => this.rng.next() * 2 * Math.PI,
    );
    for (const asset of this.fleet) {
      this.versions.set(asset.id, { desired: 1, reportAtTick: undefined });
    }
    // Whole ms on a 4 ms grid: target times (ms × 1e6 ns) are then exact in an int64 attribute
    // even though the SDK carries them as JS numbers (beyond 2^53 doubles step by 256 ns).
    this.startTimeMs = options.startTimeMs ?? Math.ceil(wallNow() / 4) * 4;
    this.shiftMs = options.startTimeMs === undefined ? 0 : options.startTimeMs - wallNow();
    this.windows = resolveScenarios(options.scenarios ?? [], this.fleet, this.startTimeMs);

    const config = {
      url: `${(options.endpoint ?? 'http://127.0.0.1:4318').replace(/\/+$/, '')}/v1/metrics`,
      timeoutMillis: options.timeoutMs ?? 10_000,
      concurrencyLimit: options.concurrencyLimit ?? 100,
    };
    this.exporter =
      options.encoding === 'json'
        ? new JsonMetricExporter(config)
        : new ProtoMetricExporter(config);

    if (options.truthFile) {
      this.truthFile = createWriteStream(options.truthFile);
      // Reported by stop(): an unwritable truth file must fail the run, not crash the process.
      this.truthFile.on('error', (error) => (this.truthFileError ??= error));
      for (const window of this.windows) this.writeLine({ type: 'window', ...window });
    }
    this.ticked = new Promise((resolve) => (this.finishTicking = resolve));
    this.scheduleTick();
  }

  stats(): SimulationStats {
    let held = 0;
    for (const group of this.groups.values()) if (group.held) held += group.drafts.length;
    return {
      ticks: this.tickIndex,
      points: this.pointCount,
      held,
      exports: { ...this.exportStats, errors: [...this.exportStats.errors] },
    };
  }

  stop(): Promise<SimulationResult> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<SimulationResult> {
    clearTimeout(this.tickTimer);
    this.finishTicking();
    // Nothing new is queued now. Pending points leave at their own due time, so the last tick's
    // delays stay realistic; partitioned points are released at once, with their original times.
    const rest = [...this.groups.values()].sort((a, b) => a.dueAtMs - b.dueAtMs);
    for (const group of rest) clearTimeout(group.timer);
    this.groups.clear();
    for (const group of rest) {
      while (!group.held && group.dueAtMs > this.now()) {
        await sleep(Math.ceil(group.dueAtMs - this.now()));
      }
      this.send(group);
    }
    await Promise.all(this.inflight);
    await this.exporter.shutdown();
    if (this.truthFile) {
      const file = this.truthFile;
      this.writeLine({ type: 'summary', ticks: this.tickIndex, exports: this.exportStats });
      if (!this.truthFileError) await new Promise<void>((resolve) => file.end(resolve));
      if (this.truthFileError) throw this.truthFileError;
    }
    return {
      points: this.points,
      windows: this.windows,
      assets: this.fleet.map((a) => ({ id: a.id, assetClass: a.spec.name, site: a.site })),
      exports: this.exportStats,
      ticks: this.tickIndex,
      startTimeMs: this.startTimeMs,
      tickMs: this.tickMs,
    };
  }

  /** The simulated clock: the wall clock plus the shift from `startTimeMs`. */
  private now(): number {
    return wallNow() + this.shiftMs;
  }

  private scheduleTick(): void {
    if (this.tickIndex >= this.maxTicks) {
      this.finishTicking();
      return;
    }
    // Scheduled against the nominal time, so a late timer does not shift later ticks.
    const due = this.startTimeMs + this.tickIndex * this.tickMs;
    const fire = (): void => {
      if (this.now() < due) {
        this.tickTimer = setTimeout(fire, 1);
        return;
      }
      this.tick(this.tickIndex);
      this.tickIndex++;
      this.scheduleTick();
    };
    this.tickTimer = setTimeout(fire, Math.max(0, due - this.now()));
  }

  private tick(i: number): void {
    const t = this.startTimeMs + i * this.tickMs;
    for (const asset of this.fleet) this.tickAsset(asset, i, t);
  }

  /**
   * One asset at tick i (nominal time t): the device reads its sensors and sends them after a
   * network delay; the twin platform updates its state a moment later and publishes it together
   * with the model's prediction for the next tick. Random draws never depend on the scenarios, so
   * a scenario changes only the points it hits.
   */
  private tickAsset(asset: Asset, i: number, t: number): void {
    const rng = this.rng;
    const hits = this.windows.filter((w) => windowCovers(w, asset.id, t));
    const partition = hits.find((w) => w.kind === 'partition');
    const skew = hits.find((w) => w.kind === 'skew');
    const regression = hits.findLast((w) => w.kind === 'regression');
    const versions = this.versions.get(asset.id)!;
    const base = { assetId: asset.id, assetClass: asset.spec.name, site: asset.site };

    const physicalDelay = rng.int(this.delay.min, this.delay.max);
    const twinLag = rng.int(5, 30);
    const platformDelay = rng.int(5, 50);
    const desiredChange = rng.next() < this.desiredChance;
    const reportAfterTicks = rng.int(1, 3);

    const skewMs =
      skew?.scenario.kind === 'skew' ? (skew.scenario.skewMs ?? scenarioDefaults.skewMs) : 0;
    const physicalTime = t + skewMs;
    const physical: Draft[] = [];
    const platform: Draft[] = [];
    for (const property of asset.spec.properties) {
      const truth = trueValue(property, asset.phase, i);
      let reading = truth + rng.gauss() * property.noise;
      const twinNoise = rng.gauss() * property.noise * 0.5;
      const predictionNoise = rng.gauss() * property.tolerance * 0.2;

      const physicalScenarios: ScenarioKind[] = skew ? ['skew'] : [];
      for (const w of hits) {
        if (w.scenario.kind !== 'drift') continue;
        if (w.scenario.properties && !w.scenario.properties.includes(property.name)) continue;
        const ticksIn = Math.floor((t - w.fromMs) / this.tickMs) + 1;
        const magnitude = w.scenario.magnitude ?? scenarioDefaults.driftMagnitude;
        reading +=
          magnitude * property.tolerance * Math.min(1, ticksIn / scenarioDefaults.driftRampTicks);
        physicalScenarios.push('drift');
      }
      physical.push({
        ...base,
        source: 'physical',
        property: property.name,
        value: settle(property, reading),
        sourceTimeMs: physicalTime,
        timeUnixNano: msToNanoString(physicalTime),
        ...(physicalScenarios.length > 0 && { scenarios: physicalScenarios }),
      });

      platform.push({
        ...base,
        source: 'twin',
        property: property.name,
        value: settle(property, truth + twinNoise),
        sourceTimeMs: t + twinLag,
        timeUnixNano: msToNanoString(t + twinLag),
      });

      const model = asset.spec.model;
      let version = model.version;
      let error = predictionNoise;
      if (regression?.scenario.kind === 'regression') {
        version = regression.scenario.version ?? version;
        error *= regression.scenario.errorFactor ?? scenarioDefaults.errorFactor;
      }
      const target = t + this.tickMs;
      platform.push({
        ...base,
        source: 'model',
        property: property.name,
        value: settle(property, trueValue(property, asset.phase, i + 1) + error),
        sourceTimeMs: t,
        timeUnixNano: msToNanoString(t),
        modelName: model.name,
        modelVersion: version,
        targetTimeMs: target,
        targetTimeUnixNano: msToNanoString(target),
        ...(regression && { scenarios: ['regression' as const] }),
      });
    }

    // Convergence: the twin publishes a new desired version; the asset reports it a few ticks on.
    if (versions.reportAtTick === i) {
      physical[0]!.reportedVersion = versions.desired;
      versions.reportAtTick = undefined;
    } else if (versions.reportAtTick === undefined && desiredChange) {
      versions.desired++;
      versions.reportAtTick = i + reportAfterTicks;
      platform[0]!.desiredVersion = versions.desired;
    }

    this.enqueue(asset, t + physicalDelay, physical, partition);
    this.enqueue(asset, t + twinLag + platformDelay, platform, partition);
  }

  private enqueue(
    asset: Asset,
    dueAtMs: number,
    drafts: Draft[],
    partition: ScenarioWindow | undefined,
  ): void {
    if (partition) {
      for (const draft of drafts) draft.scenarios = [...(draft.scenarios ?? []), 'partition'];
    }
    // Held points share one group per asset and window, so they go out as one request.
    const key = partition ? `${asset.id}|held|${partition.fromMs}` : `${asset.id}|${dueAtMs}`;
    let found = this.groups.get(key);
    if (!found) {
      const releaseAt = partition ? (partition.toMs ?? Infinity) : dueAtMs;
      found = { asset, dueAtMs: releaseAt, held: !!partition, drafts: [], timer: undefined };
      this.groups.set(key, found);
    }
    const group = found;
    group.drafts.push(...drafts);
    // Never send a point before it was observed, even if that is just after the window ends.
    const due = Math.max(group.dueAtMs, dueAtMs);
    if (group.timer === undefined || due !== group.dueAtMs) {
      group.dueAtMs = due;
      clearTimeout(group.timer);
      const flush = (): void => {
        // Timers are whole ms and may fire a fraction early: never send before the due time.
        const early = group.dueAtMs - this.now();
        if (early > 0) {
          group.timer = setTimeout(flush, Math.ceil(early));
          return;
        }
        this.groups.delete(key);
        this.send(group);
      };
      group.timer = Number.isFinite(due)
        ? setTimeout(flush, Math.max(0, due - this.now()))
        : undefined;
    }
  }

  private send(group: Group): void {
    const exportId = ++this.exportStats.sent;
    const sentAtMs = this.now();
    const points: TruthPoint[] = group.drafts.map((d) => ({
      exportId,
      ...d,
      sentAtMs,
      delivered: false,
    }));
    this.pointCount += points.length;
    if (this.keepTruth) this.points.push(...points);

    const done = new Promise<void>((resolve) => {
      const settleExport = (result: ExportResult): void => {
        if (result.code === ExportResultCode.SUCCESS) {
          this.exportStats.succeeded++;
          for (const p of points) p.delivered = true;
        } else {
          this.exportStats.failed++;
          const message = describeFailure(result.error);
          const errors = this.exportStats.errors;
          if (errors.length < maxErrors && !errors.includes(message)) errors.push(message);
        }
        for (const p of points) this.writeLine({ type: 'point', ...p });
        resolve();
      };
      try {
        this.exporter.export(toResourceMetrics(group.asset, points), settleExport);
      } catch (error) {
        settleExport({ code: ExportResultCode.FAILED, error: error as Error });
      }
    });
    this.inflight.add(done);
    void done.then(() => this.inflight.delete(done));
  }

  private writeLine(record: object): void {
    this.truthFile?.write(`${JSON.stringify(record)}\n`);
  }
}

/**
 * Builds the SDK's own ResourceMetrics by hand, so each point keeps its own timestamp: one
 * resource (the asset), one gauge `twin.value`, the property and source as point attributes.
 */
function toResourceMetrics(asset: Asset, points: readonly TruthPoint[]): ResourceMetrics {
  return {
    resource: asset.resource,
    scopeMetrics: [
      {
        scope,
        metrics: [
          {
            descriptor: {
              name: metricName,
              description: 'A property of an asset: measured, the twin state or a prediction',
              unit: '',
              valueType: ValueType.DOUBLE,
            },
            aggregationTemporality: AggregationTemporality.CUMULATIVE,
            dataPointType: DataPointType.GAUGE,
            dataPoints: points.map((p) => {
              // A gauge has no meaningful start; the observation time is used for both.
              const time = msToHrTime(p.sourceTimeMs);
              return {
                startTime: time,
                endTime: time,
                attributes: attributesOf(p),
                value: p.value,
              };
            }),
          },
        ],
      },
    ],
  };
}

function attributesOf(p: TruthPoint): Attributes {
  const attributes: Attributes = { 'twin.source': p.source, 'twin.property': p.property };
  if (p.modelName !== undefined) attributes['twin.model.name'] = p.modelName;
  if (p.modelVersion !== undefined) attributes['twin.model.version'] = p.modelVersion;
  if (p.targetTimeMs !== undefined) {
    // An int64 attribute can only be given as a JS number; see the 4 ms grid in the constructor.
    attributes['twin.prediction.target_time_unix_nano'] = p.targetTimeMs * 1e6;
  }
  if (p.desiredVersion !== undefined) attributes['twin.desired.version'] = p.desiredVersion;
  if (p.reportedVersion !== undefined) attributes['twin.reported.version'] = p.reportedVersion;
  return attributes;
}

/** The SDK's error for an HTTP failure carries the status as a numeric `code`: keep it. */
function describeFailure(error: Error | undefined): string {
  if (!error) return 'export failed';
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? `HTTP ${code} ${error.message}` : error.message;
}

function msToHrTime(ms: number): HrTime {
  return [Math.floor(ms / 1000), (ms % 1000) * 1e6];
}

/** Date.now(), not performance.now(): latency is judged against the receiver's wall clock. */
function wallNow(): number {
  return Date.now();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
