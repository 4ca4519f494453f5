/**
 * Everything the guards judge, gathered once before the chain runs, so every guard sees the same
 * moment and none reaches into the twin engine, the audit log or the clock by itself.
 */
import type { CommandSpec, CommandsConfig } from '../../config/types.js';
import type { PropertyValue } from '../../model.js';
import type { AssetView } from '../../twin/reads.js';
import type { KillSwitchState } from '../../../../contracts/api.js';
import type { CommandRequest, CommandStatus, Principal, Verdict } from '../model.js';
import type { ParamsValidator } from './params.js';

/** What the guards need to know about the asset, taken from the twin at one instant. */
export interface GuardedAsset {
  id: string;
  assetClass: string;
  /** The newest physical (reported) value of the property the command sets; null if none yet. */
  reported: { value: PropertyValue; sourceTimeMs: number } | null;
  /** Newest physical values of the asset's properties, for the forbidden-state checks. */
  properties: Record<string, PropertyValue>;
  /** The twin judges the asset stale (no physical point within its class's staleAfter). */
  stale: boolean;
  /** Some property's twin disagrees with the physical side for longer than its grace period. */
  diverged: boolean;
  /** The asset's state version, which `expectedVersion` is compared with; null if unversioned. */
  stateVersion: number | null;
}

/** The kill switches engaged now, as the guards and the dispatcher read them. */
export interface EngagedKillSwitches {
  /** Engaged for everything. */
  global: boolean;
  /** Asset classes with their own kill switch engaged. */
  classes: readonly string[];
}

/** The ledger's kill switches (engaged or released) → those engaged now. */
export function engagedKillSwitches(switches: readonly KillSwitchState[]): EngagedKillSwitches {
  const engaged = switches.filter((k) => k.engaged);
  return {
    global: engaged.some((k) => k.scope === 'global'),
    classes: engaged.flatMap((k) => (k.scope === 'global' ? [] : [k.scope.assetClass])),
  };
}

/** Whether an engaged kill switch covers commands to this class (all, when global). */
export function coveredByKillSwitch(
  engaged: EngagedKillSwitches,
  assetClass: string | undefined,
): boolean {
  return engaged.global || engaged.classes.includes(assetClass ?? '');
}

/** A command on the same asset that is accepted but not yet settled (acked, failed, timed out). */
export interface InFlightCommand {
  id: string;
  name: string;
  status: CommandStatus;
}

export interface GuardContext {
  /** The authenticated principal, or the failing verdict `authenticate` returned. */
  principal: Principal | Verdict;
  request: CommandRequest;
  config: CommandsConfig;
  /** The asset as the twin knows it; undefined: the asset is unknown (`unknown_asset`). */
  asset: GuardedAsset | undefined;
  /** The catalog entry of the asset's class for `request.name`; undefined: `unknown_command`. */
  spec: CommandSpec | undefined;
  /** The entry's compiled params schema (see `compileCatalog`). Missing with a spec: refused. */
  validateParams: ParamsValidator | undefined;
  killSwitch: EngagedKillSwitches;
  nowMs: number;
  /** Commands in flight on this asset. */
  inFlight: readonly InFlightCommand[];
  /** When (ms) commands of this name were accepted on this asset, recently (≥ the rate window). */
  recentAcceptedMs: readonly number[];
  /** Set when re-running the chain for a command a second person has approved (`checkApproval`). */
  approval?: { approvedBy: string };
}

/** The catalog entry of a class's command; own keys only, so `toString` is no command. */
export function lookupCommand(
  catalog: CommandsConfig['catalog'],
  assetClass: string,
  name: string,
): CommandSpec | undefined {
  if (!Object.hasOwn(catalog, assetClass)) return undefined;
  const commands = catalog[assetClass] as Record<string, CommandSpec>;
  return Object.hasOwn(commands, name) ? commands[name] : undefined;
}

/**
 * What the guards see of an asset, from the twin API's view of it (`readAsset` at the same `now`
 * as the chain). Values are the physical side: guards judge what the real asset reports, not what
 * the twin thinks.
 * The state version is the reported version, the one the operator saw on the asset's page.
 */
export function guardedAssetOf(view: AssetView, property: string): GuardedAsset {
  // No prototype: a property named `__proto__` is just a property.
  const properties = Object.create(null) as Record<string, PropertyValue>;
  let reported: GuardedAsset['reported'] = null;
  for (const p of view.properties) {
    if (!p.physical) continue;
    properties[p.property] = p.physical.value;
    if (p.property === property) {
      reported = { value: p.physical.value, sourceTimeMs: p.physical.sourceTimeMs };
    }
  }
  return {
    id: view.id,
    assetClass: view.assetClass,
    reported,
    properties,
    stale: view.stale,
    diverged: view.diverged,
    stateVersion: view.versions?.reportedVersion ?? null,
  };
}
