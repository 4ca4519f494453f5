import { Kafka, type Consumer, type Producer } from 'kafkajs';
import type { KafkaConnection } from '../kafka/connection.js';
import { fallbackLogger, kafkaLogging, type Logger } from '../log.js';
import type {
  CommandMessage as WireCommand,
  headers as wireHeaders,
} from '../../../contracts/commands.js';
import type { CommandAck } from './model.js';

/**
 * What goes to a device on `twin.commands` (JSON value, key = asset id): the contract's message
 * (contracts/commands.ts), whose value is the parameter the catalog names (checked against the
 * parameters' schema by the guards, so not typed here).
 */
export interface CommandMessage extends Omit<WireCommand, 'value'> {
  value: unknown;
  /** The dispatch span's W3C context, sent as the `traceparent` header, not in the value. */
  traceparent?: string;
}

/** The contract's header names (contracts/commands.ts), as values of the exporter's own. */
const commandIdHeader: (typeof wireHeaders)['commandId'] = 'twin.command.id';
const traceparentHeader: (typeof wireHeaders)['traceparent'] = 'traceparent';

/**
 * How accepted commands reach devices and how their acks come back: Kafka in production, an
 * in-process adapter in the embedded default. Both carry the same messages.
 */
export interface DeviceTransport {
  start(onAck: (ack: CommandAck) => void): Promise<void>;
  /**
   * Hands a batch over; resolves once it is durable (Kafka: acknowledged by all in-sync replicas).
   * One call per outbox batch: under load one produce request carries many commands.
   */
  send(messages: readonly CommandMessage[]): Promise<void>;
  stop(): Promise<void>;
}

export interface KafkaTransportOptions {
  /** Brokers, TLS and SASL: the same as the telemetry consumer's. */
  connection: KafkaConnection;
  clientId: string;
  groupId: string;
  commandsTopic: string;
  acksTopic: string;
  /** Where kafkajs's own logs go. */
  logger?: Logger;
}

/** Kafka: commands keyed by asset id (one asset's commands stay ordered), acks consumed in a group. */
export class KafkaDeviceTransport implements DeviceTransport {
  private readonly producer: Producer;
  private readonly consumer: Consumer;

  constructor(private readonly options: KafkaTransportOptions) {
    const kafka = new Kafka({
      ...options.connection,
      clientId: options.clientId,
      ...kafkaLogging(options.logger ?? fallbackLogger()),
    });
    // Not idempotent: kafkajs sends one request at a time per broker for an idempotent producer,
    // and the gateway keeps several batches on the wire. A retried send may be written twice, which
    // devices absorb as they absorb a resend after a crash: they de-duplicate by command id.
    this.producer = kafka.producer({ maxInFlightRequests: 5 });
    // A short session: after a crash the restarted exporter takes over the acks within seconds.
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    });
  }

  async start(onAck: (ack: CommandAck) => void): Promise<void> {
    await this.producer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [this.options.acksTopic], fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        const ack = parseAck(message.value);
        if (ack) onAck(ack);
      },
    });
  }

  async send(messages: readonly CommandMessage[]): Promise<void> {
    await this.producer.send({
      topic: this.options.commandsTopic,
      acks: -1,
      messages: messages.map(({ traceparent: context, ...message }) => ({
        key: message.assetId,
        value: JSON.stringify(message),
        headers: {
          [commandIdHeader]: message.commandId,
          ...(context ? { [traceparentHeader]: context } : {}),
        },
      })),
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }
}

/** An ack from the wire, or undefined when it is not one (counted by the caller, never fatal). */
export function parseAck(value: Buffer | null | undefined): CommandAck | undefined {
  if (!value || value.length > 64 * 1024) return undefined;
  try {
    const ack = JSON.parse(value.toString('utf8')) as Partial<CommandAck>;
    if (typeof ack.commandId !== 'string' || typeof ack.assetId !== 'string') return undefined;
    if (ack.status !== 'accepted' && ack.status !== 'rejected' && ack.status !== 'done')
      return undefined;
    return ack as CommandAck;
  } catch {
    return undefined;
  }
}

/**
 * The embedded default's devices: commands are handed to a function in this process (a simulated
 * device, or an integration), which answers with acks like a Kafka device would.
 */
export class InProcessDeviceTransport implements DeviceTransport {
  private onAck: ((ack: CommandAck) => void) | undefined;

  constructor(
    private readonly device: (message: CommandMessage, ack: (ack: CommandAck) => void) => void,
  ) {}

  async start(onAck: (ack: CommandAck) => void): Promise<void> {
    this.onAck = onAck;
  }

  async send(messages: readonly CommandMessage[]): Promise<void> {
    const onAck = this.onAck;
    if (!onAck) throw new Error('the in-process device transport is not started');
    // Deliver after the caller has recorded the dispatch, as a real device would answer later.
    for (const message of messages) setImmediate(() => this.device(message, onAck));
  }

  async stop(): Promise<void> {
    this.onAck = undefined;
  }
}
