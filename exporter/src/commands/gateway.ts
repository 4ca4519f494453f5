import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { Registry } from 'prom-client';
import type { CommandsConfig, DivergenceConfig } from '../config/types.js';
import { fallbackLogger, type Logger } from '../log.js';
import { commandMetrics, type CommandMetrics } from '../metrics/commands.js';
import { resolveDivergenceRule, toleranceFor, withinTolerance } from '../sli/divergence.js';
import { Tracing, continueTrace, exemplarOf, traceparentOf } from '../tracing.js';
import type { TwinEngine } from '../twin/engine.js';
import type { DryRunAnswer, SubmitAnswer } from '../../../contracts/api.js';
import { authenticate, authorize, isPrincipal, type AuthRefusal, type Headers } from './auth.js';
import {
  checkApproval,
  compileCatalog,
  isRefusal,
  lookupCommand,
  runGuardChain,
  snapshotFromView,
  type CatalogValidators,
  type GuardContext,
  type KillSwitchState,
} from './guards/index.js';
import type { ChainHead } from './ledger/audit.js';
import type { CommandLedger, CommandRecord, KillSwitchScope } from './ledger/ledger.js';
import type { CommandAck, CommandRequest, Outcome, Principal, Verdict } from './model.js';
import type { CommandMessage, DeviceTransport } from './transport.js';
import { UnauthenticatedAttempts, type CommandRoute } from './unauthenticated.js';

/** Commands per send, and sends on the wire at once. */
const dispatchBatch = 100;
const maxConcurrentSends = 4;

/** What the API answers: an HTTP status and a JSON body. */
export interface GatewayAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

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

/**
 * The command gateway: every write passes authentication, authorization and the guard chain, is
 * recorded in the ledger (audit, command record, outbox) before anything is sent, then leaves
 * through the outbox to the devices, and is followed until the asset has really changed.
 */
export class CommandGateway {
  private readonly validators: CatalogValidators;
  private readonly now: () => number;
  private readonly metrics: CommandMetrics;
  private readonly log: Logger;
  private readonly tracer: Tracer;
  private timer: NodeJS.Timeout | undefined;
  private auditTimer: NodeJS.Timeout | undefined;
  /** The head the last verification reached with the chain sound: the next one starts there. */
  private verifiedThrough: ChainHead | undefined;
  /** Sends on the wire, and the ids of the commands they carry. */
  private readonly sends = new Set<Promise<void>>();
  private readonly sending = new Set<string>();
  private stopped = false;
  /** Strangers are counted here, never audited. */
  readonly unauthenticated: UnauthenticatedAttempts;
  private readonly submissions: {
    principal: Principal;
    headers: Headers;
    request: CommandRequest;
    parent: Context;
    resolve: (answer: GatewayAnswer) => void;
    reject: (error: unknown) => void;
  }[] = [];

  constructor(private readonly options: GatewayOptions) {
    this.validators = compileCatalog(options.config.catalog);
    this.now = options.now ?? Date.now;
    this.metrics = commandMetrics(options.registry);
    this.tracer = options.tracer ?? new Tracing().tracer;
    this.log = options.logger ?? fallbackLogger();
    this.unauthenticated = new UnauthenticatedAttempts(options.registry, {
      now: this.now,
      log: (line) => this.log.warn(line),
    });
  }

