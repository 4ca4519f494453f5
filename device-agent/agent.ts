/**
 * The reference device agent: stands in for the devices at a site. It consumes commands from
 * `twin.commands`, applies them to simulated assets, acks them on `twin.commands.ack`, and reports
 * the assets' state as physical telemetry over OTLP/HTTP, so the twin can see a change converge.
 * Failure modes make it misbehave the ways real devices do (see modes.ts and the README).
 *
 * This file is the Kafka side: per-asset queues, offsets and commits, redelivery, and what a
 * crash means for a process. How a command is answered lives in devices.ts.
 */
import {
  Kafka,
  logLevel,
  Partitioners,
  type Consumer,
  type KafkaMessage,
  type Producer,
} from 'kafkajs';
import { msToNanoString } from '../simulator/index.js';
import { Halted, SimulatedDevices, type DeviceAck, type InitialAsset } from './devices.js';
import type { ModeSpec } from './modes.js';
import {
  ackMessage,
  acksTopic,
  commandsTopic,
  headersOf,
  readCommand,
  traceparentHeader,
  type CommandMessage,
  type PropertyValue,
  type ReadCommand,
} from './protocol.js';
import { OtlpReporter } from './reporter.js';

export type { InitialAsset };

export interface DeviceAgentOptions {
  /** Kafka bootstrap servers, `host:port`. */
  brokers: string[];
  /** OTLP/HTTP base URL of the exporter (or a collector); points go to /v1/metrics and /v1/logs. */
  otlpEndpoint: string;
  /** Consumer group (default `twinops-device-agent`): a restarted agent resumes where it committed. */
  groupId?: string;
  clientId?: string;
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

/** A message the agent took off `twin.commands`. */
export interface ReceivedCommand {
  key: string | undefined;
  headers: Record<string, string>;
  partition: number;
  offset: string;
  receivedAtMs: number;
  /** Undefined when the message is not a valid command; `error` says why. */
  command: CommandMessage | undefined;
  error: string | undefined;
  /** The command id was seen before by this agent: acked again, not applied again. */
  duplicate: boolean;
}

export type AgentState = 'running' | 'stopping' | 'stopped' | 'crashed';

export interface DeviceAgent {
  /** Finishes the commands in hand, commits, and disconnects. Also releases a crashed agent. */
  stop(): Promise<void>;
  /** Changes the failure mode of an asset id, asset class or `*` for the commands handled next. */
  setMode(target: string, mode: ModeSpec): void;
  assetValue(assetId: string, property: string): PropertyValue | undefined;
  received(): ReceivedCommand[];
  state(): AgentState;
}

export async function startDeviceAgent(options: DeviceAgentOptions): Promise<DeviceAgent> {
  const agent = new Agent(options);
  await agent.start();
  return {
    stop: () => agent.stop(),
    setMode: (target, mode) => agent.devices.modes.set(target, mode),
    assetValue: (assetId, property) => agent.devices.assetValue(assetId, property),
    received: () => [...agent.receivedCommands],
    state: () => agent.state,
  };
}

/** Per partition: the offsets still being handled, so a commit never passes an unfinished command. */
interface Progress {
  pending: Set<bigint>;
  next: bigint;
  committed: bigint;
}

class Agent {
  readonly devices: SimulatedDevices;
  readonly receivedCommands: ReceivedCommand[] = [];
  state: AgentState = 'running';
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly reporter: OtlpReporter;
  private readonly print: (line: string) => void;
  private readonly seen = new Set<string>();
  /** Per asset, the tail of its command queue: one asset's commands apply in order. */
  private readonly queues = new Map<string, Promise<void>>();
  private readonly inflight = new Set<Promise<void>>();
  /** Acks on the wire: disconnecting under them makes kafkajs retry on a closed socket. */
  private readonly sending = new Set<Promise<unknown>>();
  private readonly progress = new Map<number, Progress>();
  private commits: Promise<void> = Promise.resolve();
  private halted: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | undefined;

