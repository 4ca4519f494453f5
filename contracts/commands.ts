/**
 * The messages between the exporter's command dispatch and the devices, over Kafka (see the
 * architecture page, "Guarded commands"): commands on one topic, acks on another, both JSON values
 * keyed by asset id so one asset's messages stay in order on one partition.
 *
 * Types and `as const` constants only: the exporter, the test agent and the plugin import these.
 */
import type { PropertyValue } from './api.js';

/** The Kafka topics and headers of command dispatch. */
export const topics = {
  /** The exporter produces commands here. */
  commands: 'twin.commands',
  /** Devices produce acks here. */
  acks: 'twin.commands.ack',
} as const;

export type CommandsTopic = (typeof topics)['commands'];
export type AcksTopic = (typeof topics)['acks'];

export const headers = {
  /** Every command (and ack) carries its command id in this header. */
  commandId: 'twin.command.id',
  /** The dispatch span's W3C context; a device echoes it on its acks. */
  traceparent: 'traceparent',
} as const;

/** What the exporter produces on `twin.commands` (key: the asset id). */
export interface CommandMessage {
  commandId: string;
  assetId: string;
  assetClass: string;
  /** The catalog command, e.g. `setSpeed`. */
  name: string;
  /** The twin property the command sets, and the value it sets it to. */
  property: string;
  value: PropertyValue;
  params: Record<string, unknown>;
  /** When the exporter dispatched it, in ms since the epoch. */
  issuedAtMs: number;
}

/** What a device reports on `twin.commands.ack` (key: the asset id). */
export interface CommandAck {
  commandId: string;
  assetId: string;
  status: 'accepted' | 'rejected' | 'done';
  message?: string;
  /** The asset's reported value after applying, when the device knows it. */
  reportedValue?: PropertyValue;
  timeUnixNano?: string;
}
