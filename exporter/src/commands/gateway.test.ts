import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { applyEnvironment, configFromDocument } from '../config/load.js';
import type { PropertyValue, Source, TwinPoint } from '../model.js';
import { Tracing } from '../tracing.js';
import { TwinEngine } from '../twin/engine.js';
import { tokenDigest, type Headers } from './auth.js';
import type { AnswerKind, CommandAnswer } from './answer.js';
import { CommandGateway } from './gateway.js';
import type { AuditEntry } from './ledger/audit.js';
import { CommandLedger, type CommandRecord } from './ledger/ledger.js';
import { guardOrder } from './guards/index.js';
import type { CommandAck, CommandRequest, GuardName, ReasonCode, Verdict } from './model.js';
import { simulatedDevice } from './simulated-device.js';
import {
  InProcessDeviceTransport,
  type CommandMessage,
  type DeviceTransport,
} from './transport.js';
import { pumpSetSpeed } from '../../test/commands/pump-catalog.js';

/**
 * The gateway without HTTP: a real twin engine, an in-memory ledger, an in-process device and an
 * injected clock. Every reason code of the guard chain is provoked once, and each attempt must be
 * answered with its kind, refused by the right guard, dispatch nothing, and be in the audit log.
 */

const T0 = 1_700_000_000_000;

const users = {
  oscar: 'operator',
  erin: 'engineer',
  emil: 'engineer',
  ada: 'admin',
  vera: 'viewer',
} as const;
type User = keyof typeof users;
const tokenOf = (user: User): string => `gateway-test-token-of-${user}-0123456789`;
const bearer = (user: User): Headers => ({ authorization: `Bearer ${tokenOf(user)}` });

/** Grafana's proxy secret: Grafana users are known by X-Grafana-Context alone (user header off). */
const proxySecret = 'gateway-test-proxy-secret-0123456789';

const config = applyEnvironment(
  configFromDocument({
    sli: {
      freshness: { staleAfter: '60s' },
      divergence: {
        grace: '30s',
        rules: [
          {
            assetClass: 'pump',
            property: 'speed',
            tolerance: { kind: 'absolute', epsilon: 10 },
            grace: '10s',
          },
        ],
      },
    },
    commands: {
      enabled: true,
      ledgerPath: ':memory:',
      devices: 'simulated',
      maxStateAge: '30s',
      approvalWithin: '10m',
      ackTimeout: '5s',
      convergenceTimeout: '5s',
      auth: {
        tokens: Object.entries(users).map(([user, role]) => ({
          sha256: tokenDigest(tokenOf(user as User)),
          user,
          roles: [role],
        })),
        grafanaProxy: { roleMap: { Viewer: ['viewer'], Editor: ['engineer'], Admin: ['admin'] } },
      },
      catalog: {
        pump: {
          setSpeed: {
            ...pumpSetSpeed,
            risk: 'medium',
            envelope: {
              ...pumpSetSpeed.envelope,
              maxStep: 300,
              forbiddenStates: [{ property: 'mode', values: ['maintenance'] }],
            },
            // A ramp overshoots by half the change: 1300 → 1500 is predicted to peak at 1600.
            simulation: { kind: 'ramp', overshootFraction: 0.5 },
            cooldown: '5s',
            rateLimit: { count: 2, per: '1m' },
          },
          setPressure: {
            risk: 'high',
            params: {
              type: 'object',
              additionalProperties: false,
              required: ['bar'],
              properties: { bar: { type: 'number' } },
            },
            sets: { property: 'pressure', param: 'bar' },
            envelope: { min: 0, max: 10 },
            simulation: { kind: 'set' },
          },
        },
      },
    },
  }),
  { TWINOPS_PROXY_SECRET: proxySecret },
);

/**
 * `simulated`: applies and acks at once; `silent`: takes the command and never answers; `manual`:
 * the test answers, through `h.acks`.
 */
type DeviceMode = 'simulated' | 'silent' | 'manual';

interface Harness {
  gateway: CommandGateway;
  ledger: CommandLedger;
  engine: TwinEngine;
  registry: Registry;
  /** Every message the device function received. */
  sent: CommandMessage[];
  /** `manual` devices: the ack function of each command received, by command id. */
  acks: Map<string, (ack: CommandAck) => void>;
  /** Every span the gateway ended. */
  spans: InMemorySpanExporter;
  now(): number;
  advance(ms: number): void;
  /** Points for pump-1 at the current clock (or `atMs`), applied as received now. */
  report(source: Source, values: Record<string, PropertyValue>, extra?: PointExtra): void;
  /** Drains the outbox and lets the device's acks (delivered on setImmediate) arrive. */
  settle(): Promise<void>;
  /** One pass of the gateway's follower (timeouts, convergence), at the injected clock. */
  tick(): Promise<void>;
}

interface PointExtra {
  atMs?: number;
  reportedVersion?: number;
}

const open: Harness[] = [];

afterEach(async () => {
  for (const h of open.splice(0)) {
    await h.gateway.stop();
    h.ledger.close();
  }
});

const nextImmediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A fresh gateway, ledger and engine. pump-1 reports speed 1000 (reported version 7), mode auto
 * and pressure 4 at T0; the clock then stands at T0 + 1 s.
 */