  /** Connects the devices, sends what a previous run accepted but did not send, starts following. */
  async start(): Promise<void> {
    await this.options.transport.start((ack) => this.onAck(ack));
    this.updateKillSwitchGauge();
    await this.verifyAudit();
    this.auditTimer = setInterval(
      () => void this.verifyAudit(this.verifiedThrough),
      this.options.auditVerifyEveryMs ?? 300_000,
    );
    this.auditTimer.unref();
    await this.drain();
    this.timer = setInterval(() => {
      this.tick().catch((error: Error) => {
        this.log.warn({ err: error }, 'following commands failed, will retry');
      });
    }, this.options.tickMs ?? 250);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearInterval(this.auditTimer);
    await Promise.all(this.sends);
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
   * Judges and records a submission. Submissions arriving in the same event-loop turn share one
   * ledger transaction, so a burst costs one disk flush rather than one each (group commit); every
   * answer waits for that commit, and nothing is dispatched before it. Authentication comes
   * first, outside the transaction, as it may wait on Grafana's signing keys; a stranger is
   * answered 401 there, with no verdicts (even a dry run describes the asset's state).
   * `parent` is the API request's span; without it the caller's `traceparent` header is continued.
   */
  async submit(
    headers: Headers,
    request: CommandRequest,
    authenticated?: Principal,
    parent: Context = continueTrace(headers.traceparent),
  ): Promise<GatewayAnswer> {
    const principal = await this.who(headers, 'submit', authenticated);
    if (!isPrincipal(principal)) return unauthenticatedAnswer(principal);
    return new Promise((resolve, reject) => {
      this.submissions.push({ principal, headers, request, parent, resolve, reject });
      if (this.submissions.length === 1) setImmediate(() => this.decideSubmissions());
    });
  }

  private decideSubmissions(): void {
    const batch = this.submissions.splice(0);
    let answers: (GatewayAnswer | Error)[];
    try {
      answers = this.options.ledger.batch(() =>
        batch.map(({ principal, request, parent }) => {
          try {
            return this.decide(principal, request, parent);
          } catch (error) {
            // Its savepoint is rolled back; the rest of the batch still commits.
            return error as Error;
          }
        }),
      );
    } catch (error) {
      for (const { reject } of batch) reject(error);
      return;
    }
    batch.forEach(({ resolve, reject }, i) => {
      const answer = answers[i]!;
      if (answer instanceof Error) reject(answer);
      else resolve(answer);
    });
    if (answers.some((answer) => !(answer instanceof Error) && answer.status === 200)) {
      void this.drain();
    }
  }

  /**
   * One submission through the guard chain and the ledger (inside a batch), in a span whose
   * context the ledger keeps: dispatch, approval, acks and outcome continue it, so the command's
   * whole life is one trace, the caller's.
   */
  private decide(principal: Principal, request: CommandRequest, parent: Context): GatewayAnswer {
    const span = this.tracer.startSpan(
      'command.guard_chain',
      {
        attributes: {
          'twin.asset.id': request.assetId,
          'twin.command.name': request.name,
          'twin.command.dry_run': request.dryRun === true,
        },
      },
      parent,
    );
    return answerIn(span, () => this.judge(principal, request, span));
  }

  private judge(principal: Principal, request: CommandRequest, span: Span): GatewayAnswer {
    const { ledger } = this.options;
    const nowMs = this.now();
    const { context, view, spec } = this.contextFor(principal, request, nowMs);
    const { verdicts, decision } = runGuardChain(context, { dryRun: request.dryRun === true });
    const status =
      decision === 'accept' ? 'accepted' : decision === 'refuse' ? 'refused' : 'pending_approval';
    const first = verdicts.find(isRefusal);
    span.setAttribute('twin.command.decision', status);
    for (const refusal of verdicts.filter(isRefusal)) {
      span.addEvent('guard refused', {
        'twin.command.guard': refusal.guard,
        'twin.command.refusal.code': refusal.code ?? 'unknown',
      });
    }

    const result = ledger.recordDecision(
      request,
      principal,
      verdicts,
      {
        status,
        assetClass: view?.assetClass,
        risk: spec?.risk,
        traceparent: traceparentOf(span),
      },
      nowMs,
    );
    if (result.kind === 'recorded' || result.kind === 'duplicate') {
      span.setAttributes({
        'twin.command.id': result.record.id,
        'twin.command.duplicate': result.kind === 'duplicate',
      });
    }
    // Counted once recorded: an attempt whose record failed is answered 500, not counted.
    this.metrics.attempts.inc({ decision: request.dryRun ? 'dry_run' : status });
    if (first) this.metrics.refusals.inc({ guard: first.guard, code: first.code ?? 'unknown' });
    if (request.dryRun) {
      const body: DryRunAnswer = { dryRun: true, decision: status, verdicts };
      return { status: 200, body };
    }
    if (result.kind === 'conflict') {
      return {
        status: 409,
        body: {
          error: 'this idempotency key was used for a different command',
          command: result.record,
        },
      };
    }
    if (result.kind !== 'recorded' && result.kind !== 'duplicate')
      return { status: 500, body: { error: 'not recorded' } };
    const record = result.record;
    const refusal = record.status === 'refused' ? record.verdicts.find(isRefusal) : undefined;
    const retryAfterMs = refusal?.retryAfterMs;
    return {
      status: answerStatus(record),
      body: {
        // A refusal says why at the top, as every other 4xx of the API does.
        ...(refusal ? { error: refusal.message, code: refusal.code } : {}),
        command: record,
        verdicts: record.verdicts,
        duplicate: result.kind === 'duplicate',
      } satisfies SubmitAnswer,
      ...(refusal && retryAfterMs !== undefined
        ? { headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) } }
        : {}),
    };
  }

