/**
 * The simulated devices behind the reference agent, free of any transport: how a command is
 * answered (its failure mode), de-duplication by command id, the assets' values, and the OTLP
 * reports of them. The Kafka agent (agent.ts) and the in-process adapter (in-process.ts) deliver
 * commands to it and send its acks; it never knows which.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultRefuseReason, defaultSlowDelayMs, ModeTable, type ModeSpec } from './modes.js';
import type { CommandAck, CommandMessage, PropertyValue, ReadCommand } from './protocol.js';
import type { Reading } from './reporter.js';

/** An asset the devices own from the start, reported before any command reaches it. */
export interface InitialAsset {
  assetId: string;
  assetClass: string;
  values: Record<string, PropertyValue>;
}

/**
 * Where readings go: an `OtlpReporter`. Resolves with the errors (a device does not stop working
 * because telemetry is down); rejecting with `Halted` abandons the command being answered.
 */
export interface ReadingSink {
  report(reading: Reading): Promise<string[]>;
}

export interface SimulatedDevicesOptions {
  reporter: ReadingSink;
  /** Failure modes by asset id, asset class or `*` (every asset); the rest behave `ok`. */
  modes?: Record<string, ModeSpec>;
  /** How often every known asset's current values are sent again (default 1000; 0: never). */
  reportEveryMs?: number;
  initialValues?: InitialAsset[];
  /**
   * A JSON file holding the assets' values, written (atomically) before each applied command is
   * reported or acked, and read at start over `initialValues`: a device keeps what it was told
   * when its agent restarts, as real equipment does. Absent: values live in memory only.
   */
  stateFile?: string;
  /** One line per command handled and per problem (default: silent). */
  log?: (line: string) => void;
}

/** The state file's content. */
interface StateFile {
  version: 1;
  assets: Record<string, { assetClass: string; values: Record<string, PropertyValue> }>;
}

/** An ack as the devices decide it; the transport stamps `timeUnixNano` as it sends it. */
export type DeviceAck = Omit<CommandAck, 'timeUnixNano'>;

/** Sends one ack; rejects (with `Halted` once the transport is gone) when it cannot. */
export type AckSender = (ack: DeviceAck) => Promise<void>;

/**
 * How handling a command ended: `answered` (every ack its mode calls for was sent, possibly none),
 * or `crashed` (a `crash` mode: acked `accepted`, and the transport decides what dying means).
 */
export type Handling = 'answered' | 'crashed';

/** Thrown through a command's handling once the devices were halted: they do nothing more. */
export class Halted extends Error {
  constructor() {
    super('the devices were halted');
  }
}

interface AssetState {
  assetClass: string;
  values: Map<string, PropertyValue>;
}

type AckFields = Omit<DeviceAck, 'commandId' | 'assetId'>;

export class SimulatedDevices {
  readonly modes: ModeTable;
  private readonly assets = new Map<string, AssetState>();
  /** Per command id, the acks it got: a redelivery is answered with them again. */
  private readonly handled = new Map<string, DeviceAck[]>();
  private readonly reporter: ReadingSink;
  private readonly reportEveryMs: number;
  private readonly print: (line: string) => void;
  private readonly haltSignal = new AbortController();
  private reportsOn = false;
  private reporting: Promise<void> = Promise.resolve();
  private reportTimer: NodeJS.Timeout | undefined;
  private reportsFailing = false;
  private readonly stateFile: string | undefined;

  constructor(options: SimulatedDevicesOptions) {
    this.modes = new ModeTable(options.modes);
    this.reporter = options.reporter;
    this.reportEveryMs = options.reportEveryMs ?? 1_000;
    this.print = options.log ?? (() => {});
    this.stateFile = options.stateFile;
    const saved = this.stateFile ? readState(this.stateFile) : [];
    for (const asset of [...(options.initialValues ?? []), ...saved]) {
      const known = this.assets.get(asset.assetId)?.values;
      this.assets.set(asset.assetId, {
        assetClass: asset.assetClass,
        values: new Map([...(known ?? []), ...Object.entries(asset.values)]),
      });
    }
  }

  assetValue(assetId: string, property: string): PropertyValue | undefined {
    return this.assets.get(assetId)?.values.get(property);
  }