/** `devices` replaces the in-process devices of `mode` altogether. */
async function build(mode: DeviceMode = 'simulated', devices?: DeviceTransport): Promise<Harness> {
  let clock = T0;
  const now = (): number => clock;
  const engine = new TwinEngine(config);
  const ledger = new CommandLedger(':memory:');
  const registry = new Registry();
  const spans = new InMemorySpanExporter();
  const sent: CommandMessage[] = [];
  const acks = new Map<string, (ack: CommandAck) => void>();
  const simulated = simulatedDevice(
    { engine, applyPoints: async (points, receivedMs) => engine.apply(points, receivedMs) },
    now,
  );
  const inProcess = new InProcessDeviceTransport((message, ack) => {
    sent.push(message);
    if (mode === 'simulated') simulated(message, ack);
    if (mode === 'manual') acks.set(message.commandId, ack);
  });
  // The follower's own timer never fires during a case: tests tick it at the injected clock.
  const gateway = new CommandGateway({
    config: config.commands,
    divergence: config.sli.divergence,
    ledger,
    engine,
    transport: devices ?? inProcess,
    registry,
    tracer: new Tracing(undefined, { spanExporter: spans }).tracer,
    now,
    tickMs: 3_600_000,
  });
  const h: Harness = {
    gateway,
    ledger,
    engine,
    registry,
    sent,
    acks,
    spans,
    now,
    advance: (ms) => {
      clock += ms;
    },
    report: (source, values, extra = {}) => {
      const at = extra.atMs ?? clock;
      engine.apply(
        Object.entries(values).map(([property, value]) =>
          point(
            source,
            property,
            value,
            at,
            property === 'speed' ? extra.reportedVersion : undefined,
          ),
        ),
        clock,
      );
    },
    settle: async () => {
      await gateway.drain();
      await nextImmediate();
      await nextImmediate();
    },
    tick: () => (gateway as unknown as { tick(): Promise<void> }).tick(),
  };
  open.push(h);
  await gateway.start();
  h.report('physical', { speed: 1000, mode: 'auto', pressure: 4 }, { reportedVersion: 7 });
  h.advance(1_000);
  return h;
}

function point(
  source: Source,
  property: string,
  value: PropertyValue,
  atMs: number,
  reportedVersion?: number,
): TwinPoint {
  return {
    assetId: 'pump-1',
    assetClass: 'pump',
    site: 'plant-a',
    source,
    property,
    value,
    sourceTimeMs: atMs,
    model: undefined,
    targetTimeMs: undefined,
    desiredVersion: undefined,
    reportedVersion,
  };
}

let keys = 0;
function request(overrides: Partial<CommandRequest> = {}): CommandRequest {
  return {
    idempotencyKey: `gateway-test-${++keys}`,
    assetId: 'pump-1',
    name: 'setSpeed',
    params: { rpm: 1100 },
    reason: 'gateway test',
    ...overrides,
  };
}

interface SubmitBody {
  command: CommandRecord;
  verdicts: Verdict[];
  duplicate: boolean;
}

/** The command record of a 200/202/403/422 submission answer. */
function recordOf(answer: CommandAnswer): CommandRecord {
  return (answer.body as SubmitBody).command;
}

/** Submits setSpeed and follows it to its outcome; the clock does not move. */
async function applied(h: Harness, rpm: number): Promise<CommandRecord> {
  const answer = await h.gateway.submit(bearer('oscar'), request({ params: { rpm } }));
  expect(answer.kind).toBe('ok');
  await h.settle();
  await h.tick();
  const record = h.ledger.get(recordOf(answer).id);
  expect(record).toMatchObject({ status: 'applied', outcome: 'applied' });
  return record as CommandRecord;
}

/** Holds a high-risk command submitted by erin; returns its id. */
async function held(h: Harness): Promise<string> {
  const answer = await h.gateway.submit(
    bearer('erin'),
    request({ name: 'setPressure', params: { bar: 6 } }),
  );
  expect(answer.kind).toBe('held');
  return recordOf(answer).id;
}

interface Attempt {
  answer: CommandAnswer | Promise<CommandAnswer>;
  /** The submission judged (absent for reviews). */
  request?: CommandRequest;
  /** The reviewed command (reviews only). */
  commandId?: string;
}

interface GuardCase {
  code: ReasonCode;
  title: string;
  kind: AnswerKind;
  guard: GuardName;
  device?: DeviceMode;
  /** The audit entry this attempt must leave; a stranger's leaves none, only a count by reason. */
  audit: { actor: string; action: string } | { unauthenticated: string };
  /** Runs before the before-snapshot (dispatch count, audit head) is taken. */
  arrange?: (h: Harness) => Promise<string | void> | string | void;
  act: (h: Harness, arranged: string | void) => Attempt;
}

const submission = (h: Harness, who: Headers, req: CommandRequest): Attempt => ({
  answer: h.gateway.submit(who, req),
  request: req,
});

const review = (h: Harness, who: User, commandId: string): Attempt => ({
  answer: h.gateway.review(bearer(who), commandId, 'approve', 'looks right'),
  commandId,
});

const refused = (actor: string) => ({ actor, action: 'command.refused' });