  /**
   * Approves or rejects a command held for approval, in a span of the command's own trace (linked
   * to the reviewer's request, `caller`), so the approval shows where the command's life does.
   */
  async review(
    headers: Headers,
    commandId: string,
    verdict: 'approve' | 'reject',
    reason: string,
    authenticated?: Principal,
    caller: Context = continueTrace(headers.traceparent),
  ): Promise<GatewayAnswer> {
    const principal = await this.who(headers, verdict, authenticated);
    if (!isPrincipal(principal)) return unauthenticatedAnswer(principal);
    const record = this.options.ledger.get(commandId);
    if (!record) return { status: 404, body: { error: `no command "${commandId}"` } };
    const callerSpan = trace.getSpanContext(caller);
    const span = this.tracer.startSpan(
      `command.${verdict}`,
      {
        attributes: { 'twin.command.id': commandId },
        links: callerSpan ? [{ context: callerSpan }] : [],
      },
      continueTrace(record.traceparent),
    );
    return answerIn(span, () => this.reviewRecord(principal, record, verdict, reason));
  }

  private reviewRecord(
    principal: Principal,
    record: CommandRecord,
    verdict: 'approve' | 'reject',
    reason: string,
  ): GatewayAnswer {
    const { ledger, config } = this.options;
    const commandId = record.id;
    const nowMs = this.now();
    if (record.status !== 'pending_approval' || !record.risk) {
      return {
        status: 409,
        body: { error: `command is ${record.status}, not pending approval`, command: record },
      };
    }
    const check = checkApproval(
      principal,
      { submittedBy: record.user, risk: record.risk, submittedAtMs: record.submittedAtMs },
      nowMs,
      config,
    );
    if (!check.pass) {
      ledger.appendAudit(
        {
          actor: principal.user,
          action: `command.${verdict}_refused`,
          commandId,
          assetId: record.assetId,
          details: { verdict: check },
        },
        nowMs,
      );
      if (check.code === 'approval_expired')
        ledger.rejectApproval(commandId, 'system', 'approval window expired', nowMs);
      return {
        status: check.code === 'approval_expired' ? 409 : 403,
        body: { error: check.message, code: check.code },
      };
    }
    if (verdict === 'reject') {
      const rejected = ledger.rejectApproval(commandId, principal.user, reason, nowMs);
      return rejected.ok
        ? { status: 200, body: { command: rejected.record } }
        : { status: 409, body: { error: rejected.code } };
    }
    // The asset may have moved since submission: every guard judges it again, now, with the
    // approval. The submitter passed authorization when submitting; their roles are not stored,
    // so they stand in as allowed for this risk.
    const submitter: Principal = {
      user: record.user,
      roles: config.submit[record.risk],
      via: 'token',
      kind: 'user',
    };
    const request: CommandRequest = {
      idempotencyKey: record.idempotencyKey,
      assetId: record.assetId,
      name: record.name,
      params: record.params,
      reason: record.reason,
      ...(record.expectedVersion === undefined ? {} : { expectedVersion: record.expectedVersion }),
    };
    const { context } = this.contextFor(submitter, request, nowMs, record.id);
    const again = runGuardChain(
      { ...context, approval: { approvedBy: principal.user } },
      { dryRun: false },
    );
    if (again.decision !== 'accept') {
      const refusal = again.verdicts.find(isRefusal);
      ledger.appendAudit(
        {
          actor: principal.user,
          action: 'command.approve_refused',
          commandId,
          assetId: record.assetId,
          details: { verdicts: again.verdicts },
        },
        nowMs,
      );
      return {
        status: 422,
        body: {
          error: refusal?.message ?? 'refused on approval',
          code: refusal?.code,
          verdicts: again.verdicts,
        },
      };
    }
    const approved = ledger.approve(commandId, principal.user, nowMs);
    if (!approved.ok) return { status: 409, body: { error: approved.code } };
    void this.drain();
    return { status: 200, body: { command: approved.record } };
  }

