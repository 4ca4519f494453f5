/**
 * Retiring assets: how an operator tells the twin an asset is gone for good. An asset silent past
 * the retention stays dark and counts as stale (a dark site must never turn the SLIs green on its
 * own); retiring it is the decision, so it is authenticated, authorized (`commands.retire`) and
 * audited like a command, and each call is bounded.
 */
import type { CommandsConfig } from '../config/types.js';
import { authenticate, authorize, isPrincipal, type AuthRefusal, type Headers } from './auth.js';
import { unauthenticatedAnswer, type CommandAnswer } from './answer.js';
import { boundedForAudit } from './ledger/audit.js';
import type { CommandLedger } from './ledger/ledger.js';
import type { Principal } from './model.js';
import type { UnauthenticatedAttempts } from './unauthenticated.js';

/** Assets one call retires at most (an audit entry lists them all). */
export const maxRetiredPerCall = 1000;

/** The body of `POST /api/v1/assets/retire` (schemas/asset-retirement.schema.json). */
export type RetirementRequest =
  | { assets: string[]; reason: string }
  | { dark: { assetClass?: string; site?: string }; reason: string };

export interface RetirementOptions {
  config: Pick<CommandsConfig, 'auth' | 'submit' | 'approve' | 'killSwitch' | 'retire'>;
  ledger: CommandLedger;
  twin: {
    /** Retires the assets held among `ids` (journaled); resolves with those that were held. */
    retire(ids: string[]): Promise<string[]>;
    engine: { darkAssets(filter: { assetClass?: string; site?: string }): string[] };
  };
  now?: () => number;
  /** Where strangers are counted (the gateway's, so one counter and one log throttle). */
  unauthenticated?: UnauthenticatedAttempts;
}

export class AssetRetirement {
  private readonly now: () => number;

  constructor(private readonly options: RetirementOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Who is asking; a stranger is counted, never audited. */
  async authenticate(headers: Headers): Promise<Principal | AuthRefusal> {
    const who = await authenticate(headers, this.options.config.auth);
    if (!isPrincipal(who)) this.options.unauthenticated?.count('retire', who.reason);
    return who;
  }

  /** `authenticated`: the principal the API found before reading the body. */
  async retire(
    headers: Headers,
    request: RetirementRequest,
    authenticated?: Principal,
  ): Promise<CommandAnswer> {
    const { config, ledger, twin } = this.options;
    const principal = authenticated ?? (await this.authenticate(headers));
    // Unauthenticated: answered and counted, never audited (no entry to fill the disk with).
    if (!isPrincipal(principal)) return unauthenticatedAnswer(principal);
    const nowMs = this.now();
    const allowed = authorize(principal, 'retire', undefined, config);
    const selector = 'assets' in request ? { assets: request.assets } : { dark: request.dark };
    if (!allowed.pass) {
      // Up to 1000 ids from someone who may not retire: audited by digest when large.
      const asked =
        'assets' in request ? { assets: boundedForAudit(request.assets) } : { dark: request.dark };
      ledger.appendAudit(
        {
          actor: principal.user,
          action: 'assets.retire_refused',
          details: { ...asked, reason: request.reason, verdict: allowed },
        },
        nowMs,
      );
      return { kind: 'forbidden', body: { error: allowed.message, code: allowed.code } };
    }
    const dark = 'dark' in request ? twin.engine.darkAssets(request.dark) : [];
    const ids = 'assets' in request ? request.assets : dark.slice(0, maxRetiredPerCall);
    // Audited before it takes effect, like every command.
    ledger.appendAudit(
      {
        actor: principal.user,
        action: 'assets.retire',
        details: { ...selector, reason: request.reason, ids },
      },
      nowMs,
    );
    const retired = await twin.retire(ids);
    const held = new Set(retired);
    return {
      kind: 'ok',
      body: {
        retired,
        notHeld: ids.filter((id) => !held.has(id)),
        // More dark assets match than one call retires: call again.
        ...('dark' in request ? { remaining: Math.max(0, dark.length - ids.length) } : {}),
      },
    };
  }
}
