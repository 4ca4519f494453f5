/**
 * The command gateway: every write passes authentication, then the decision (authorization and
 * the guard chain, recorded in the ledger before anything is sent), leaves through the
 * dispatcher, and is followed until the asset has really changed. This class wires those parts,
 * authenticates, and keeps the audit chain verified; the API turns its answers into HTTP.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Context, Tracer } from '@opentelemetry/api';
import type { Registry } from 'prom-client';
import type { CommandsConfig, DivergenceConfig } from '../config/types.js';
import { fallbackLogger, type Logger } from '../log.js';
import { commandMetrics, type CommandMetrics } from '../metrics/commands.js';
import { Tracing, continueTrace } from '../tracing.js';
import type { TwinEngine } from '../twin/engine.js';
import { unauthenticatedAnswer, type CommandAnswer } from './answer.js';
import { authenticate, authorize, isPrincipal, type AuthRefusal, type Headers } from './auth.js';
import { CommandDecisions } from './decision.js';
import { Dispatcher } from './dispatcher.js';
import { Follower } from './follower.js';
import type { ChainHead } from './ledger/audit.js';
import type { CommandLedger, KillSwitchScope } from './ledger/ledger.js';
import type { CommandRequest, Principal } from './model.js';
import type { DeviceTransport } from './transport.js';
import { UnauthenticatedAttempts, type CommandRoute } from './unauthenticated.js';

export interface GatewayOptions {
  config: CommandsConfig;
  divergence: DivergenceConfig;
  ledger: CommandLedger;
  engine: TwinEngine;
  transport: DeviceTransport;
  registry: Registry;
  logger?: Logger;
  /** Each command's life as one trace (see tracing.ts); by default its spans go nowhere. */
  tracer?: Tracer;
  now?: () => number;
  /** How often the outbox is drained and timeouts and convergence are checked. */
  tickMs?: number;
  /** How often the whole audit chain is verified (and `twin_command_audit_chain_valid` set). */
  auditVerifyEveryMs?: number;
}

export class CommandGateway {
  private readonly now: () => number;
  private readonly metrics: CommandMetrics;
  private readonly log: Logger;
  private readonly decisions: CommandDecisions;
  private readonly dispatcher: Dispatcher;
  private readonly follower: Follower;
  private timer: NodeJS.Timeout | undefined;
  private auditTimer: NodeJS.Timeout | undefined;
  /** The head the last verification reached with the chain sound: the next one starts there. */
  private verifiedThrough: ChainHead | undefined;
  /** Strangers are counted here, never audited. */
  readonly unauthenticated: UnauthenticatedAttempts;

  constructor(private readonly options: GatewayOptions) {
    const { config, divergence, ledger, engine, transport, registry } = options;
    const now = (this.now = options.now ?? Date.now);
    const metrics = (this.metrics = commandMetrics(registry));
    const tracer = options.tracer ?? new Tracing().tracer;
    const log = (this.log = options.logger ?? fallbackLogger());
    this.unauthenticated = new UnauthenticatedAttempts(registry, {
      now,
      log: (line) => log.warn(line),
    });
    this.dispatcher = new Dispatcher({
      catalog: config.catalog,
      ledger,
      transport,
      metrics,
      tracer,
      log,
      now,
    });
    this.decisions = new CommandDecisions({
      config,
      ledger,
      engine,
      metrics,
      tracer,
      now,
      onAccepted: () => void this.dispatcher.drain(),
    });
    this.follower = new Follower({ config, divergence, ledger, engine, metrics, tracer, now });
  }