  constructor(options: DeviceAgentOptions) {
    this.print = options.log ?? (() => {});
    this.reporter = new OtlpReporter(options.otlpEndpoint);
    this.devices = new SimulatedDevices({
      reporter: this.reporter,
      modes: options.modes,
      reportEveryMs: options.reportEveryMs,
      initialValues: options.initialValues,
      stateFile: options.stateFile,
      log: options.log,
    });
    const kafka = new Kafka({
      clientId: options.clientId ?? 'twinops-device-agent',
      brokers: options.brokers,
      logLevel: logLevel.ERROR,
    });
    this.consumer = kafka.consumer({
      groupId: options.groupId ?? 'twinops-device-agent',
      allowAutoTopicCreation: false,
      // Stopping waits out the fetch in flight: a short long-poll keeps stops and crashes quick.
      maxWaitTimeInMs: 500,
    });
    this.producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
    });
  }

  async start(): Promise<void> {
    try {
      await this.producer.connect();
      await this.consumer.connect();
      // From the beginning when the group has no commit yet, so a command that crashed the very
      // first agent still reaches the restarted one.
      await this.consumer.subscribe({ topic: commandsTopic, fromBeginning: true });
      const joined = new Promise<void>((resolve) => {
        const off = this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
          off();
          resolve();
        });
      });
      await this.consumer.run({
        autoCommit: false,
        // Returns at once: commands are handled per asset, so a slow asset holds up no other.
        eachMessage: async ({ partition, message }) => this.receive(partition, message),
      });
      await withTimeout(joined, 60_000, 'joining the consumer group');
    } catch (error) {
      await this.release();
      throw error;
    }
    this.devices.startReports();
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    if (this.state === 'running') {
      this.state = 'stopping';
      const reports = this.devices.stopReports();
      while (this.inflight.size > 0) await Promise.all(this.inflight);
      await this.commits;
      await reports;
    }
    if (this.isCrashed()) return this.halted;
    await this.release();
    this.state = 'stopped';
  }

  /**
   * Disconnects from Kafka and the exporter. Bounded: kafkajs waits forever for the answer to
   * the fetch in flight when the broker is gone, and a stop must not hang on that.
   */
  private async release(): Promise<void> {
    const released = Promise.allSettled([
      this.consumer.disconnect(),
      Promise.allSettled(this.sending).then(() => this.producer.disconnect()),
      this.reporter.shutdown(),
    ]);
    const gaveUp = await withTimeout(released, 10_000, 'disconnecting').then(
      () => false,
      () => true,
    );
    if (gaveUp) this.print('[agent] gave up disconnecting after 10 s: is the broker gone?');
  }

  /** Read through a method so TypeScript does not narrow the state across awaits. */
  private isCrashed(): boolean {
    return this.state === 'crashed';
  }

  private receive(partition: number, message: KafkaMessage): void {
    // Stopping or crashed: the message stays uncommitted, for the next agent in the group.
    if (this.state !== 'running') return;
    const headers = headersOf(message.headers);
    const read = readCommand(message.key?.toString(), headers, message.value);
    const commandId = read.command?.commandId ?? read.commandId;
    this.receivedCommands.push({
      key: message.key?.toString(),
      headers,
      partition,
      offset: message.offset,
      receivedAtMs: Date.now(),
      command: read.command,
      error: read.error,
      duplicate: commandId !== undefined && this.seen.has(commandId),
    });
    if (commandId !== undefined) this.seen.add(commandId);

    const offset = BigInt(message.offset);
    this.track(partition, offset);
    const assetId = read.command?.assetId ?? read.assetId ?? '';
    const previous = this.queues.get(assetId) ?? Promise.resolve();
    const done = previous
      .then(() => this.handle(read, headers[traceparentHeader]))
      .then(
        () => this.finish(partition, offset),
        // Not committed: a restarted agent gets the command again.
        (error: unknown) => {
          if (!(error instanceof Halted)) this.print(`[agent] ${commandId}: ${String(error)}`);
        },
      );
    this.queues.set(assetId, done);
    this.inflight.add(done);
    void done.then(() => {
      this.inflight.delete(done);
      if (this.queues.get(assetId) === done) this.queues.delete(assetId);
    });
  }

  /** The devices answer; a `crash` mode kills the whole agent once `accepted` is sent. */
  private async handle(read: ReadCommand, traceparent: string | undefined): Promise<void> {
    const handling = await this.devices.handle(read, (ack) => this.send(ack, traceparent));
    if (handling === 'crashed') {
      const { commandId, assetId } = read.command ?? read;
      this.crash(`${commandId} for ${assetId}`);
    }
  }

  private async send(ack: DeviceAck, traceparent: string | undefined): Promise<void> {
    if (this.isCrashed()) throw new Halted();
    const message = ackMessage({ ...ack, timeUnixNano: msToNanoString(Date.now()) }, traceparent);
    const sent = this.producer.send({ topic: acksTopic, acks: -1, messages: [message] });
    this.sending.add(sent);
    try {
      await sent;
    } finally {
      this.sending.delete(sent);
    }
  }

  /**
   * Dies as a process would: no more acks, reports or commits, so the command in hand (and any
   * unfinished before it) is redelivered to the next agent of the group. It still leaves the group
   * at once, so a restart need not wait out the session timeout.
   */
  private crash(why: string): never {
    if (!this.isCrashed()) {
      this.state = 'crashed';
      this.devices.halt();
      this.print(`[agent] crashed on ${why}`);
      this.halted = this.release();
    }
    throw new Halted();
  }

  private track(partition: number, offset: bigint): void {
    let p = this.progress.get(partition);
    if (!p) {
      p = { pending: new Set(), next: offset, committed: -1n };
      this.progress.set(partition, p);
    }
    p.pending.add(offset);
    if (offset + 1n > p.next) p.next = offset + 1n;
  }

  /** Commits up to the oldest command still in hand on the partition. */
  private finish(partition: number, offset: bigint): void {
    if (this.isCrashed()) return;
    const p = this.progress.get(partition)!;
    p.pending.delete(offset);
    let upTo = p.next;
    for (const pending of p.pending) if (pending < upTo) upTo = pending;
    if (upTo <= p.committed) return;
    p.committed = upTo;
    const offsets = [{ topic: commandsTopic, partition, offset: upTo.toString() }];
    this.commits = this.commits.then(() =>
      // A failed commit (e.g. during a rebalance) only means a redelivery, which dedup absorbs.
      this.consumer.commitOffsets(offsets).catch((error: unknown) => {
        this.print(`[agent] commit failed: ${String(error)}`);
      }),
    );
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
