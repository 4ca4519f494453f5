/** A small catalog and a context builder for the guard tests: every default passes every guard. */
import type { CommandSpec, CommandsConfig } from '../../../src/config/types.js';
import { defaultCommandPolicy } from '../../../src/config/load.js';
import type { CommandRequest, Principal, Verdict } from '../../../src/commands/model.js';
import {
  lookupCommand,
  type GuardedAsset,
  type GuardContext,
} from '../../../src/commands/guards/context.js';
import { compileCatalog } from '../../../src/commands/guards/params.js';

export const nowMs = 1_700_000_000_000;

const setSpeed: CommandSpec = {
  risk: 'medium',
  params: {
    type: 'object',
    properties: { value: { type: 'number', minimum: 0, maximum: 2000 } },
    required: ['value'],
    additionalProperties: false,
  },
  sets: { property: 'speed', param: 'value' },
  envelope: {
    min: 0,
    max: 1500,
    maxStep: 300,
    forbiddenStates: [{ property: 'mode', values: ['maintenance', 'locked'] }],
  },
  simulation: { kind: 'ramp', overshootFraction: 0.2 },
  cooldownMs: 10_000,
  rateLimit: { count: 3, perMs: 60_000 },
};

const setMode: CommandSpec = {
  risk: 'low',
  params: {
    type: 'object',
    properties: { mode: { enum: ['auto', 'manual', 'maintenance'] } },
    required: ['mode'],
  },
  sets: { property: 'mode', param: 'mode' },
  envelope: {},
  simulation: { kind: 'set' },
};

const setPressure: CommandSpec = {
  risk: 'high',
  params: { type: 'object', properties: { bar: { type: 'number' } }, required: ['bar'] },
  sets: { property: 'pressure', param: 'bar' },
  envelope: { min: 0, max: 10 },
  simulation: { kind: 'set' },
};

export const testCommandsConfig: CommandsConfig = {
  enabled: true,
  ledgerPath: ':memory:',
  devices: 'simulated',
  auth: { tokens: [] },
  ...defaultCommandPolicy,
  approvalWithinMs: 900_000,
  maxStateAgeMs: 60_000,
  ackTimeoutMs: 30_000,
  convergenceTimeoutMs: 120_000,
  catalog: { pump: { setSpeed, setMode, setPressure } },
};

const validators = compileCatalog(testCommandsConfig.catalog);

export const alice: Principal = { user: 'alice', roles: ['engineer'], via: 'token', kind: 'user' };
export const bob: Principal = {
  user: 'bob',
  roles: ['engineer'],
  via: 'grafana-proxy',
  kind: 'user',
};

export const baseAsset: GuardedAsset = {
  id: 'pump-1',
  assetClass: 'pump',
  reported: { value: 1000, sourceTimeMs: nowMs - 5_000 },
  properties: { speed: 1000, mode: 'auto', pressure: 4 },
  stale: false,
  diverged: false,
  stateVersion: 7,
};

export interface ContextOverrides extends Partial<Omit<GuardContext, 'request' | 'asset'>> {
  request?: Partial<CommandRequest>;
  /** null: the asset is unknown. */
  asset?: Partial<GuardedAsset> | null;
  principal?: Principal | Verdict;
}

/**
 * A context in which every guard passes (setSpeed 1000 → 1200 by an engineer), changed by the
 * overrides. The spec and validator follow the request's name unless given.
 */
export function guardContext(overrides: ContextOverrides = {}): GuardContext {
  const request: CommandRequest = {
    idempotencyKey: 'key-1',
    assetId: 'pump-1',
    name: 'setSpeed',
    params: { value: 1200 },
    reason: 'test',
    ...overrides.request,
  };
  const asset = overrides.asset === null ? undefined : { ...baseAsset, ...overrides.asset };
  const config = overrides.config ?? testCommandsConfig;
  const cls = asset?.assetClass ?? 'pump';
  return {
    principal: alice,
    config,
    spec: lookupCommand(config.catalog, cls, request.name),
    validateParams: validators(cls, request.name),
    killSwitch: { global: false, classes: [] },
    nowMs,
    inFlight: [],
    recentAcceptedMs: [],
    ...overrides,
    request,
    asset,
  };
}
