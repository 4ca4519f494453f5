/**
 * Failure modes: how a simulated asset answers a command. Set per asset id, per asset class, or
 * for every asset (`*`); the asset id wins over its class, and the class over `*`.
 */
import { parseDuration } from '../simulator/index.js';

export type FailureMode = 'ok' | 'slow' | 'refuse' | 'ack_without_apply' | 'silent' | 'crash';

export const failureModes: readonly FailureMode[] = [
  'ok',
  'slow',
  'refuse',
  'ack_without_apply',
  'silent',
  'crash',
];

export interface ModeSetting {
  mode: FailureMode;
  /** `slow`: how long to wait between `accepted` and applying (default 2000 ms). */
  delayMs?: number;
  /** `refuse`: the message of the `rejected` ack. */
  reason?: string;
}

/** A mode by name, or with its parameter. */
export type ModeSpec = FailureMode | ModeSetting;

/** The target that matches every asset. */
export const everyAsset = '*';
export const defaultSlowDelayMs = 2_000;
export const defaultRefuseReason = 'refused by the device';

export function modeSetting(spec: ModeSpec): ModeSetting {
  const setting = typeof spec === 'string' ? { mode: spec } : spec;
  if (!failureModes.includes(setting.mode)) {
    throw new Error(`unknown failure mode "${setting.mode}": use ${failureModes.join(', ')}`);
  }
  if (setting.delayMs !== undefined && !(setting.delayMs >= 0)) {
    throw new Error(`delayMs must not be negative, got ${setting.delayMs}`);
  }
  return { ...setting };
}

export class ModeTable {
  private readonly settings = new Map<string, ModeSetting>();

  constructor(modes: Record<string, ModeSpec> = {}) {
    for (const [target, spec] of Object.entries(modes)) this.set(target, spec);
  }

  set(target: string, spec: ModeSpec): void {
    this.settings.set(target, modeSetting(spec));
  }

  resolve(assetId: string | undefined, assetClass: string | undefined): ModeSetting {
    return (
      (assetId !== undefined ? this.settings.get(assetId) : undefined) ??
      (assetClass !== undefined ? this.settings.get(assetClass) : undefined) ??
      this.settings.get(everyAsset) ?? { mode: 'ok' }
    );
  }
}

/**
 * The CLI form `mode[=param][:target,…]`: `refuse:pump-2`, `slow=5s:pump,valve-1`,
 * `refuse=interlock engaged:valve`, `silent` (every asset). The param is slow's delay or
 * refuse's reason.
 */
export function parseModeArg(text: string): { target: string; setting: ModeSetting }[] {
  const match = /^([a-z_]+)(?:=([^:]+))?(?::(.+))?$/.exec(text.trim());
  if (!match) throw new Error(`bad mode "${text}": use mode[=param][:target,…]`);
  const [, mode, param, targets] = match;
  let setting = modeSetting(mode as FailureMode);
  if (param !== undefined) {
    if (setting.mode === 'slow') setting = { ...setting, delayMs: parseDuration(param) };
    else if (setting.mode === 'refuse') setting = { ...setting, reason: param };
    else throw new Error(`mode ${setting.mode} takes no parameter: "${text}"`);
  }
  const list = targets ? targets.split(',').map((t) => t.trim()) : [everyAsset];
  return list.map((target) => ({ target, setting }));
}

/**
 * Several CLI forms in one string, separated by spaces, as an environment variable carries them:
 * `refuse=interlock engaged:valve slow=3s:pump`. A space starts a new form only before a mode
 * name, so a refuse reason may contain spaces. A later form for the same target wins.
 */
export function parseModeList(text: string): Record<string, ModeSetting> {
  const next = new RegExp(`\\s+(?=(?:${failureModes.join('|')})(?:[=:]|\\s|$))`);
  const modes: Record<string, ModeSetting> = {};
  for (const form of text.trim().split(next)) {
    if (form === '') continue;
    for (const { target, setting } of parseModeArg(form)) {
      // `refuse:pump-2 bogus:valve` would otherwise target an asset called "pump-2 bogus:valve".
      if (/\s/.test(target)) throw new Error(`bad mode "${form}": is "${target}" a mistyped mode?`);
      modes[target] = setting;
    }
  }
  return modes;
}