const cases: GuardCase[] = [
  {
    code: 'unauthenticated',
    title: 'no credentials at all',
    kind: 'unauthenticated',
    guard: 'authentication',
    audit: { unauthenticated: 'no_credentials' },
    act: (h) => submission(h, {}, request()),
  },
  {
    code: 'unauthenticated',
    title: 'a bearer token nobody was given',
    kind: 'unauthenticated',
    guard: 'authentication',
    audit: { unauthenticated: 'unknown_token' },
    act: (h) => submission(h, { authorization: 'Bearer not-a-known-token' }, request()),
  },
  {
    code: 'forbidden',
    title: 'a viewer may not submit',
    kind: 'forbidden',
    guard: 'authorization',
    audit: refused('vera'),
    act: (h) => submission(h, bearer('vera'), request()),
  },
  {
    code: 'forbidden',
    title: 'an operator may not submit a high-risk command',
    kind: 'forbidden',
    guard: 'authorization',
    audit: refused('oscar'),
    act: (h) =>
      submission(h, bearer('oscar'), request({ name: 'setPressure', params: { bar: 6 } })),
  },
  {
    code: 'unknown_asset',
    title: 'an asset the twin never heard of',
    kind: 'refused',
    guard: 'schema',
    audit: refused('oscar'),
    act: (h) => submission(h, bearer('oscar'), request({ assetId: 'pump-404' })),
  },
  {
    code: 'unknown_command',
    title: 'a command the pump catalog does not have',
    kind: 'refused',
    guard: 'schema',
    audit: refused('oscar'),
    act: (h) => submission(h, bearer('oscar'), request({ name: 'selfDestruct' })),
  },
  {
    code: 'invalid_params',
    title: 'rpm is not a number',
    kind: 'refused',
    guard: 'schema',
    audit: refused('oscar'),
    act: (h) => submission(h, bearer('oscar'), request({ params: { rpm: 'fast' } })),
  },
  {
    code: 'kill_switch_engaged',
    title: 'the global kill switch',
    kind: 'refused',
    guard: 'kill_switch',
    audit: refused('oscar'),
    arrange: async (h) => {
      expect((await h.gateway.setKillSwitch(bearer('ada'), 'global', true, 'incident')).kind).toBe(
        'ok',
      );
    },
    act: (h) => submission(h, bearer('oscar'), request()),
  },
  {
    code: 'kill_switch_engaged',
    title: "the pump class's kill switch",
    kind: 'refused',
    guard: 'kill_switch',
    audit: refused('oscar'),
    arrange: async (h) => {
      const answer = await h.gateway.setKillSwitch(
        bearer('ada'),
        { assetClass: 'pump' },
        true,
        'incident',
      );
      expect(answer.kind).toBe('ok');
    },
    act: (h) => submission(h, bearer('oscar'), request()),
  },
  {
    code: 'out_of_bounds',
    title: '1600 rpm is above the maximum 1500, though only a step of 200',
    kind: 'refused',
    guard: 'safety_envelope',
    audit: refused('oscar'),
    arrange: (h) => h.report('physical', { speed: 1400 }),
    act: (h) => submission(h, bearer('oscar'), request({ params: { rpm: 1600 } })),
  },
  {
    code: 'step_too_large',
    title: '1000 → 1300 is allowed, 1000 → 1301 is a step of 301 > 300',
    kind: 'refused',
    guard: 'safety_envelope',
    audit: refused('oscar'),
    act: (h) => submission(h, bearer('oscar'), request({ params: { rpm: 1301 } })),
  },
  {
    code: 'forbidden_state',
    title: 'the pump reports mode = maintenance',
    kind: 'refused',
    guard: 'safety_envelope',
    audit: refused('oscar'),
    arrange: (h) => h.report('physical', { mode: 'maintenance' }),
    act: (h) => submission(h, bearer('oscar'), request()),
  },
  {
    code: 'stale_twin',
    title: 'the reported speed is 45 s old (maxStateAge 30 s), the asset itself not yet stale',
    kind: 'refused',
    guard: 'freshness',
    audit: refused('oscar'),
    arrange: (h) => {
      h.advance(44_000);
      expect(h.engine.asset('pump-1', h.now())?.stale).toBe(false);
    },
    act: (h) => submission(h, bearer('oscar'), request()),
  },
  {
    code: 'stale_twin',
    title: 'nothing heard physically for longer than the class staleness (60 s)',
    kind: 'refused',
    guard: 'freshness',
    audit: refused('oscar'),
    arrange: (h) => {
      h.advance(60_000);
      h.engine.evaluate(h.now());
      expect(h.engine.asset('pump-1', h.now())?.stale).toBe(true);
    },
    act: (h) => submission(h, bearer('oscar'), request()),
  },
  {
    code: 'diverged_twin',
    title: 'twin 1200 vs physical 1000 (tolerance 10) for 15 s, past the 10 s grace',
    kind: 'refused',
    guard: 'divergence',
    audit: refused('oscar'),
    arrange: (h) => {
      h.report('twin', { speed: 1200 }, { atMs: T0 });
      h.advance(14_000);
      h.engine.evaluate(h.now());
      expect(h.engine.asset('pump-1', h.now())?.diverged).toBe(true);
    },
    act: (h) => submission(h, bearer('oscar'), request()),
  },
  {
    code: 'simulation_out_of_envelope',
    title: '1300 → 1500 is inside [0, 1500] but the ramp peaks at 1600',
    kind: 'refused',
    guard: 'simulation',
    audit: refused('oscar'),
    arrange: (h) => h.report('physical', { speed: 1300 }),
    act: (h) => submission(h, bearer('oscar'), request({ params: { rpm: 1500 } })),
  },
  {
    code: 'version_mismatch',
    title: 'the operator saw version 6, the pump reports version 7',
    kind: 'conflict',
    guard: 'precondition',
    audit: refused('oscar'),
    act: (h) => submission(h, bearer('oscar'), request({ expectedVersion: 6 })),
  },
  {
    code: 'command_in_flight',
    title: 'an earlier command was dispatched and the device never answered',
    kind: 'conflict',
    guard: 'conflict',
    device: 'silent',
    audit: refused('oscar'),
    arrange: async (h) => {
      const first = await h.gateway.submit(bearer('oscar'), request());
      expect(first.kind).toBe('ok');
      await h.settle();
      expect(h.ledger.get(recordOf(first).id)?.status).toBe('dispatched');
      expect(h.sent).toHaveLength(1);
      // Past the cooldown, so only the conflict stands in the way.
      h.advance(6_000);
    },
    act: (h) => submission(h, bearer('oscar'), request({ params: { rpm: 1150 } })),
  },
  {
    code: 'rate_limited',
    title: 'a third setSpeed within a minute (limit 2), each past the 5 s cooldown',
    kind: 'throttled',
    guard: 'rate_limit',
    audit: refused('oscar'),
    arrange: async (h) => {
      await applied(h, 1100);
      h.advance(6_000);
      await applied(h, 1200);
      h.advance(6_000);
      expect(h.sent).toHaveLength(2);
    },
    act: (h) => submission(h, bearer('oscar'), request({ params: { rpm: 1300 } })),
  },
  {
    code: 'cooldown',
    title: 'a second setSpeed 2 s after the first was applied (cooldown 5 s)',
    kind: 'throttled',
    guard: 'rate_limit',
    audit: refused('oscar'),
    arrange: async (h) => {
      await applied(h, 1100);
      h.advance(2_000);
    },
    act: (h) => submission(h, bearer('oscar'), request({ params: { rpm: 1200 } })),
  },
  {
    code: 'approval_required',
    title: 'a high-risk command is held (202), not refused',
    kind: 'held',
    guard: 'approval',
    audit: { actor: 'erin', action: 'command.pending_approval' },
    act: (h) => submission(h, bearer('erin'), request({ name: 'setPressure', params: { bar: 6 } })),
  },
  {
    code: 'approval_expired',
    title: 'a second engineer approves 10 min 1 s after submission (window 10 min)',
    kind: 'conflict',
    guard: 'approval',
    audit: { actor: 'emil', action: 'command.approve_refused' },
    arrange: async (h) => {
      const id = await held(h);
      h.advance(600_001);
      return id;
    },
    act: (h, id) => review(h, 'emil', id as string),
  },
  {
    code: 'self_approval',
    title: 'the submitter approves their own command',
    kind: 'forbidden',
    guard: 'approval',
    audit: { actor: 'erin', action: 'command.approve_refused' },
    arrange: (h) => held(h),
    act: (h, id) => review(h, 'erin', id as string),
  },
  {
    code: 'forbidden',
    title: 'an operator may not approve a high-risk command',
    kind: 'forbidden',
    guard: 'approval',
    audit: { actor: 'oscar', action: 'command.approve_refused' },
    arrange: (h) => held(h),
    act: (h, id) => review(h, 'oscar', id as string),
  },
];

