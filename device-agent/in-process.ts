/**
 * The reference device agent in process, without Kafka: for the embedded default (the demo),
 * whose exporter hands each command to a function (`InProcessDeviceTransport`). The simulated
 * devices and failure modes are the Kafka agent's (devices.ts); acks go back through the callback,
 * and the assets' state still goes to the exporter over real OTLP/HTTP, so a change is seen to
 * converge through the twin's own ingest path.
 */
import type { CommandAck } from '../exporter/src/commands/model.js';
import type { CommandMessage as DispatchedCommand } from '../exporter/src/commands/transport.js';
import { msToNanoString } from '../simulator/index.js';
import {
  Halted,
  SimulatedDevices,
  type AckSender,
  type InitialAsset,
  type ReadingSink,
} from './devices.js';
import type { ModeSpec } from './modes.js';
import { checkCommand, type PropertyValue } from './protocol.js';
import { OtlpReporter } from './reporter.js';

export interface InProcessDevicesOptions {
  /** OTLP/HTTP base URL of the exporter; when it is known only later, call `reportTo` then. */
  otlpEndpoint?: string;
  /** Failure modes by asset id, asset class or `*` (every asset); the rest behave `ok`. */
  modes?: Record<string, ModeSpec>;
  /** How often every known asset's current values are sent again (default 1000; 0: never). */
  reportEveryMs?: number;
  initialValues?: InitialAsset[];
  /** Where the devices keep their values across restarts (see SimulatedDevicesOptions). */
  stateFile?: string;
  /** One line per command handled and per problem (default: silent). */
  log?: (line: string) => void;
}

/** What `InProcessDeviceTransport` hands each command to: `startExporter`'s `inProcessDevice`. */
export type InProcessDevice = (message: DispatchedCommand, ack: (ack: CommandAck) => void) => void;

export interface InProcessDevices {
  device: InProcessDevice;
  /**
   * Where to report: the exporter's OTLP URL, known only once it started (and `device` must be
   * given to it before). Until then reports, and the `done` acks that follow them, wait.
   */
  reportTo(otlpEndpoint: string): void;
  /** Changes the failure mode of an asset id, asset class or `*` for the commands handled next. */
  setMode(target: string, mode: ModeSpec): void;
  assetValue(assetId: string, property: string): PropertyValue | undefined;
  /**
   * Stops at once, as devices switched off: commands in hand (a `slow` one) get no more acks and
   * later ones are ignored. Resolves once the reports in flight are sent.
   */
  stop(): Promise<void>;
}

export function startInProcessDevices(options: InProcessDevicesOptions = {}): InProcessDevices {
  const print = options.log ?? (() => {});
  let reporter: OtlpReporter | undefined;
  let setReporter!: (reporter: OtlpReporter) => void;
  let abandonReports!: (error: Halted) => void;
  const reporterReady = new Promise<OtlpReporter>((resolve, reject) => {
    setReporter = resolve;
    abandonReports = reject;
  });
  reporterReady.catch(() => {}); // stopped before an endpoint: only the waiting commands care
  // Periodic reports start with `reportTo`, so only a command's own report can wait here.
  const sink: ReadingSink = { report: (reading) => reporterReady.then((r) => r.report(reading)) };
  const devices = new SimulatedDevices({
    reporter: sink,
    modes: options.modes,
    reportEveryMs: options.reportEveryMs,
    initialValues: options.initialValues,
    stateFile: options.stateFile,
    log: options.log,
  });

  let stopping: Promise<void> | undefined;
  /** Per asset, the tail of its commands: one asset's commands are answered in order. */
  const queues = new Map<string, Promise<void>>();
  const inflight = new Set<Promise<void>>();

  const device: InProcessDevice = (message, ack) => {
    if (stopping) {
      print(`[agent] ${message.commandId} ${message.assetId}: the devices are stopped, ignored`);
      return;
    }
    const read = checkCommand(message);
    const { commandId, assetId } = read.command ?? read;
    const send: AckSender = async (fields) => {
      if (stopping) throw new Halted();
      ack({ ...fields, timeUnixNano: msToNanoString(Date.now()) });
    };
    const queue = assetId ?? '';
    const done = (queues.get(queue) ?? Promise.resolve())
      .then(() => devices.handle(read, send))
      .then(
        (handling) => {
          // In process nothing dies: the device only goes quiet on this one command.
          if (handling === 'crashed')
            print(
              `[agent] ${commandId} ${assetId}: crashed on it, acked accepted and nothing more`,
            );
        },
        (error: unknown) => {
          if (!(error instanceof Halted)) print(`[agent] ${commandId}: ${String(error)}`);
        },
      );
    queues.set(queue, done);
    inflight.add(done);
    void done.then(() => {
      inflight.delete(done);
      if (queues.get(queue) === done) queues.delete(queue);
    });
  };

  const reportTo = (otlpEndpoint: string): void => {
    if (stopping) throw new Error('the in-process devices are stopped');
    if (reporter) throw new Error('the in-process devices already report to an endpoint');
    reporter = new OtlpReporter(otlpEndpoint);
    setReporter(reporter);
    devices.startReports();
  };
  if (options.otlpEndpoint !== undefined) reportTo(options.otlpEndpoint);

  const shutdown = async (): Promise<void> => {
    devices.halt();
    abandonReports(new Halted());
    while (inflight.size > 0) await Promise.all(inflight);
    await devices.stopReports();
    await reporter?.shutdown();
  };

  return {
    device,
    reportTo,
    setMode: (target, mode) => devices.modes.set(target, mode),
    assetValue: (assetId, property) => devices.assetValue(assetId, property),
    stop: () => (stopping ??= shutdown()),
  };
}
