/**
 * The guards, one small pure function each, in the architecture's order. A guard that cannot do
 * its check because something earlier is missing (unknown asset or command, unusable params)
 * fails with that earlier code rather than passing: in a dry run every guard runs, and none may
 * vouch for what it never looked at.
 *
 * The unknown asset is the schema guard's refusal (`unknown_asset`), checked before the command
 * and its params: `guardOrder` has no separate step for it, and authorization comes first so a
 * caller without rights learns nothing about which assets exist.
 */
import type { CommandSpec } from '../../config/types.js';
import type { PropertyValue } from '../../model.js';
import { authorize, isPrincipal } from '../auth.js';
import type { guardNames } from '../../../../contracts/api.js';
import type { GuardName, Verdict } from '../model.js';
import type { GuardedAsset, GuardContext } from './context.js';
import { failed, passed, retryAfter, sameUser, seconds, show } from './format.js';

export type Guard = (ctx: GuardContext) => Verdict;

export const authentication: Guard = (ctx) => {
  const who = ctx.principal;
  if (isPrincipal(who))
    return passed('authentication', `authenticated as ${who.user} (${who.via})`);
  return { ...who, guard: 'authentication', pass: false, code: who.code ?? 'unauthenticated' };
};

export const authorization: Guard = (ctx) => {
  if (!isPrincipal(ctx.principal)) {
    return failed(
      'authorization',
      'unauthenticated',
      'cannot check permissions: not authenticated',
    );
  }
  return authorize(ctx.principal, 'submit', ctx.spec?.risk, ctx.config);
};

export const schema: Guard = ({ request, asset, spec, validateParams, config }) => {
  if (!asset) {
    return failed(
      'schema',
      'unknown_asset',
      `asset ${show(request.assetId)} is not known to the twin`,
    );
  }
  if (!spec) {
    const names = Object.hasOwn(config.catalog, asset.assetClass)
      ? Object.keys(config.catalog[asset.assetClass] as object)
      : [];
    const known =
      names.length === 0
        ? 'it has no commands'
        : `its commands are ${names.slice(0, 20).join(', ')}${names.length > 20 ? ', …' : ''}`;
    return failed(
      'schema',
      'unknown_command',
      `asset class ${asset.assetClass} has no command ${show(request.name)}; ${known}`,
    );
  }
  // Fail closed: a missing validator is a wiring bug, never a reason to skip the check.
  if (!validateParams) {
    return failed('schema', 'invalid_params', `no params schema is loaded for ${request.name}`);
  }
  const problems = validateParams(request.params);
  if (problems.length > 0) {
    return failed('schema', 'invalid_params', `invalid parameters: ${problems.join('; ')}`);
  }
  return passed('schema', `the parameters of ${request.name} are valid`);
};

export const killSwitch: Guard = ({ killSwitch: engaged, asset }) => {
  if (engaged.global) {
    return failed(
      'kill_switch',
      'kill_switch_engaged',
      'the global kill switch is engaged: no command is accepted until it is released',
    );
  }
  if (asset && engaged.classes.includes(asset.assetClass)) {
    return failed(
      'kill_switch',
      'kill_switch_engaged',
      `the kill switch for asset class ${asset.assetClass} is engaged: no command to it is accepted until it is released`,
    );
  }
  return passed('kill_switch', 'no kill switch is engaged');
};