  /**
   * Answers a command as its asset's failure mode says, sending the acks through `send`; a
   * command id seen before gets the acks it got the first time and is not applied again.
   * Rejects with `Halted` when halted mid-way (a `slow` wait), or with whatever `send` threw.
   */
  async handle(read: ReadCommand, send: AckSender): Promise<Handling> {
    const command = read.command;
    const commandId = command?.commandId ?? read.commandId;
    const assetId = command?.assetId ?? read.assetId;
    if (commandId === undefined || assetId === undefined) {
      this.print(`[agent] skipped a message nobody can be told about: ${read.error}`);
      return 'answered';
    }
    const previous = this.handled.get(commandId);
    if (previous) {
      for (const ack of previous) await send(ack);
      this.print(`[agent] ${commandId} ${assetId}: redelivered, acked again`);
      return 'answered';
    }
    const acks: DeviceAck[] = [];
    this.handled.set(commandId, acks);
    const ack = async (fields: AckFields): Promise<void> => {
      const full: DeviceAck = { commandId, assetId, ...fields };
      acks.push(full);
      await send(full);
    };
    const what = command ? `${command.name} ${command.property}=${String(command.value)}` : '';
    const outcome = (text: string): Handling => {
      this.print(`[agent] ${commandId} ${assetId} ${what}: ${text}`);
      return 'answered';
    };

    const setting = this.modes.resolve(assetId, command?.assetClass);
    const { mode } = setting;
    if (mode === 'silent') return outcome('silent, not acked');
    await ack({ status: 'accepted' });
    if (mode === 'crash') return 'crashed';
    if (!command) {
      await ack({ status: 'rejected', message: `invalid command: ${read.error}` });
      return outcome(`rejected: ${read.error}`);
    }
    if (mode === 'refuse') {
      const message = setting.reason ?? defaultRefuseReason;
      await ack({ status: 'rejected', message });
      return outcome(`refused: ${message}`);
    }
    if (mode === 'slow') await this.delay(setting.delayMs ?? defaultSlowDelayMs);
    if (mode === 'ack_without_apply') {
      // The device claims success; only its telemetry (unchanged) tells the truth.
      await ack({ status: 'done', reportedValue: command.value });
      return outcome('acked done without applying');
    }
    this.apply(command);
    // Reported before `done`, so the twin can already see the change when the ack lands.
    await this.report(command.assetId, [[command.property, command.value]]);
    await ack({ status: 'done', reportedValue: command.value });
    return outcome('done');
  }

  /** Reports every known asset now, then every `reportEveryMs`, which keeps freshness green. */
  startReports(): void {
    if (this.reportsOn || this.haltSignal.signal.aborted) return;
    this.reportsOn = true;
    this.reportAllThenSchedule();
  }

  /** No more periodic reports; resolves once the round in flight is sent. */
  async stopReports(): Promise<void> {
    this.reportsOn = false;
    clearTimeout(this.reportTimer);
    await this.reporting;
  }

  /** Stops at once: no more periodic reports, and a `slow` wait in progress rejects `Halted`. */
  halt(): void {
    this.haltSignal.abort();
    this.reportsOn = false;
    clearTimeout(this.reportTimer);
  }

  private apply(command: CommandMessage): void {
    let asset = this.assets.get(command.assetId);
    if (!asset) {
      asset = { assetClass: command.assetClass, values: new Map() };
      this.assets.set(command.assetId, asset);
    }
    asset.assetClass = command.assetClass;
    asset.values.set(command.property, command.value);
    if (this.stateFile) writeState(this.stateFile, this.assets);
  }

  /** Slow mode's wait; a halt cuts it short, as a crash would a real process. */
  private async delay(ms: number): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: this.haltSignal.signal });
    } catch {
      throw new Halted();
    }
  }

  private async report(assetId: string, values: [string, PropertyValue][]): Promise<void> {
    const asset = this.assets.get(assetId);
    if (!asset || values.length === 0) return;
    const errors = await this.reporter.report({
      assetId,
      assetClass: asset.assetClass,
      values,
      timeMs: Date.now(),
    });
    // Logged when reporting starts and stops failing, not every second while the exporter is down.
    if (errors.length > 0 !== this.reportsFailing) {
      this.reportsFailing = errors.length > 0;
      this.print(`[agent] OTLP reports ${errors.length ? `failing: ${errors[0]}` : 'recovered'}`);
    }
  }

  private reportAllThenSchedule(): void {
    if (!this.reportsOn) return;
    this.reporting = Promise.all(
      [...this.assets].map(([assetId, asset]) => this.report(assetId, [...asset.values])),
    ).then(() => {
      if (this.reportEveryMs > 0 && this.reportsOn) {
        this.reportTimer = setTimeout(() => this.reportAllThenSchedule(), this.reportEveryMs);
      }
    });
  }
}

/** The assets a state file holds; none when it does not exist yet. A damaged file is an error. */
function readState(file: string): InitialAsset[] {
  if (!existsSync(file)) return [];
  let state: StateFile;
  try {
    state = JSON.parse(readFileSync(file, 'utf8')) as StateFile;
  } catch (error) {
    throw new Error(`device state ${file} is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (state?.version !== 1 || typeof state.assets !== 'object' || state.assets === null) {
    throw new Error(`device state ${file} is not a version 1 state file`);
  }
  return Object.entries(state.assets).map(([assetId, { assetClass, values }]) => ({
    assetId,
    assetClass,
    values,
  }));
}

/** Written beside and renamed over: a kill mid-write leaves the previous state, never half. */
function writeState(file: string, assets: Map<string, AssetState>): void {
  const state: StateFile = {
    version: 1,
    assets: Object.fromEntries(
      [...assets].map(([id, asset]) => [
        id,
        { assetClass: asset.assetClass, values: Object.fromEntries(asset.values) },
      ]),
    ),
  };
  writeFileSync(`${file}.tmp`, JSON.stringify(state));
  renameSync(`${file}.tmp`, file);
}