describe('CommandGateway: every guard refuses with its reason code, and the audit holds it', () => {
  it('covers every reason code of the model', () => {
    const all: ReasonCode[] = [
      'unauthenticated',
      'forbidden',
      'unknown_asset',
      'unknown_command',
      'invalid_params',
      'kill_switch_engaged',
      'out_of_bounds',
      'step_too_large',
      'forbidden_state',
      'stale_twin',
      'diverged_twin',
      'simulation_out_of_envelope',
      'version_mismatch',
      'command_in_flight',
      'rate_limited',
      'cooldown',
      'approval_required',
      'approval_expired',
      'self_approval',
    ];
    expect(new Set(cases.map((c) => c.code))).toEqual(new Set(all));
  });

  it.each(cases)('$code: $title', async (c) => {
    const h = await build(c.device);
    const arranged = await c.arrange?.(h);
    const sentBefore = h.sent.length;
    const seqBefore = h.ledger.auditHead().seq;
    const knownIds = new Set(h.ledger.list({ limit: 1000 }).map((r) => r.id));

    const { answer: answered, request: req, commandId } = c.act(h, arranged);
    const answer = await answered;
    await h.settle();

    // The answer.
    expect(answer.kind).toBe(c.kind);
    let failing: Verdict;
    if (req && c.kind === 'unauthenticated') {
      // A stranger gets no verdicts, only why authentication failed.
      expect(answer.body).not.toHaveProperty('verdicts');
      const body = answer.body as { code?: string; error: string };
      expect(body.code).toBe(c.code);
      failing = {
        guard: 'authentication',
        pass: false,
        code: 'unauthenticated',
        message: body.error,
      };
    } else if (req) {
      const verdicts = (answer.body as { verdicts: Verdict[] }).verdicts;
      expect(verdicts.map((v) => v.guard)).toEqual(guardOrder.slice(0, verdicts.length));
      // Every guard before the failing one passed: the case provokes exactly this guard.
      expect(verdicts.slice(0, -1).every((v) => v.pass)).toBe(true);
      failing = verdicts[verdicts.length - 1] as Verdict;
      // A refusal stops the chain; a hold for approval runs it to the end.
      if (c.code === 'approval_required') expect(verdicts).toHaveLength(guardOrder.length);
    } else {
      expect((answer.body as { code?: string }).code).toBe(c.code);
      const entry = h.ledger
        .readAudit({ limit: 1000, afterSeq: seqBefore })
        .find((e) => 'action' in c.audit && e.action === c.audit.action);
      failing = (entry?.details as { verdict: Verdict }).verdict;
    }
    expect(failing).toMatchObject({ pass: false, guard: c.guard, code: c.code });
    expect(failing.message).toEqual(expect.any(String));
    // Rate limits and cooldowns say when to come back (the API sends it as Retry-After).
    if (c.kind === 'throttled') {
      expect(answer.retryAfterMs).toBeGreaterThan(0);
    } else {
      expect(answer.retryAfterMs).toBeUndefined();
    }

    // Nothing was dispatched, nothing waits to be.
    expect(h.sent).toHaveLength(sentBefore);
    expect(h.ledger.pendingIds(100)).toEqual([]);
    const newRecords = h.ledger.list({ limit: 1000 }).filter((r) => !knownIds.has(r.id));
    if (req && c.kind === 'unauthenticated') {
      expect(newRecords).toEqual([]); // no principal: no record
    } else if (req) {
      expect(newRecords).toHaveLength(1);
      const expected = c.code === 'approval_required' ? 'pending_approval' : 'refused';
      expect(newRecords[0]).toMatchObject({ status: expected, idempotencyKey: req.idempotencyKey });
      expect(newRecords[0]?.dispatchedAtMs).toBeUndefined();
    } else {
      expect(newRecords).toEqual([]);
      const reviewed = h.ledger.get(commandId as string);
      expect(reviewed?.dispatchedAtMs).toBeUndefined();
      expect(reviewed?.status).toBe(
        c.code === 'approval_expired' ? 'approval_rejected' : 'pending_approval',
      );
    }

    const audit: AuditEntry[] = h.ledger.readAudit({ limit: 1000 });
    const fresh = audit.filter((e) => e.seq > seqBefore);
    // A stranger is counted by reason, and writes nothing durable.
    if ('unauthenticated' in c.audit) {
      expect(fresh).toEqual([]);
      const counted = await h.registry.getSingleMetric('twin_command_unauthenticated_total')?.get();
      expect(counted?.values).toEqual([
        { labels: { route: 'submit', reason: c.audit.unauthenticated }, value: 1 },
      ]);
      const refusals = await h.registry.getSingleMetric('twin_command_refusals_total')?.get();
      expect(refusals?.values).toEqual([]);
      return;
    }
    // The audit log holds this attempt, naming the code.
    const { actor, action } = c.audit;
    const entries = fresh.filter((e) => e.actor === actor && e.action === action);
    expect(entries).toHaveLength(1);
    const entry = entries[0] as AuditEntry;
    expect(entry.atMs).toBe(h.now());
    if (req) {
      const details = entry.details as {
        request: { idempotencyKey: string; assetId: string; name: string };
        verdicts: Verdict[];
        status: string;
      };
      expect(entry.assetId).toBe(req.assetId);
      expect(details.request).toMatchObject({
        idempotencyKey: req.idempotencyKey,
        assetId: req.assetId,
        name: req.name,
      });
      expect(details.verdicts).toContainEqual(
        expect.objectContaining({ guard: c.guard, code: c.code, pass: false }),
      );
      expect(details.status).toBe(c.code === 'approval_required' ? 'pending_approval' : 'refused');
    } else {
      expect(entry.commandId).toBe(commandId);
      expect(entry.details).toMatchObject({ verdict: { guard: c.guard, code: c.code } });
    }
    const forbiddenActions = ['command.accepted', 'command.approved', 'command.dispatched'];
    expect(fresh.filter((e) => forbiddenActions.includes(e.action))).toEqual([]);
    expect(h.ledger.verifyAudit().ok).toBe(true);

    // Refused submissions are counted by the guard and code that refused them.
    if (req && c.code !== 'approval_required') {
      const refusals = await h.registry.getSingleMetric('twin_command_refusals_total')?.get();
      expect(refusals?.values).toEqual([
        expect.objectContaining({ labels: { guard: c.guard, code: c.code }, value: 1 }),
      ]);
    }
  });
});