  /** Connects the devices, sends what a previous run accepted but did not send, starts following. */
  async start(): Promise<void> {
    await this.options.transport.start((ack) => this.follower.onAck(ack));
    this.updateKillSwitchGauge();
    await this.verifyAudit();
    this.auditTimer = setInterval(
      () => void this.verifyAudit(this.verifiedThrough),
      this.options.auditVerifyEveryMs ?? 300_000,
    );
    this.auditTimer.unref();
    await this.dispatcher.drain();
    this.timer = setInterval(() => {
      this.tick().catch((error: Error) => {
        this.log.warn({ err: error }, 'following commands failed, will retry');
      });
    }, this.options.tickMs ?? 250);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.auditTimer);
    await this.dispatcher.stop();
    await this.options.transport.stop();
  }

  /**
   * Who is asking. A stranger costs a digest and a counter, nothing durable. Asynchronous:
   * verifying Grafana's ID token may fetch its signing keys (only once the proxy secret matched).
   * The API calls it before reading a write's body, and passes the principal on.
   */
  async authenticate(headers: Headers, route: CommandRoute): Promise<Principal | AuthRefusal> {
    const who = await authenticate(headers, this.options.config.auth);
    if (!isPrincipal(who)) this.unauthenticated.count(route, who.reason);
    return who;
  }

  /** The principal the API already authenticated, else authenticates now. */
  private who(
    headers: Headers,
    route: CommandRoute,
    principal?: Principal,
  ): Promise<Principal | AuthRefusal> {
    return principal ? Promise.resolve(principal) : this.authenticate(headers, route);
  }

  // ---- writes ----

  /**
   * Judges and records a submission (see `CommandDecisions.submit`). Authentication comes first,
   * outside the ledger's transaction, as it may wait on Grafana's signing keys; a stranger is
   * answered there, with no verdicts (even a dry run describes the asset's state). `parent` is
   * the API request's span; without it the caller's `traceparent` header is continued.
   */
  async submit(
    headers: Headers,
    request: CommandRequest,
    authenticated?: Principal,
    parent: Context = continueTrace(headers.traceparent),
  ): Promise<CommandAnswer> {
    const principal = await this.who(headers, 'submit', authenticated);
    if (!isPrincipal(principal)) return unauthenticatedAnswer(principal);
    return this.decisions.submit(principal, request, parent);
  }

  /** Approves or rejects a command held for approval (see `CommandDecisions.review`). */
  async review(
    headers: Headers,
    commandId: string,
    verdict: 'approve' | 'reject',
    reason: string,
    authenticated?: Principal,
    caller: Context = continueTrace(headers.traceparent),
  ): Promise<CommandAnswer> {
    const principal = await this.who(headers, verdict, authenticated);
    if (!isPrincipal(principal)) return unauthenticatedAnswer(principal);
    return this.decisions.review(principal, commandId, verdict, reason, caller);
  }

  async setKillSwitch(
    headers: Headers,
    scope: KillSwitchScope,
    engaged: boolean,
    reason: string,
    authenticated?: Principal,
  ): Promise<CommandAnswer> {
    const principal = await this.who(headers, 'kill_switch', authenticated);
    if (!isPrincipal(principal)) return unauthenticatedAnswer(principal);
    const allowed = authorize(principal, 'kill_switch', undefined, this.options.config);
    const nowMs = this.now();
    if (!allowed.pass) {
      this.options.ledger.appendAudit(
        {
          actor: principal.user,
          action: 'kill_switch.refused',
          details: { scope, engaged, reason, verdict: allowed },
        },
        nowMs,
      );
      return { kind: 'forbidden', body: { error: allowed.message, code: allowed.code } };
    }
    const state = this.options.ledger.setKillSwitch(scope, engaged, principal.user, reason, nowMs);
    this.updateKillSwitchGauge();
    return { kind: 'ok', body: state };
  }

  /**
   * Archives the audit log through `throughSeq` (admins only): a checkpoint keeps what remains
   * verifiable. Export the rows first (`/api/v1/audit/export`); see `CommandLedger.archiveAudit`.
   */
  async archiveAudit(
    headers: Headers,
    throughSeq: number,
    reason: string,
    authenticated?: Principal,
  ): Promise<CommandAnswer> {
    const principal = await this.who(headers, 'audit_archive', authenticated);
    if (!isPrincipal(principal)) return unauthenticatedAnswer(principal);
    const { ledger, config } = this.options;
    const allowed = authorize(principal, 'archive_audit', undefined, config);
    const nowMs = this.now();
    if (!allowed.pass) {
      ledger.appendAudit(
        {
          actor: principal.user,
          action: 'audit.archive_refused',
          details: { throughSeq, reason, verdict: allowed },
        },
        nowMs,
      );
      return { kind: 'forbidden', body: { error: allowed.message, code: allowed.code } };
    }
    const result = ledger.archiveAudit(throughSeq, principal.user, reason, nowMs);
    if (!result.ok) return { kind: 'conflict', body: { error: result.message, code: result.code } };
    return { kind: 'ok', body: { checkpoint: result.checkpoint, head: ledger.auditHead() } };
  }

  // ---- reads (authenticated too: the ledger names people and assets) ----

  /** The command catalog per asset class, as configured. */
  catalog(): CommandsConfig['catalog'] {
    return this.options.config.catalog;
  }

  async read<T>(headers: Headers, reader: (ledger: CommandLedger) => T): Promise<CommandAnswer> {
    const principal = await this.who(headers, 'read');
    if (!isPrincipal(principal)) return unauthenticatedAnswer(principal);
    return { kind: 'ok', body: await reader(this.options.ledger) };
  }

  // ---- dispatch and following ----

  /** Sends what the outbox holds; resolves when the sends in progress have settled. */
  drain(): Promise<void> {
    return this.dispatcher.drain();
  }

  /** One pass: send what waits, then follow what was sent. */
  private async tick(): Promise<void> {
    await this.dispatcher.drain();
    this.follower.tick();
  }

  /**
   * Verifies the audit chain in slices of a few milliseconds, requests served between them:
   * whole (at start and when asked through the API), or, every few minutes, what was appended
   * since the head last verified (whose row must still hold its hash). The gauge lets an alert
   * page when the chain breaks.
   */
  async verifyAudit(
    since?: ChainHead,
  ): Promise<Awaited<ReturnType<CommandLedger['verifyAuditPaced']>>['verification']> {
    const { verification: result, through } = await this.options.ledger.verifyAuditPaced(
      () => nextTurn(),
      { since },
    );
    this.verifiedThrough = result.ok ? through : undefined;
    this.metrics.auditValid.set(result.ok ? 1 : 0);
    this.metrics.auditVerified.set(this.now() / 1000);
    if (!result.ok) {
      this.log.error({ seq: result.seq, reason: result.reason }, 'audit chain broken');
    }
    return result;
  }

  private updateKillSwitchGauge(): void {
    for (const k of this.options.ledger.killSwitches()) {
      this.metrics.killSwitch.set(
        { scope: k.scope === 'global' ? 'global' : k.scope.assetClass },
        k.engaged ? 1 : 0,
      );
    }
  }
}