  async setKillSwitch(
    headers: Headers,
    scope: KillSwitchScope,
    engaged: boolean,
    reason: string,
    authenticated?: Principal,
  ): Promise<GatewayAnswer> {
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
      return { status: 403, body: { error: allowed.message, code: allowed.code } };
    }
    const state = this.options.ledger.setKillSwitch(scope, engaged, principal.user, reason, nowMs);
    this.updateKillSwitchGauge();
    return { status: 200, body: state };
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
  ): Promise<GatewayAnswer> {
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
      return { status: 403, body: { error: allowed.message, code: allowed.code } };
    }
    const result = ledger.archiveAudit(throughSeq, principal.user, reason, nowMs);
    if (!result.ok) return { status: 409, body: { error: result.message, code: result.code } };
    return { status: 200, body: { checkpoint: result.checkpoint, head: ledger.auditHead() } };
  }

  /** What the guards judge: the asset as the twin sees it now, and the ledger's recent history. */
  private contextFor(
    principal: Principal,
    request: CommandRequest,
    nowMs: number,
    excludeId?: string,
  ) {
    const { ledger, engine, config } = this.options;
    const view = engine.asset(request.assetId, nowMs);
    const spec = view ? lookupCommand(config.catalog, view.assetClass, request.name) : undefined;
    const window = Math.max(spec?.rateLimit?.perMs ?? 0, spec?.cooldownMs ?? 0);
    const context: GuardContext = {
      principal,
      request,
      config,
      asset: view ? snapshotFromView(view, spec?.sets.property ?? '') : undefined,
      spec,
      validateParams: view ? this.validators(view.assetClass, request.name) : undefined,
      killSwitch: this.killSwitchState(),
      nowMs,
      inFlight: ledger
        .inFlight(request.assetId)
        .filter((c) => c.id !== excludeId)
        .map((c) => ({ id: c.id, name: c.name, status: c.status })),
      recentAcceptedMs: spec
        ? ledger
            .recentAccepted(request.assetId, request.name, nowMs - window)
            .filter((c) => c.id !== excludeId)
            // An approved command counts from its approval: that is when it was accepted.
            .map((c) => c.approvedAtMs ?? c.submittedAtMs)
        : [],
    };
    return { context, view, spec };
  }

  // ---- reads (authenticated too: the ledger names people and assets) ----

  /** The command catalog per asset class, as configured. */
  catalog(): CommandsConfig['catalog'] {
    return this.options.config.catalog;
  }

  async read<T>(headers: Headers, reader: (ledger: CommandLedger) => T): Promise<GatewayAnswer> {
    const principal = await this.who(headers, 'read');
    if (!isPrincipal(principal)) return unauthenticatedAnswer(principal);
    return { status: 200, body: await reader(this.options.ledger) };
  }

  // ---- dispatch and following ----

  /**
   * Sends what the outbox holds, in batches, several on the wire at once so a new command need not
   * wait behind a slow send. A command is in at most one send of this process at a time; per-asset
   * order needs nothing more, as the conflict guard never lets one asset have two in flight.
   * Resolves when the sends in progress have settled.
   */
  drain(): Promise<void> {
    const switches = this.killSwitchState();
    while (!this.stopped && this.sends.size < maxConcurrentSends) {
      const { ledger } = this.options;
      // Ids first: the outbox also holds what is on the wire, and reading a record costs.
      const batch = ledger
        .pendingIds(this.sending.size + 4 * dispatchBatch)
        .filter((id) => !this.sending.has(id))
        .slice(0, dispatchBatch)
        .map((id) => ledger.get(id))
        .filter(
          // While a kill switch covers a command it stays in the outbox; the tick times it out.
          (record): record is CommandRecord =>
            record !== undefined &&
            !switches.global &&
            !switches.classes.includes(record.assetClass ?? ''),
        );
      if (batch.length === 0) break;
      for (const record of batch) this.sending.add(record.id);
      const send: Promise<void> = this.dispatch(batch)
        .then(
          () => true,
          (error: Error) => {
            this.metrics.dispatchFailures.inc();
            this.log.warn({ err: error }, 'dispatch failed, will retry');
            return false;
          },
        )
        .then((sent) => {
          for (const record of batch) this.sending.delete(record.id);
          this.sends.delete(send);
          // What queued up meanwhile goes now; after a failure the next tick retries.
          if (sent) void this.drain();
        });
      this.sends.add(send);
    }
    return Promise.all(this.sends).then(() => undefined);
  }

  /**
   * Sends a batch, each command in a PRODUCER span of its own trace: the traceparent a device
   * receives is that span's, so the device's spans join the command's trace (a resend after a
   * crash is a span of its own, in the same trace).
   */
  private async dispatch(records: readonly CommandRecord[]): Promise<void> {
    const issuedAtMs = this.now();
    const spans = records.map((record) =>
      this.tracer.startSpan(
        'command.dispatch',
        {
          kind: SpanKind.PRODUCER,
          attributes: { 'twin.command.id': record.id, 'twin.asset.id': record.assetId },
        },
        continueTrace(record.traceparent),
      ),
    );
    const messages = records.map((record, i): CommandMessage => {
      const spec = record.assetClass
        ? lookupCommand(this.options.config.catalog, record.assetClass, record.name)
        : undefined;
      return {
        commandId: record.id,
        assetId: record.assetId,
        assetClass: record.assetClass ?? '',
        name: record.name,
        property: spec?.sets.property ?? '',
        value: spec ? record.params[spec.sets.param] : undefined,
        params: record.params,
        issuedAtMs,
        traceparent: traceparentOf(spans[i] as Span),
      };
    });
    try {
      await this.options.transport.send(messages);
    } catch (error) {
      for (const span of spans)
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      for (const span of spans) span.end();
    }
    // A crash right here sends these again on restart: devices de-duplicate by command id.
    this.options.ledger.markAllDispatched(
      records.map((record) => record.id),
      this.now(),
    );
  }

  /** An ack, as a CONSUMER span of its command's trace: also when it comes after a restart. */
  private onAck(ack: CommandAck): void {
    // `accepted` then `done` are two acks of one command: the histogram times the first only.
    const firstAck = this.options.ledger.get(ack.commandId)?.ackedAtMs === undefined;
    const record = this.options.ledger.recordAck(ack, this.now());
    if (!record) return;
    const span = this.tracer.startSpan(
      'command.ack',
      {
        kind: SpanKind.CONSUMER,
        attributes: { 'twin.command.id': record.id, 'twin.command.ack.status': ack.status },
      },
      continueTrace(record.traceparent),
    );
    span.end();
    if (firstAck && record.dispatchedAtMs !== undefined && record.ackedAtMs !== undefined) {
      this.metrics.ackSeconds.observe({
        labels: { asset_class: record.assetClass ?? '' },
        value: (record.ackedAtMs - record.dispatchedAtMs) / 1000,
        exemplarLabels: exemplarOf(span),
      });
    }
    if (record.outcome) this.countOutcome(record, record.outcome, ack.message ?? '');
  }

  /** Timeouts, and whether acked commands really changed the asset. */
  private async tick(): Promise<void> {
    await this.drain();
    const { ledger, engine, config } = this.options;
    const nowMs = this.now();
    // Accepted but never sent (a kill switch held it, or the devices were unreachable): once past
    // the ack timeout it times out, and its outbox row goes, so it is never sent stale.
    for (const record of ledger.pendingAcceptedBefore(nowMs - config.ackTimeoutMs, 1000)) {
      const why = 'never dispatched: a kill switch held it, or the devices were unreachable';
      this.finish(record, 'timed_out', why, nowMs);
    }
    for (const record of ledger.dueForFollowUp(nowMs - config.ackTimeoutMs)) {
      if (
        record.status === 'dispatched' &&
        nowMs - (record.dispatchedAtMs ?? nowMs) > config.ackTimeoutMs
      ) {
        this.finish(record, 'timed_out', `no ack within ${config.ackTimeoutMs / 1000} s`, nowMs);
        continue;
      }
      if (record.status !== 'acked' || !record.assetClass) continue;
      const spec = lookupCommand(config.catalog, record.assetClass, record.name);
      if (!spec) continue;
      const commanded = record.params[spec.sets.param];
      const reported = engine
        .asset(record.assetId, nowMs)
        ?.properties.find((p) => p.property === spec.sets.property)?.physical;
      const since = record.dispatchedAtMs ?? record.submittedAtMs;
      if (
        reported &&
        reported.sourceTimeMs >= since &&
        typeof commanded !== 'object' &&
        this.matches(record.assetClass, spec.sets.property, reported.value, commanded as never)
      ) {
        this.finish(
          record,
          'applied',
          `${spec.sets.property} reported ${String(reported.value)}`,
          nowMs,
          Math.max(0, reported.sourceTimeMs - since) / 1000,
        );
      } else if (
        record.doneAtMs === undefined &&
        nowMs - (record.dispatchedAtMs ?? nowMs) > config.ackTimeoutMs
      ) {
        // The device took it (`accepted`) but never said it was done: it stalled or died.
        const why = `accepted, but not done within ${config.ackTimeoutMs / 1000} s`;
        this.finish(record, 'timed_out', why, nowMs);
      } else if (
        record.doneAtMs !== undefined &&
        nowMs - record.doneAtMs > config.convergenceTimeoutMs
      ) {
        // Convergence is judged from `done`: a slow device is not blamed for its own pace.
        // No telemetry of the property at all: the device's word is all there is.
        const outcome: Outcome = reported ? 'diverged_after_ack' : 'acked';
        const detail = reported
          ? `${spec.sets.property} still reports ${String(reported.value)}, commanded ${String(commanded)}`
          : `no ${spec.sets.property} telemetry to confirm it`;
        this.finish(record, outcome, detail, nowMs);
      }
    }
    this.metrics.outbox.set(ledger.outboxSize());
  }

  private matches(
    assetClass: string,
    property: string,
    reported: string | number | boolean,
    commanded: string | number | boolean,
  ): boolean {
    const rule = resolveDivergenceRule(this.options.divergence, assetClass, property);
    return withinTolerance(
      toleranceFor(rule.tolerance, this.options.divergence.defaultTolerance, reported, commanded),
      reported,
      commanded,
    );
  }

  /** Records the outcome (the first one wins); `convergedSeconds` when it is `applied`. */
  private finish(
    record: CommandRecord,
    outcome: Outcome,
    message: string,
    nowMs: number,
    convergedSeconds?: number,
  ): void {
    if (!this.options.ledger.recordOutcome(record.id, outcome, message, nowMs)) return;
    const span = this.countOutcome(record, outcome, message);
    if (convergedSeconds !== undefined) {
      this.metrics.convergenceSeconds.observe({
        labels: { asset_class: record.assetClass ?? '' },
        value: convergedSeconds,
        exemplarLabels: exemplarOf(span),
      });
    }
  }

  /**
   * Counts an outcome, and closes the command's trace with a span from its dispatch (or its
   * submission) to now, whose exemplar leads from the outcome counter to the whole trace.
   */
  private countOutcome(record: CommandRecord, outcome: Outcome, message: string): Span {
    const span = this.tracer.startSpan(
      'command.outcome',
      {
        startTime: new Date(record.dispatchedAtMs ?? record.submittedAtMs),
        attributes: { 'twin.command.id': record.id, 'twin.command.outcome': outcome },
      },
      continueTrace(record.traceparent),
    );
    if (outcome !== 'applied' && outcome !== 'acked') {
      span.setStatus({ code: SpanStatusCode.ERROR, message });
    }
    // Dates, not numbers: the SDK reads a number before the process started as a monotonic time.
    span.end(new Date(Math.max(this.now(), record.dispatchedAtMs ?? record.submittedAtMs)));
    this.metrics.outcomes.inc({
      labels: { asset_class: record.assetClass ?? '', command: record.name, outcome },
      value: 1,
      exemplarLabels: exemplarOf(span),
    });
    return span;
  }

  /** Verifies the whole audit chain; the gauge lets an alert page when it breaks. */
  /**
   * The chain in slices of a few milliseconds, requests served between them: whole (at start and
   * when asked through the API), or, every few minutes, what was appended since the head last
   * verified (whose row must still hold its hash).
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

  private killSwitchState(): KillSwitchState {
    const engaged = this.options.ledger.killSwitches().filter((k) => k.engaged);
    return {
      global: engaged.some((k) => k.scope === 'global'),
      classes: engaged.flatMap((k) => (k.scope === 'global' ? [] : [k.scope.assetClass])),
    };
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

/** A stranger learns why authentication failed, nothing else. */
function unauthenticatedAnswer(refusal: Verdict): GatewayAnswer {
  return { status: 401, body: { error: refusal.message, code: refusal.code } };
}

/**
 * The HTTP status of a submission: 403 for a role that may not, 409 when the asset's state or
 * another command is in the way (retry after reading it again), 429 for rate limits and cooldowns
 * (with Retry-After), 422 for every other guard's refusal.
 */
function answerStatus(record: CommandRecord): number {
  if (record.status === 'pending_approval') return 202;
  if (record.status !== 'refused') return 200;
  switch (record.verdicts.find(isRefusal)?.code) {
    case 'forbidden':
      return 403;
    case 'command_in_flight':
    case 'version_mismatch':
      return 409;
    case 'rate_limited':
    case 'cooldown':
      return 429;
    default:
      return 422;
  }
}

/** Runs `answer` in `span`, which ends with the answer's status (or the error). */
function answerIn(span: Span, answer: () => GatewayAnswer): GatewayAnswer {
  try {
    const result = answer();
    span.setAttribute('twin.command.answer_status', result.status);
    return result;
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}