describe('CommandGateway: accepted commands', () => {
  it('accepts a command inside every guard, dispatches it once and follows it to applied', async () => {
    const h = await build();
    const req = request({ params: { rpm: 1300 }, expectedVersion: 7 });
    const answer = await h.gateway.submit(bearer('oscar'), req);
    expect(answer.kind).toBe('ok');
    const body = answer.body as SubmitBody;
    expect(body.verdicts.map((v) => v.guard)).toEqual(guardOrder);
    expect(body.verdicts.every((v) => v.pass)).toBe(true);
    expect(body.command.status).toBe('accepted');

    await h.settle();
    expect(h.sent).toEqual([
      expect.objectContaining({
        commandId: body.command.id,
        assetId: 'pump-1',
        name: 'setSpeed',
        property: 'speed',
        value: 1300,
      }),
    ]);
    expect(h.ledger.get(body.command.id)?.status).toBe('acked');
    await h.tick();
    expect(h.ledger.get(body.command.id)).toMatchObject({ status: 'applied', outcome: 'applied' });
    expect(h.engine.asset('pump-1', h.now())?.properties).toContainEqual(
      expect.objectContaining({
        property: 'speed',
        physical: expect.objectContaining({ value: 1300 }),
      }),
    );
    // A repeated key answers the first record and sends nothing new.
    const again = await h.gateway.submit(bearer('oscar'), req);
    expect(again.kind).toBe('ok');
    expect(again.body).toMatchObject({ duplicate: true, command: { id: body.command.id } });
    await h.settle();
    expect(h.sent).toHaveLength(1);

    const actions = h.ledger.readAudit({ commandId: body.command.id, limit: 1000 });
    expect(actions.map((e) => e.action)).toEqual([
      'command.accepted',
      'command.dispatched',
      'command.ack',
      'command.ack',
      'command.outcome',
      'command.duplicate',
    ]);
    expect(actions[4]?.details).toMatchObject({ outcome: 'applied' });
    expect(h.ledger.verifyAudit().ok).toBe(true);
  });

  it('sends a held command only after a second engineer approves it, then applies it', async () => {
    const h = await build();
    const id = await held(h);
    await h.settle();
    expect(h.sent).toEqual([]);
    h.advance(60_000);
    // The pump is still heard from, so the re-run chain finds the twin fresh.
    h.report('physical', { speed: 1000, mode: 'auto', pressure: 4 });
    const answer = await h.gateway.review(bearer('emil'), id, 'approve', 'checked the line');
    expect(answer.kind).toBe('ok');
    expect(answer.body).toMatchObject({ command: { status: 'accepted', approvedBy: 'emil' } });
    await h.settle();
    expect(h.sent).toEqual([expect.objectContaining({ commandId: id, property: 'pressure' })]);
    await h.tick();
    expect(h.ledger.get(id)).toMatchObject({ status: 'applied', outcome: 'applied' });
    const actions = h.ledger.readAudit({ commandId: id, limit: 1000 }).map((e) => e.action);
    expect(actions.slice(0, 3)).toEqual([
      'command.pending_approval',
      'command.approved',
      'command.dispatched',
    ]);
  });

  it('decides submissions of one event-loop turn in one ledger transaction; one that fails loses no other', async () => {
    const h = await build();
    for (const extra of ['pump-2', 'pump-3']) {
      const values = { speed: 1000, mode: 'auto', pressure: 4 };
      h.engine.apply(
        Object.entries(values).map(([property, value]) => ({
          ...point('physical', property, value, h.now()),
          assetId: extra,
        })),
        h.now(),
      );
    }
    const batches = vi.spyOn(h.ledger, 'batch');
    const original = h.ledger.recordDecision.bind(h.ledger);
    vi.spyOn(h.ledger, 'recordDecision').mockImplementation((req, ...rest) => {
      if (req.assetId === 'pump-2') throw new Error('disk full');
      return original(req, ...rest);
    });
    const answers = await Promise.allSettled(
      ['pump-1', 'pump-2', 'pump-3'].map((assetId) =>
        h.gateway.submit(bearer('oscar'), request({ assetId, params: { rpm: 1100 } })),
      ),
    );
    expect(batches).toHaveBeenCalledTimes(1);
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((answers[1] as PromiseRejectedResult).reason).toEqual(new Error('disk full'));
    await h.settle();
    // Both recorded commands were sent; the failed one left nothing behind, not even audit.
    expect(h.sent.map((m) => m.assetId).sort()).toEqual(['pump-1', 'pump-3']);
    expect(
      h.ledger
        .list({ limit: 100 })
        .map((r) => r.assetId)
        .sort(),
    ).toEqual(['pump-1', 'pump-3']);
    expect(h.ledger.readAudit({ limit: 100 }).some((e) => e.assetId === 'pump-2')).toBe(false);
    expect(h.ledger.verifyAudit().ok).toBe(true);
  });

  it('keeps several sends on the wire: a new command does not wait behind a slow send', async () => {
    const releases: (() => void)[] = [];
    const batches: string[][] = [];
    const slow: DeviceTransport = {
      start: async () => undefined,
      stop: async () => undefined,
      send: (messages) => {
        batches.push(messages.map((m) => m.assetId));
        return new Promise((resolve) => releases.push(resolve));
      },
    };
    const h = await build('simulated', slow);
    const values = { speed: 1000, mode: 'auto', pressure: 4 };
    h.engine.apply(
      Object.entries(values).map(([property, value]) => ({
        ...point('physical', property, value, h.now()),
        assetId: 'pump-2',
      })),
      h.now(),
    );
    const first = recordOf(await h.gateway.submit(bearer('oscar'), request())).id;
    const secondAnswer = await h.gateway.submit(bearer('oscar'), request({ assetId: 'pump-2' }));
    expect(secondAnswer.kind, JSON.stringify(secondAnswer.body)).toBe('ok');
    const second = recordOf(secondAnswer).id;
    await nextImmediate();
    // Both on the wire at once, each once, neither marked until its own send is acknowledged.
    expect(batches).toEqual([['pump-1'], ['pump-2']]);
    expect(h.ledger.get(first)?.status).toBe('accepted');
    releases[1]!();
    await nextImmediate();
    expect(h.ledger.get(second)?.status).toBe('dispatched');
    expect(h.ledger.get(first)?.status).toBe('accepted');
    // A drain while the first is still on the wire does not send it again.
    void h.gateway.drain();
    expect(batches).toHaveLength(2);
    releases[0]!();
    await h.gateway.drain();
    expect(h.ledger.get(first)?.status).toBe('dispatched');
    expect(batches).toHaveLength(2);
  });

  it("sends the command in the submitter's trace, from a dispatch span of its own", async () => {
    const h = await build('silent');
    const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const answer = await h.gateway.submit({ ...bearer('oscar'), traceparent: incoming }, request());
    const id = recordOf(answer).id;
    await h.settle();
    const [decided, dispatched] = h.spans.getFinishedSpans();
    expect(decided?.name).toBe('command.guard_chain');
    expect(decided?.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(decided?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(decided?.attributes).toMatchObject({
      'twin.command.id': id,
      'twin.command.decision': 'accepted',
    });
    // The ledger keeps the deciding span's context; the device gets the dispatch span's.
    expect(h.ledger.get(id)?.traceparent).toBe(
      `00-4bf92f3577b34da6a3ce929d0e0e4736-${decided?.spanContext().spanId}-01`,
    );
    expect(dispatched?.name).toBe('command.dispatch');
    expect(dispatched?.parentSpanContext?.spanId).toBe(decided?.spanContext().spanId);
    expect(h.sent).toEqual([
      expect.objectContaining({
        commandId: id,
        traceparent: `00-4bf92f3577b34da6a3ce929d0e0e4736-${dispatched?.spanContext().spanId}-01`,
      }),
    ]);
  });

  it("joins an ack that arrives after a restart to the command's trace", async () => {
    const h = await build('silent');
    const id = recordOf(await h.gateway.submit(bearer('oscar'), request())).id;
    await h.settle();
    const decided = h.spans.getFinishedSpans()[0]!;
    await h.gateway.stop();
    // A new process: another gateway and tracer on the same ledger; the ack comes from Kafka.
    let deliver: (ack: CommandAck) => void = () => undefined;
    const spans = new InMemorySpanExporter();
    const restarted = new CommandGateway({
      config: config.commands,
      divergence: config.sli.divergence,
      ledger: h.ledger,
      engine: h.engine,
      transport: {
        start: async (onAck) => {
          deliver = onAck;
        },
        send: async () => undefined,
        stop: async () => undefined,
      },
      registry: new Registry(),
      tracer: new Tracing(undefined, { spanExporter: spans }).tracer,
      now: h.now,
      tickMs: 3_600_000,
    });
    await restarted.start();
    deliver({ commandId: id, assetId: 'pump-1', status: 'rejected', message: 'valve stuck' });
    await restarted.stop();
    const [ack, outcome] = spans.getFinishedSpans();
    for (const span of [ack, outcome]) {
      expect(span?.spanContext().traceId).toBe(decided.spanContext().traceId);
      expect(span?.parentSpanContext?.spanId).toBe(decided.spanContext().spanId);
    }
    expect(ack?.attributes).toMatchObject({ 'twin.command.ack.status': 'rejected' });
    expect(outcome?.attributes).toMatchObject({ 'twin.command.outcome': 'rejected_by_device' });
    expect(outcome?.status).toMatchObject({ code: 2, message: 'valve stuck' });
  });

  it('times out a command the device accepted but never finished, within the ack timeout', async () => {
    const h = await build('manual');
    const id = recordOf(await h.gateway.submit(bearer('oscar'), request())).id;
    await h.settle();
    h.acks.get(id)!({ commandId: id, assetId: 'pump-1', status: 'accepted' });
    await h.settle();
    expect(h.ledger.get(id)).toMatchObject({ status: 'acked', ackedAtMs: h.now() });
    expect(h.ledger.get(id)?.doneAtMs).toBeUndefined();
    h.advance(config.commands.ackTimeoutMs);
    await h.tick();
    expect(h.ledger.get(id)?.outcome).toBeUndefined(); // not past the timeout yet
    h.advance(1);
    await h.tick();
    expect(h.ledger.get(id)).toMatchObject({
      outcome: 'timed_out',
      outcomeMessage: 'accepted, but not done within 5 s',
    });
  });

  it('judges convergence from the done ack, so a slow device is not blamed for its pace', async () => {
    const h = await build('manual');
    const id = recordOf(
      await h.gateway.submit(bearer('oscar'), request({ params: { rpm: 1100 } })),
    ).id;
    await h.settle();
    h.acks.get(id)!({ commandId: id, assetId: 'pump-1', status: 'accepted' });
    await h.settle();
    // Done 4 s later (inside the 5 s ack timeout); by then the accepted ack is 4 s old.
    h.advance(4_000);
    h.report('physical', { speed: 1000, mode: 'auto', pressure: 4 });
    h.acks.get(id)!({ commandId: id, assetId: 'pump-1', status: 'done', reportedValue: 1100 });
    await h.settle();
    const doneAt = h.now();
    expect(h.ledger.get(id)).toMatchObject({ status: 'acked', doneAtMs: doneAt });
    // 4.5 s after done (8.5 s after accepted, past the 5 s convergence timeout from there): the
    // pump still reports 1000, but convergence has 0.5 s left.
    h.advance(4_500);
    h.report('physical', { speed: 1000, mode: 'auto', pressure: 4 });
    await h.tick();
    expect(h.ledger.get(id)?.outcome).toBeUndefined();
    h.advance(400);
    h.report('physical', { speed: 1100, mode: 'auto', pressure: 4 });
    await h.tick();
    expect(h.ledger.get(id)).toMatchObject({ outcome: 'applied' });
    // Two acks, one command: dispatch-to-first-ack is observed once, at the accepted ack (0 s).
    const ackSeconds = await h.registry.getSingleMetric('twin_command_ack_seconds')?.get();
    // prom-client's values carry the series name (`_count`, `_sum`), which its types leave out.
    const countOf = (name: string) =>
      ackSeconds?.values.find(
        (v) =>
          (v as { metricName?: string }).metricName === name && v.labels.asset_class === 'pump',
      );
    expect(countOf('twin_command_ack_seconds_count')?.value).toBe(1);
    expect(countOf('twin_command_ack_seconds_sum')?.value).toBe(0);
  });

  it('calls a done command that never converges diverged_after_ack, once past the timeout from done', async () => {
    const h = await build('manual');
    const id = recordOf(
      await h.gateway.submit(bearer('oscar'), request({ params: { rpm: 1100 } })),
    ).id;
    await h.settle();
    h.acks.get(id)!({ commandId: id, assetId: 'pump-1', status: 'done', reportedValue: 1100 });
    await h.settle();
    h.advance(config.commands.convergenceTimeoutMs + 1);
    h.report('physical', { speed: 1000, mode: 'auto', pressure: 4 });
    await h.tick();
    expect(h.ledger.get(id)).toMatchObject({
      outcome: 'diverged_after_ack',
      outcomeMessage: 'speed still reports 1000, commanded 1100',
    });
  });

  it('times out a command it could not send, and never sends it stale once the devices are back', async () => {
    const h = await build();
    const transport = (h.gateway as unknown as { options: { transport: InProcessDeviceTransport } })
      .options.transport;
    await transport.stop(); // the devices are unreachable: sends fail, the command stays queued
    const answer = await h.gateway.submit(bearer('oscar'), request({ params: { rpm: 1100 } }));
    expect(answer.kind).toBe('ok');
    const id = recordOf(answer).id;
    await h.settle();
    expect(h.ledger.get(id)).toMatchObject({ status: 'accepted' });
    h.advance(config.commands.ackTimeoutMs + 1);
    await h.tick();
    expect(h.ledger.get(id)).toMatchObject({ outcome: 'timed_out' });
    await transport.start(() => undefined);
    await h.settle();
    expect(h.sent).toEqual([]);
    // And the asset is free for a fresh command: nothing is left in flight.
    expect(h.ledger.inFlight('pump-1')).toEqual([]);
  });
});

describe('the gateway behind a stock Grafana 12 (X-Grafana-Context, no X-Grafana-User)', () => {
  /** What Grafana's plugin proxy sends through the app's editor route for a signed-in user. */
  const grafanaUser = (
    login: string,
    userId: number,
    extra: Record<string, unknown> = {},
  ): Headers => ({
    'x-twinops-proxy-secret': proxySecret,
    'x-grafana-org-role': 'Editor',
    'x-grafana-context': JSON.stringify({
      UserID: userId,
      UserUID: `uid-${login}`,
      OrgID: 1,
      OrgRole: 'Editor',
      Login: login,
      Name: login,
      IsAnonymous: false,
      IsServiceAccount: false,
      ...extra,
    }),
  });

  it('holds a high-risk command for a second person, never its submitter', async () => {
    const h = await build();
    const submitted = await h.gateway.submit(
      grafanaUser('gina', 11),
      request({ name: 'setPressure', params: { bar: 6 } }),
    );
    expect(submitted.kind).toBe('held');
    const id = recordOf(submitted).id;
    expect(h.ledger.get(id)).toMatchObject({ user: 'gina', status: 'pending_approval' });

    // The same Grafana user, whatever case their login arrives in, cannot approve it.
    for (const self of [grafanaUser('gina', 11), grafanaUser('GINA', 11)]) {
      const own = await h.gateway.review(self, id, 'approve', 'my own');
      expect(own).toMatchObject({ kind: 'forbidden', body: { code: 'self_approval' } });
    }
    // Neither can a service account nor an anonymous user, whatever their role.
    const robot = grafanaUser('sa-1-robot', 12, { IsServiceAccount: true, OrgRole: 'Admin' });
    const anonymous = grafanaUser('', 0, { IsAnonymous: true, OrgRole: 'Admin' });
    for (const who of [robot, anonymous]) {
      const answer = await h.gateway.review(who, id, 'approve', 'not a person');
      expect(answer).toMatchObject({ kind: 'forbidden', body: { code: 'forbidden' } });
      expect((answer.body as { error: string }).error).toContain('may read but never approve');
    }
    // …though both may read.
    expect((await h.gateway.read(anonymous, (ledger) => ledger.get(id))).kind).toBe('ok');

    const approved = await h.gateway.review(grafanaUser('gus', 12), id, 'approve', 'checked');
    expect(approved).toMatchObject({
      kind: 'ok',
      body: { command: { status: 'accepted', user: 'gina', approvedBy: 'gus' } },
    });
    await h.settle();
    expect(h.sent).toEqual([expect.objectContaining({ commandId: id, property: 'pressure' })]);
    const actors = h.ledger.readAudit({ commandId: id, limit: 100 }).map((e) => e.actor);
    expect(actors).toEqual(
      expect.arrayContaining(['gina', 'sa-1-robot', 'anonymous:org-1', 'gus']),
    );
  });

  it('refuses a submission from a service account or an anonymous user with a reason', async () => {
    const h = await build();
    const robot = grafanaUser('sa-1-robot', 12, { IsServiceAccount: true });
    const answer = await h.gateway.submit(robot, request());
    expect(answer.kind).toBe('forbidden');
    const refusal = (answer.body as SubmitBody).verdicts.find((v) => !v.pass);
    expect(refusal).toMatchObject({ guard: 'authorization', code: 'forbidden' });
    expect(refusal?.message).toBe(
      'sa-1-robot is a service account, which may read but never submit medium-risk commands; sign in as a person',
    );
  });
});
