/**
 * The wire contracts (contracts/) against what the exporter serializes and validates. The type
 * assertions below are compiled by `npx tsc -b` (this file is in the test project): an exporter
 * type that drifts from its contract is a compile error, before any test runs. The tests check
 * what types cannot: the published JSON Schema of the command request, and the constants.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type * as api from '../../contracts/api.js';
import { guardNames } from '../../contracts/api.js';
import type * as wire from '../../contracts/commands.js';
import { headers, topics } from '../../contracts/commands.js';
import type { CommandsConfig } from '../../exporter/src/config/types.js';
import type { CommandLedger } from '../../exporter/src/commands/ledger/ledger.js';
import { guardOrder } from '../../exporter/src/commands/guards/index.js';
import { risks, type CommandRequest } from '../../exporter/src/commands/model.js';
import type { CommandMessage } from '../../exporter/src/commands/transport.js';
import type { TwinEngine } from '../../exporter/src/twin/engine.js';
import { repoRoot } from '../../tools/paths.js';

// ---- type-level: a drift fails `tsc -b` ----

/** Exactly the same type (not merely assignable): an extra field on either side is a drift. */
type Equals<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | undefined {
  return undefined;
}

// The twin API: what its handlers (exporter/src/api/twin.ts) return.
assertType<Equals<ReturnType<TwinEngine['listAssets']>, api.AssetPage>>();
assertType<Equals<ReturnType<TwinEngine['asset']>, api.AssetView | undefined>>();
assertType<Equals<ReturnType<TwinEngine['history']>, api.HistoryEntry[] | undefined>>();
assertType<Equals<ReturnType<TwinEngine['predictions']>[number], api.ScoredPrediction>>();

// The command API: what its handlers (exporter/src/api/commands.ts) answer with, via the gateway.
assertType<Equals<CommandRequest, api.CommandRequest>>();
assertType<Equals<ReturnType<CommandLedger['get']>, api.CommandRecord | undefined>>();
assertType<Equals<ReturnType<CommandLedger['list']>, api.CommandRecord[]>>();
assertType<Equals<ReturnType<CommandLedger['killSwitches']>[number], api.KillSwitchState>>();
assertType<Equals<ReturnType<CommandLedger['readAudit']>[number], api.AuditEntry>>();
assertType<Equals<CommandsConfig['catalog'], api.Catalog>>();
assertType<Equals<(typeof risks)[number], api.Risk>>();
assertType<Equals<(typeof guardOrder)[number], api.GuardName>>();

// The command messages: the exporter's, less the header it carries out of the value.
assertType<Equals<keyof Omit<CommandMessage, 'traceparent'>, keyof wire.CommandMessage>>();
assertType<
  Equals<Omit<CommandMessage, 'traceparent' | 'value'>, Omit<wire.CommandMessage, 'value'>>
>();

// ---- the published JSON Schema of POST /api/v1/commands ----

type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
type JsonType<V> = V extends string
  ? 'string'
  : V extends boolean
    ? 'boolean'
    : V extends number
      ? 'integer' | 'number'
      : 'object';

/**
 * Every field of the contract's CommandRequest, whether it is required and its JSON type: written
 * out here, and checked against the contract by the type (a field added, removed or made optional
 * there fails to compile until it is added here), then against the schema at run time.
 */
const requestFields: {
  [K in keyof api.CommandRequest]-?: {
    required: K extends RequiredKeys<api.CommandRequest> ? true : false;
    type: JsonType<NonNullable<api.CommandRequest[K]>>;
  };
} = {
  idempotencyKey: { required: true, type: 'string' },
  assetId: { required: true, type: 'string' },
  name: { required: true, type: 'string' },
  params: { required: true, type: 'object' },
  expectedVersion: { required: false, type: 'integer' },
  reason: { required: true, type: 'string' },
  dryRun: { required: false, type: 'boolean' },
};

interface ObjectSchema {
  type: string;
  additionalProperties: boolean;
  required: string[];
  properties: Record<string, { type: string }>;
}

describe('the wire contracts', () => {
  const schema = JSON.parse(
    readFileSync(join(repoRoot, 'exporter', 'schemas', 'command-request.schema.json'), 'utf8'),
  ) as ObjectSchema;

  it('the command request schema has exactly the contract’s fields, none extra', () => {
    expect(schema.type).toBe('object');
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(requestFields).sort());
  });

  it('the command request schema requires exactly the contract’s required fields', () => {
    const required = Object.entries(requestFields)
      .filter(([, field]) => field.required)
      .map(([name]) => name);
    expect([...schema.required].sort()).toEqual(required.sort());
  });

  it('the command request schema types each field as the contract does', () => {
    for (const [name, field] of Object.entries(requestFields)) {
      expect({ name, type: schema.properties[name]?.type }).toEqual({ name, type: field.type });
    }
  });

  it('the exporter’s guard order is the contract’s', () => {
    expect(guardOrder).toEqual(guardNames);
  });

  it('the topics and headers are the ones the exporter and the agent use', () => {
    expect(topics).toEqual({ commands: 'twin.commands', acks: 'twin.commands.ack' });
    expect(headers).toEqual({ commandId: 'twin.command.id', traceparent: 'traceparent' });
  });
});