export const safetyEnvelope: Guard = (ctx) => {
  const g = 'safety_envelope';
  const known = assetAndSpec(g, ctx);
  if (!('spec' in known)) return known;
  const { asset, spec } = known;
  const value = commandedValue(g, ctx, spec);
  if (!isValue(value)) return value;
  const { min, max, maxStep, forbiddenStates = [] } = spec.envelope;
  const property = spec.sets.property;
  const checked: string[] = [];
  if (min !== undefined || max !== undefined || maxStep !== undefined) {
    if (typeof value !== 'number') {
      return failed(g, 'invalid_params', `${property} must be a number, got ${show(value)}`);
    }
    if (min !== undefined && value < min) {
      return failed(g, 'out_of_bounds', `${property} ${show(value)} is below the minimum ${min}`);
    }
    if (max !== undefined && value > max) {
      return failed(g, 'out_of_bounds', `${property} ${show(value)} is above the maximum ${max}`);
    }
    if (min !== undefined || max !== undefined) {
      checked.push(`within [${min ?? '-∞'}, ${max ?? '∞'}]`);
    }
    if (maxStep !== undefined) {
      const reported = asset.reported?.value;
      // Without a number to step from, the size of the step is unknown: refuse, do not guess.
      if (typeof reported !== 'number') {
        const why =
          reported === undefined ? 'has no reported value yet' : `is reported as ${show(reported)}`;
        return failed(
          g,
          'step_too_large',
          `${property} ${why}, so the step to ${show(value)} cannot be checked against the maximum step ${maxStep}`,
        );
      }
      const step = Math.abs(value - reported);
      if (step > maxStep) {
        return failed(
          g,
          'step_too_large',
          `changing ${property} from ${show(reported)} to ${show(value)} is a step of ${show(step)}, more than the maximum step ${maxStep}; go in smaller steps`,
        );
      }
      checked.push(`a step of ${show(step)} from ${show(reported)} (maximum ${maxStep})`);
    }
  }
  for (const state of forbiddenStates) {
    const values = state.values.map(show).join(' or ');
    // A state we never heard of cannot be ruled out: refuse rather than assume it is safe.
    if (!Object.hasOwn(asset.properties, state.property)) {
      return failed(
        g,
        'forbidden_state',
        `${state.property} has no reported value, so it cannot be ruled out that it is ${values}, in which ${ctx.request.name} is refused`,
      );
    }
    const current = asset.properties[state.property] as PropertyValue;
    if (state.values.includes(current)) {
      return failed(
        g,
        'forbidden_state',
        `${state.property} is ${show(current)}, a state in which ${ctx.request.name} is refused`,
      );
    }
  }
  if (forbiddenStates.length > 0) checked.push('no forbidden state');
  const detail = checked.length > 0 ? `: ${checked.join(', ')}` : '';
  return passed(g, `${property} ${show(value)} is inside the safety envelope${detail}`);
};

export const freshness: Guard = (ctx) => {
  const g = 'freshness';
  const known = assetAndSpec(g, ctx);
  if (!('spec' in known)) return known;
  const { asset, spec } = known;
  const property = spec.sets.property;
  if (asset.stale) {
    return failed(
      g,
      'stale_twin',
      `asset ${asset.id} is stale: nothing has been heard from it physically within its class's staleness limit`,
    );
  }
  if (!asset.reported) {
    return failed(
      g,
      'stale_twin',
      `no physical value of ${property} has been reported, so the twin cannot vouch for it`,
    );
  }
  const ageMs = ctx.nowMs - asset.reported.sourceTimeMs;
  const limit = ctx.config.maxStateAgeMs;
  if (ageMs > limit) {
    return failed(
      g,
      'stale_twin',
      `the newest reported ${property} is ${seconds(ageMs)} old, older than the ${seconds(limit)} limit`,
    );
  }
  return passed(
    g,
    `the newest reported ${property} is ${seconds(Math.max(0, ageMs))} old (limit ${seconds(limit)})`,
  );
};

export const divergence: Guard = (ctx) => {
  const g = 'divergence';
  if (!ctx.asset) return unknownAsset(g, ctx);
  if (ctx.asset.diverged) {
    return failed(
      g,
      'diverged_twin',
      `the twin of ${ctx.asset.id} disagrees with the physical asset beyond tolerance for longer than the grace period; resolve that before commanding it`,
    );
  }
  return passed(g, `the twin of ${ctx.asset.id} agrees with the physical asset`);
};

