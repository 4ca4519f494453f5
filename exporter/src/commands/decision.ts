/**
 * The decision: a command through the guard chain and into the ledger (audit entry, command
 * record, outbox) in one transaction, before anything is sent; and the second person's review of
 * a command held for approval, which judges the asset again. Everything it needs is injected.
 */
import { SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { CommandsConfig } from '../config/types.js';
import type { CommandMetrics } from '../metrics/commands.js';
import { continueTrace, traceparentOf } from '../tracing.js';
import type { TwinEngine } from '../twin/engine.js';
import type { DryRunAnswer, SubmitAnswer } from '../../../contracts/api.js';
import { submissionKind, type CommandAnswer } from './answer.js';
import {
  checkApproval,
  compileCatalog,
  engagedKillSwitches,
  guardedAssetOf,
  isRefusal,
  lookupCommand,
  runGuardChain,
  type CatalogValidators,
  type GuardContext,
} from './guards/index.js';
import type { CommandLedger, CommandRecord } from './ledger/ledger.js';
import type { CommandRequest, Principal } from './model.js';

export interface DecisionOptions {
  config: CommandsConfig;
  ledger: CommandLedger;
  engine: TwinEngine;
  metrics: Pick<CommandMetrics, 'attempts' | 'refusals'>;
  tracer: Tracer;
  now: () => number;
  /** Called once an accepted command is durable: the dispatcher sends it. */
  onAccepted: () => void;
}

interface Submission {
  principal: Principal;
  request: CommandRequest;
  parent: Context;
  resolve: (answer: CommandAnswer) => void;
  reject: (error: unknown) => void;
}

export class CommandDecisions {
  private readonly validators: CatalogValidators;
  private readonly submissions: Submission[] = [];

  constructor(private readonly options: DecisionOptions) {
    this.validators = compileCatalog(options.config.catalog);
  }

  /**
   * Judges and records an authenticated submission. Submissions arriving in the same event-loop
   * turn share one ledger transaction, so a burst costs one disk flush rather than one each
   * (group commit); every answer waits for that commit, and nothing is dispatched before it.
   * `parent` is the API request's span: the command's whole life continues its trace.
   */
  submit(principal: Principal, request: CommandRequest, parent: Context): Promise<CommandAnswer> {
    return new Promise((resolve, reject) => {
      this.submissions.push({ principal, request, parent, resolve, reject });
      if (this.submissions.length === 1) setImmediate(() => this.decideSubmissions());
    });
  }

  private decideSubmissions(): void {
    const batch = this.submissions.splice(0);
    let answers: (CommandAnswer | Error)[];
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
    if (answers.some((answer) => !(answer instanceof Error) && answer.kind === 'ok')) {
      this.options.onAccepted();
    }
  }

  /**
   * One submission through the guard chain and the ledger (inside a batch), in a span whose
   * context the ledger keeps: dispatch, approval, acks and outcome continue it, so the command's
   * whole life is one trace, the caller's.
   */
  private decide(principal: Principal, request: CommandRequest, parent: Context): CommandAnswer {
    const span = this.options.tracer.startSpan(
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

  private judge(principal: Principal, request: CommandRequest, span: Span): CommandAnswer {
    const { ledger, metrics } = this.options;
    const nowMs = this.options.now();
    const { context, view, spec } = this.contextFor(principal, request, nowMs);
    const { verdicts, decision } = runGuardChain(context, { dryRun: request.dryRun === true });
    const status =
      decision === 'accept' ? 'accepted' : decision === 'refuse' ? 'refused' : 'pending_approval';
    span.setAttribute('twin.command.decision', status);
    const refusals = verdicts.filter(isRefusal);
    for (const refusal of refusals) {
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
    // Counted once recorded: an attempt whose record failed is answered as failed, not counted.
    metrics.attempts.inc({ decision: request.dryRun ? 'dry_run' : status });
    const first = refusals[0];
    if (first) metrics.refusals.inc({ guard: first.guard, code: first.code ?? 'unknown' });
    if (request.dryRun) {
      const body: DryRunAnswer = { dryRun: true, decision: status, verdicts };
      return { kind: 'ok', body };
    }
    if (result.kind === 'conflict') {
      return {
        kind: 'conflict',
        body: {
          error: 'this idempotency key was used for a different command',
          command: result.record,
        },
      };
    }
    if (result.kind !== 'recorded' && result.kind !== 'duplicate')
      return { kind: 'failed', body: { error: 'not recorded' } };
    const record = result.record;
    const refusal = record.status === 'refused' ? record.verdicts.find(isRefusal) : undefined;
    const body: SubmitAnswer = {
      // A refusal says why at the top, as every other refusal of the API does.
      ...(refusal ? { error: refusal.message, code: refusal.code } : {}),
      command: record,
      verdicts: record.verdicts,
      duplicate: result.kind === 'duplicate',
    };
    return {
      kind: submissionKind(record),
      body,
      ...(refusal?.retryAfterMs === undefined ? {} : { retryAfterMs: refusal.retryAfterMs }),
    };
  }

  /**
   * Approves or rejects a command held for approval, in a span of the command's own trace (linked
   * to the reviewer's request, `caller`), so the approval shows where the command's life does.
   */
  review(
    principal: Principal,
    commandId: string,
    verdict: 'approve' | 'reject',
    reason: string,
    caller: Context,
  ): CommandAnswer {
    const record = this.options.ledger.get(commandId);
    if (!record) return { kind: 'not_found', body: { error: `no command "${commandId}"` } };
    const callerSpan = trace.getSpanContext(caller);
    const span = this.options.tracer.startSpan(
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
  ): CommandAnswer {
    const { ledger, config } = this.options;
    const commandId = record.id;
    const nowMs = this.options.now();
    if (record.status !== 'pending_approval' || !record.risk) {
      return {
        kind: 'conflict',
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
      const expired = check.code === 'approval_expired';
      if (expired) ledger.rejectApproval(commandId, 'system', 'approval window expired', nowMs);
      return {
        kind: expired ? 'conflict' : 'forbidden',
        body: { error: check.message, code: check.code },
      };
    }
    if (verdict === 'reject') {
      const rejected = ledger.rejectApproval(commandId, principal.user, reason, nowMs);
      return rejected.ok
        ? { kind: 'ok', body: { command: rejected.record } }
        : { kind: 'conflict', body: { error: rejected.code } };
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
        kind: 'refused',
        body: {
          error: refusal?.message ?? 'refused on approval',
          code: refusal?.code,
          verdicts: again.verdicts,
        },
      };
    }
    const approved = ledger.approve(commandId, principal.user, nowMs);
    if (!approved.ok) return { kind: 'conflict', body: { error: approved.code } };
    this.options.onAccepted();
    return { kind: 'ok', body: { command: approved.record } };
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
      asset: view ? guardedAssetOf(view, spec?.sets.property ?? '') : undefined,
      spec,
      validateParams: view ? this.validators(view.assetClass, request.name) : undefined,
      killSwitch: engagedKillSwitches(ledger.killSwitches()),
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
}

/** Runs `answer` in `span`, which ends with the answer's kind (or the error). */
function answerIn(span: Span, answer: () => CommandAnswer): CommandAnswer {
  try {
    const result = answer();
    span.setAttribute('twin.command.answer', result.kind);
    return result;
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}
