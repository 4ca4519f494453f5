/**
 * Declared and quarantined names. Asset classes and properties arrive in data, become metric
 * labels and per-class tables, so they are bounded; but bounds that fill first-come let junk sent
 * once lock real names out. So the names the configuration declares are always held, and the
 * others share a bounded quarantine that evicts its least recently seen name to make room.
 * Whether a name is declared is decided from the configuration in force, never stored.
 */
import { defaultQuarantine } from '../config/load.js';
import type { CommandSpec, QuarantineConfig, StateConfig } from '../config/types.js';
import type { ClassState, PropertySpec, TwinEngineConfig } from './state.js';

/** What the configuration declares, as sets: a lookup when a name is first seen is O(1). */
export interface DeclaredNames {
  classes: ReadonlySet<string>;
  /** Properties declared for every class (rules that name no class). */
  everyClass: ReadonlySet<string>;
  byClass: ReadonlyMap<string, ReadonlySet<string>>;
}

/**
 * The quarantine's bounds. A configuration an earlier version stored (a checkpoint's, a journal's)
 * has none, or not every one: the defaults fill in.
 */
export function quarantineLimits(state: StateConfig): QuarantineConfig {
  return { ...defaultQuarantine, ...state.quarantine };
}

/**
 * The declared names: classes with a freshness override, the classes and properties of
 * divergence rules, the properties of prediction rules, and `state.declared` (where the command
 * catalog's classes and properties are added, see `withCatalog`). A property of a rule without a
 * class is declared for every class.
 */
export function declaredNames(config: TwinEngineConfig): DeclaredNames {
  const classes = new Set<string>(Object.keys(config.sli.freshness.classes));
  const everyClass = new Set<string>();
  const byClass = new Map<string, Set<string>>();
  const declare = (assetClass: string, property?: string) => {
    classes.add(assetClass);
    if (property === undefined) return;
    let properties = byClass.get(assetClass);
    if (!properties) byClass.set(assetClass, (properties = new Set()));
    properties.add(property);
  };
  for (const rule of config.sli.divergence.rules) {
    if (rule.assetClass === undefined) everyClass.add(rule.property);
    else declare(rule.assetClass, rule.property);
  }
  for (const rule of config.sli.prediction.rules) everyClass.add(rule.property);
  for (const [assetClass, properties] of Object.entries(config.state.declared ?? {})) {
    declare(assetClass);
    for (const property of properties) declare(assetClass, property);
  }
  return { classes, everyClass, byClass };
}

export function isDeclaredProperty(
  declared: DeclaredNames,
  assetClass: string,
  property: string,
): boolean {
  return (
    declared.everyClass.has(property) || declared.byClass.get(assetClass)?.has(property) === true
  );
}

/** The classes of the command catalog and the properties their commands set, as declarations. */
export function catalogDeclarations(
  catalog: Record<string, Record<string, Pick<CommandSpec, 'sets'>>>,
): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(catalog).map(([assetClass, commands]) => [
      assetClass,
      [...new Set(Object.values(commands).map((command) => command.sets.property))],
    ]),
  );
}

/**
 * `state` with more declarations merged into `state.declared` (the same object when there are
 * none, so a configuration without a catalog is stored as it was written).
 */
export function withDeclared(state: StateConfig, more: Record<string, string[]>): StateConfig {
  if (Object.keys(more).length === 0) return state;
  const declared: Record<string, string[]> = { ...state.declared };
  for (const [assetClass, properties] of Object.entries(more)) {
    declared[assetClass] = [...new Set([...(declared[assetClass] ?? []), ...properties])];
  }
  return { ...state, declared };
}

/**
 * The least recently seen of `names` that `eligible` admits: the smallest last-seen time, the
 * first seen among equals (so a restore, which keeps the order, picks the same). O(names), run
 * only when a new name finds the quarantine full.
 */
export function leastRecent<T extends { lastSeenMs: number }>(
  names: Iterable<T>,
  eligible: (name: T) => boolean,
): T | undefined {
  let oldest: T | undefined;
  for (const name of names) {
    if (eligible(name) && (oldest === undefined || name.lastSeenMs < oldest.lastSeenMs)) {
      oldest = name;
    }
  }
  return oldest;
}

/**
 * The least recently seen of the quarantined properties of every class (spec → its class). Among
 * equal last-seen times the first admitted, then the smallest class and property name: the choice
 * must not depend on the map's order, which a restore (class by class) does not keep. O(entries),
 * run only when a new name finds the quarantine full.
 */
export function leastRecentProperty(
  quarantined: ReadonlyMap<PropertySpec, ClassState>,
): PropertySpec | undefined {
  let oldest: PropertySpec | undefined;
  for (const spec of quarantined.keys()) {
    if (oldest === undefined || seenBefore(spec, oldest, quarantined)) oldest = spec;
  }
  return oldest;
}

function seenBefore(
  spec: PropertySpec,
  than: PropertySpec,
  classes: ReadonlyMap<PropertySpec, ClassState>,
): boolean {
  if (spec.lastSeenMs !== than.lastSeenMs) return spec.lastSeenMs < than.lastSeenMs;
  if (spec.admittedSeq !== than.admittedSeq) return spec.admittedSeq < than.admittedSeq;
  const cls = classes.get(spec)?.name ?? '';
  const thanCls = classes.get(than)?.name ?? '';
  if (cls !== thanCls) return cls < thanCls;
  return spec.name < than.name;
}