export const simulation: Guard = (ctx) => {
  const g = 'simulation';
  const known = assetAndSpec(g, ctx);
  if (!('spec' in known)) return known;
  const { asset, spec } = known;
  const value = commandedValue(g, ctx, spec);
  if (!isValue(value)) return value;
  const property = spec.sets.property;
  const { min, max } = spec.envelope;
  let predicted: PropertyValue = value;
  let how = `setting ${property} to ${show(value)} leaves it at ${show(value)}`;
  if (spec.simulation.kind === 'ramp') {
    const reported = asset.reported?.value;
    if (typeof value !== 'number') {
      return failed(g, 'invalid_params', `a ramp needs a number, got ${show(value)}`);
    }
    if (typeof reported !== 'number') {
      return failed(
        g,
        'simulation_out_of_envelope',
        `the ramp of ${property} cannot be predicted: there is no reported number to ramp from`,
      );
    }
    // A ramp overshoots its target by a fraction of the change before settling.
    predicted = value + spec.simulation.overshootFraction * (value - reported);
    how = `ramping ${property} from ${show(reported)} to ${show(value)} is predicted to peak at ${show(predicted)}`;
  }
  if (min === undefined && max === undefined)
    return passed(g, `${how}; the envelope has no bounds`);
  if (typeof predicted !== 'number') {
    return failed(g, 'invalid_params', `${property} must be a number, got ${show(predicted)}`);
  }
  if (min !== undefined && predicted < min) {
    return failed(g, 'simulation_out_of_envelope', `${how}, below the minimum ${min}`);
  }
  if (max !== undefined && predicted > max) {
    return failed(g, 'simulation_out_of_envelope', `${how}, above the maximum ${max}`);
  }
  return passed(g, `${how}, inside [${min ?? '-∞'}, ${max ?? '∞'}]`);
};

export const precondition: Guard = (ctx) => {
  const g = 'precondition';
  const expected = ctx.request.expectedVersion;
  if (expected === undefined) return passed(g, 'no expected state version was given');
  if (!ctx.asset) return unknownAsset(g, ctx);
  const actual = ctx.asset.stateVersion;
  if (actual !== expected) {
    return failed(
      g,
      'version_mismatch',
      `you saw version ${show(expected)} of ${ctx.asset.id}, but it is now at ${actual === null ? 'no version' : `version ${actual}`}; review its current state and submit again`,
    );
  }
  return passed(g, `${ctx.asset.id} is still at version ${actual}`);
};

export const conflict: Guard = ({ inFlight, request }) => {
  const [other] = inFlight;
  if (other) {
    const more = inFlight.length > 1 ? ` (and ${inFlight.length - 1} more)` : '';
    return failed(
      'conflict',
      'command_in_flight',
      `command ${other.id} (${other.name}, ${other.status}) is still in flight on ${show(request.assetId)}${more}; wait until it is acked, fails or times out`,
    );
  }
  return passed('conflict', `no other command is in flight on ${show(request.assetId)}`);
};

export const rateLimit: Guard = (ctx) => {
  const g = 'rate_limit';
  if (!ctx.spec) return unknownCommand(g, ctx);
  const { cooldownMs, rateLimit: limit } = ctx.spec;
  const { nowMs, recentAcceptedMs: times, request } = ctx;
  const what = `${request.name} on ${show(request.assetId)}`;
  if (cooldownMs !== undefined && times.length > 0) {
    const last = times.reduce((a, b) => Math.max(a, b));
    const readyAt = last + cooldownMs;
    if (readyAt > nowMs) {
      return {
        ...failed(
          g,
          'cooldown',
          `${what} was accepted ${seconds(Math.max(0, nowMs - last))} ago and has a cooldown of ${seconds(cooldownMs)}; ${retryAfter(readyAt - nowMs, readyAt)}`,
        ),
        retryAfterMs: readyAt - nowMs,
      };
    }
  }
  if (limit) {
    const inWindow = times.filter((t) => t > nowMs - limit.perMs).sort((a, b) => a - b);
    if (limit.count < 1) {
      return failed(g, 'rate_limited', `the rate limit of ${request.name} allows no commands`);
    }
    if (inWindow.length >= limit.count) {
      // Below the limit again once enough of the window's commands have aged out of it.
      const readyAt = (inWindow[inWindow.length - limit.count] as number) + limit.perMs;
      return {
        ...failed(
          g,
          'rate_limited',
          `${what} was accepted ${inWindow.length} times in the last ${seconds(limit.perMs)}, the limit is ${limit.count}; ${retryAfter(readyAt - nowMs, readyAt)}`,
        ),
        retryAfterMs: readyAt - nowMs,
      };
    }
  }
  return passed(g, `${what} is within its rate limit and cooldown`);
};

