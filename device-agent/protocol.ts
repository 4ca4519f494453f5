/**
 * The wire format between the exporter's command dispatch and the devices, over Kafka (see the
 * architecture page, "Guarded commands"). Commands and acks are JSON values keyed by asset id, so
 * one asset's messages stay in order on one partition.
 */
import type { Message } from 'kafkajs';
import type { PropertyValue } from '../contracts/api.js';
import { headers, topics, type CommandAck, type CommandMessage } from '../contracts/commands.js';

// The messages, topics and headers are the contracts' (contracts/commands.ts).
export type { CommandAck, CommandMessage, PropertyValue };

export const commandsTopic = topics.commands;
export const acksTopic = topics.acks;
export const commandIdHeader = headers.commandId;
export const traceparentHeader = headers.traceparent;

/** A command message read off the wire: the command, or why it is not one. */
export type ReadCommand =
  | { command: CommandMessage; error?: undefined; commandId?: undefined; assetId?: undefined }
  | { command?: undefined; error: string; commandId?: string; assetId?: string };

/** Kafka headers as strings (kafkajs gives Buffers, possibly arrays). */
export function headersOf(headers: Message['headers'] | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) result[name] = first.toString();
  }
  return result;
}

/**
 * Checks a command message strictly: this agent is the reference the exporter is tested against,
 * so a malformed command must come back as a rejection naming the problem, not be guessed at.
 * The ids fall back to the header and key so even a malformed command can be rejected.
 */
export function readCommand(
  key: string | undefined,
  headers: Record<string, string>,
  value: Buffer | null,
): ReadCommand {
  const headerId = headers[commandIdHeader];
  let body: unknown;
  try {
    body = JSON.parse(value?.toString('utf8') ?? '');
  } catch {
    return { error: 'value is not JSON', commandId: headerId, assetId: key };
  }
  return checkCommand(body, { key, commandId: headerId });
}

/**
 * Checks a command's body, and the Kafka key and `twin.command.id` header it came with against
 * it; a command handed over in process has no `envelope`, so only its body is checked.
 */
export function checkCommand(
  body: unknown,
  envelope?: { key: string | undefined; commandId: string | undefined },
): ReadCommand {
  const headerId = envelope?.commandId;
  const key = envelope?.key;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { error: 'value is not a JSON object', commandId: headerId, assetId: key };
  }
  const c = body as Record<string, unknown>;
  const commandId = typeof c.commandId === 'string' && c.commandId ? c.commandId : headerId;
  const assetId = typeof c.assetId === 'string' && c.assetId ? c.assetId : key;
  const problems: string[] = [];
  for (const field of ['commandId', 'assetId', 'assetClass', 'name', 'property'] as const) {
    if (typeof c[field] !== 'string' || c[field] === '') problems.push(`${field} must be a string`);
  }
  const v = c.value;
  if (!(typeof v === 'string' || typeof v === 'boolean' || Number.isFinite(v))) {
    problems.push('value must be a finite number, a string or a boolean');
  }
  if (typeof c.params !== 'object' || c.params === null || Array.isArray(c.params)) {
    problems.push('params must be an object');
  }
  if (!Number.isFinite(c.issuedAtMs)) problems.push('issuedAtMs must be a number');
  if (envelope) {
    if (headerId === undefined) problems.push(`header ${commandIdHeader} is missing`);
    else if (headerId !== c.commandId)
      problems.push(`header ${commandIdHeader} is not the commandId`);
    if (key !== c.assetId) problems.push('the message key is not the assetId');
  }
  if (problems.length > 0) return { error: problems.join('; '), commandId, assetId };
  return { command: body as CommandMessage };
}

/** A command as the exporter sends it; for tests and tools that stand in for the exporter. */
export function commandMessage(command: CommandMessage, traceparent?: string): Message {
  return {
    key: command.assetId,
    value: JSON.stringify(command),
    headers: {
      [commandIdHeader]: command.commandId,
      ...(traceparent !== undefined && { [traceparentHeader]: traceparent }),
    },
  };
}

/** An ack; the command's traceparent is echoed so the device's answer can join its trace. */
export function ackMessage(ack: CommandAck, traceparent?: string): Message {
  return {
    key: ack.assetId,
    value: JSON.stringify(ack),
    headers: {
      [commandIdHeader]: ack.commandId,
      ...(traceparent !== undefined && { [traceparentHeader]: traceparent }),
    },
  };
}