export const approval: Guard = (ctx) => {
  const g = 'approval';
  if (!ctx.spec) return unknownCommand(g, ctx);
  const { risk } = ctx.spec;
  if (!ctx.config.approvalFor.includes(risk))
    return passed(g, `${risk}-risk commands need no approval`);
  if (ctx.approval) {
    if (isPrincipal(ctx.principal) && sameUser(ctx.approval.approvedBy, ctx.principal.user)) {
      return failed(g, 'self_approval', `${ctx.principal.user} cannot approve their own command`);
    }
    return passed(g, `approved by ${ctx.approval.approvedBy}`);
  }
  const approvers = ctx.config.approve[risk] ?? [];
  const who =
    approvers.length > 0
      ? `a second person with role ${approvers.join(' or ')}`
      : 'a second person';
  // Not a refusal: the chain holds the command until someone else approves it.
  return {
    guard: g,
    pass: false,
    code: 'approval_required',
    message: `${ctx.request.name} is ${risk}-risk: it waits for approval by ${who}`,
  };
};

/** The chain as `runGuardChain` runs it: the contracts' `guardNames`, in their order. */
const chain = [
  ['authentication', authentication],
  ['authorization', authorization],
  ['schema', schema],
  ['kill_switch', killSwitch],
  ['safety_envelope', safetyEnvelope],
  ['freshness', freshness],
  ['divergence', divergence],
  ['simulation', simulation],
  ['precondition', precondition],
  ['conflict', conflict],
  ['rate_limit', rateLimit],
  ['approval', approval],
] as const satisfies readonly (readonly [GuardName, Guard])[];

/** The guard names in the chain's order. */
export const guardOrder: readonly GuardName[] = chain.map(([name]) => name);

/** Every guard by name. */
export const guards = Object.fromEntries(chain) as Record<GuardName, Guard>;

// A chain whose names differ from the contracts' list, or whose order does, does not compile.
type NamesOf<T> = { [K in keyof T]: T[K] extends readonly [infer Name, Guard] ? Name : never };
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _chainIsTheContracts: Same<NamesOf<typeof chain>, typeof guardNames> = true;

function unknownAsset(guard: GuardName, ctx: GuardContext): Verdict {
  return failed(
    guard,
    'unknown_asset',
    `not checked: asset ${show(ctx.request.assetId)} is unknown`,
  );
}

function unknownCommand(guard: GuardName, ctx: GuardContext): Verdict {
  return failed(
    guard,
    'unknown_command',
    `not checked: command ${show(ctx.request.name)} is unknown`,
  );
}

function assetAndSpec(
  guard: GuardName,
  ctx: GuardContext,
): { asset: GuardedAsset; spec: CommandSpec } | Verdict {
  if (!ctx.asset) return unknownAsset(guard, ctx);
  if (!ctx.spec) return unknownCommand(guard, ctx);
  return { asset: ctx.asset, spec: ctx.spec };
}

/** The new value of the property, from the param the catalog names. */
function commandedValue(
  guard: GuardName,
  ctx: GuardContext,
  spec: CommandSpec,
): PropertyValue | Verdict {
  const params: unknown = ctx.request.params;
  const name = spec.sets.param;
  const value =
    typeof params === 'object' && params !== null && Object.hasOwn(params, name)
      ? (params as Record<string, unknown>)[name]
      : undefined;
  if (
    (typeof value === 'number' && Number.isFinite(value)) ||
    typeof value === 'string' ||
    typeof value === 'boolean'
  ) {
    return value;
  }
  return failed(
    guard,
    'invalid_params',
    `not checked: params.${name} (the new ${spec.sets.property}) is missing or not a finite number, string or boolean`,
  );
}

function isValue(value: PropertyValue | Verdict): value is PropertyValue {
  return typeof value !== 'object';
}
