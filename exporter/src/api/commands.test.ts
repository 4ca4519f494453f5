import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenDigest } from '../commands/auth.js';
import {
  auditArchiveSchema,
  commandRequestSchema,
  httpAnswer,
  killSwitchSchema,
  retirementSchema,
  reviewSchema,
} from './commands.js';
import { configFromDocument } from '../config/index.js';
import { startExporter, type RunningExporter } from '../exporter.js';
import { guardNames } from '../../../contracts/api.js';
import { pumpSetSpeed } from '../../test/commands/pump-catalog.js';

/**
 * The command API end to end in one process (embedded default: the simulated in-process device):
 * authentication, authorization, guards, ledger, dispatch, ack and convergence to `applied`.
 */

const users = {
  alice: 'operator',
  bob: 'engineer',
  erin: 'engineer',
  carol: 'admin',
  dave: 'viewer',
} as const;
const tokenOf = (user: keyof typeof users): string => `token-of-${user}-0123456789`;

const auth = {
  tokens: Object.entries(users).map(([user, role]) => ({
    sha256: tokenDigest(tokenOf(user as keyof typeof users)),
    user,
    roles: [role],
  })),
};

const config = configFromDocument({
  server: { host: '127.0.0.1', otlpPort: 0, metricsPort: 0, apiPort: 0 },
  state: { snapshot: { path: ':memory:' } },
  commands: {
    enabled: true,
    ledgerPath: ':memory:',
    devices: 'simulated',
    ackTimeout: '2s',
    convergenceTimeout: '2s',
    auth,
    catalog: {
      pump: {
        setSpeed: {
          ...pumpSetSpeed,
          risk: 'medium',
          envelope: { ...pumpSetSpeed.envelope, maxStep: 300 },
          simulation: { kind: 'set' },
        },
        purge: { ...pumpSetSpeed, risk: 'high', simulation: { kind: 'set' } },
      },
    },
  },
});

const ns = (ms: number): string => String(BigInt(Math.round(ms)) * 1_000_000n);
const text = (key: string, value: string) => ({ key, value: { stringValue: value } });

/** Reports the physical `speed` of pumps now, over OTLP/HTTP JSON. */
function postSpeeds(
  exporter: RunningExporter,
  pumps: { id: string; site?: string }[],
  rpm: number,
): Promise<Response> {
  const resourceMetrics = pumps.map(({ id, site }) => ({
    resource: {
      attributes: [
        text('twin.asset.id', id),
        text('twin.asset.class', 'pump'),
        ...(site ? [text('twin.site', site)] : []),
      ],
    },
    scopeMetrics: [
      {
        metrics: [
          {
            name: 'speed',
            gauge: {
              dataPoints: [
                {
                  timeUnixNano: ns(Date.now()),
                  asDouble: rpm,
                  attributes: [text('twin.source', 'physical')],
                },
              ],
            },
          },
        ],
      },
    ],
  }));
  return fetch(`${exporter.urls.otlp}/v1/metrics`, {
    method: 'POST',
    body: JSON.stringify({ resourceMetrics }),
    headers: { 'Content-Type': 'application/json' },
  });
}

describe('command API (embedded default, simulated device)', () => {
  let exporter: RunningExporter;
  let key = 0;
  const nextKey = (): string => `key-${Date.now()}-${++key}`;
  const call = (
    method: string,
    path: string,
    user?: keyof typeof users,
    body?: unknown,
    headers: Record<string, string> = {},
  ) =>
    fetch(`${exporter.urls.api}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...(user ? { Authorization: `Bearer ${tokenOf(user)}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  const submit = (user: keyof typeof users | undefined, params: object, extra: object = {}) =>
    call('POST', '/api/v1/commands', user, {
      idempotencyKey: nextKey(),
      assetId: 'pump-1',
      name: 'setSpeed',
      params,
      reason: 'test the pump',
      ...extra,
    });
  const reportSpeed = async (rpm: number) => {
    const response = await postSpeeds(exporter, [{ id: 'pump-1' }], rpm);
    expect(response.status).toBe(200);
  };
  const outcomeOf = async (id: string): Promise<string> => {
    for (let i = 0; i < 100; i++) {
      const record = (await (await call('GET', `/api/v1/commands/${id}`, 'carol')).json()) as {
        outcome?: string;
      };
      if (record.outcome) return record.outcome;
      await new Promise((resolveSoon) => setTimeout(resolveSoon, 50));
    }
    throw new Error(`command ${id} reached no outcome`);
  };

  beforeAll(async () => {
    exporter = await startExporter(config);
    await reportSpeed(1000);
  });
  afterAll(async () => exporter?.close());

  it('refuses an unauthenticated submission with 401, counts it, and writes nothing', async () => {
    const auditSize = async () =>
      ((await (await call('GET', '/api/v1/audit?limit=1000', 'carol')).json()) as unknown[]).length;
    const before = await auditSize();
    const response = await submit(undefined, { rpm: 1100 });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { code: string }).code).toBe('unauthenticated');
    const wrong = await call(
      'POST',
      '/api/v1/commands',
      undefined,
      {
        idempotencyKey: nextKey(),
        assetId: 'pump-1',
        name: 'setSpeed',
        params: { rpm: 1 },
        reason: 'test the pump',
      },
      { Authorization: 'Bearer not-a-token' },
    );
    expect(wrong.status).toBe(401);
    // Not even a dry run tells a stranger anything about the asset.
    const dry = await call('POST', '/api/v1/commands', undefined, {
      idempotencyKey: nextKey(),
      assetId: 'pump-1',
      name: 'setSpeed',
      params: { rpm: 1 },
      reason: 'test the pump',
      dryRun: true,
    });
    expect(dry.status).toBe(401);
    expect(await dry.json()).not.toHaveProperty('verdicts');
    // Authenticated before the body is read: an invalid body from a stranger is still a 401.
    const junk = await call('POST', '/api/v1/commands', undefined, '{"not json', {
      'Content-Type': 'application/json',
    });
    expect(junk.status).toBe(401);
    expect(await auditSize()).toBe(before);
    const metrics = await (await fetch(`${exporter.urls.metrics}/metrics`)).text();
    expect(metrics).toMatch(
      /^twin_command_unauthenticated_total\{route="submit",reason="no_credentials"\} 3$/m,
    );
    expect(metrics).toMatch(
      /^twin_command_unauthenticated_total\{route="submit",reason="unknown_token"\} 1$/m,
    );
  });

  it('refuses a viewer (403 forbidden) and reads need a login too', async () => {
    const response = await submit('dave', { rpm: 1100 });
    expect(response.status).toBe(403);
    expect((await call('GET', '/api/v1/commands')).status).toBe(401);
  });

  it('answers a dry run with every guard verdict and sends nothing', async () => {
    const before = (await (
      await call('GET', '/api/v1/commands?limit=500', 'carol')
    ).json()) as unknown[];
    const response = await submit('alice', { rpm: 1100 }, { dryRun: true });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      decision: string;
      verdicts: { guard: string; pass: boolean }[];
    };
    expect(body.decision).toBe('accepted');
    expect(body.verdicts.map((v) => v.guard)).toEqual(guardNames);
    const after = (await (
      await call('GET', '/api/v1/commands?limit=500', 'carol')
    ).json()) as unknown[];
    expect(after).toEqual(before);
  });

  it('accepts, dispatches, and follows a command until the asset reports the new speed (applied)', async () => {
    const response = await submit('alice', { rpm: 1200 });
    expect(response.status).toBe(200);
    const { command } = (await response.json()) as { command: { id: string; status: string } };
    expect(await outcomeOf(command.id)).toBe('applied');
    const metrics = await (await fetch(`${exporter.urls.metrics}/metrics`)).text();
    expect(metrics).toMatch(
      /twin_command_outcomes_total\{asset_class="pump",command="setSpeed",outcome="applied"\} 1/,
    );
  });

  it('returns the first result for a repeated idempotency key and sends nothing new; 409 for a different request', async () => {
    const idempotencyKey = nextKey();
    const body = {
      idempotencyKey,
      assetId: 'pump-1',
      name: 'setSpeed',
      params: { rpm: 1300 },
      reason: 'test the pump',
    };
    const first = (await (await call('POST', '/api/v1/commands', 'alice', body)).json()) as {
      command: { id: string };
    };
    await outcomeOf(first.command.id);
    const again = (await (await call('POST', '/api/v1/commands', 'alice', body)).json()) as {
      command: { id: string };
      duplicate: boolean;
    };
    expect(again).toMatchObject({ command: { id: first.command.id }, duplicate: true });
    const conflict = await call('POST', '/api/v1/commands', 'alice', {
      ...body,
      params: { rpm: 1250 },
    });
    expect(conflict.status).toBe(409);
    const metrics = await (await fetch(`${exporter.urls.metrics}/metrics`)).text();
    expect(metrics).toMatch(
      /twin_command_outcomes_total\{asset_class="pump",command="setSpeed",outcome="applied"\} 2/,
    );
  });

  it('refuses what leaves the safety envelope, naming the limit (422)', async () => {
    const tooFast = (await (await submit('alice', { rpm: 1900 })).json()) as {
      error: string;
      code: string;
      verdicts: { code?: string; message: string }[];
    };
    expect(tooFast.verdicts.find((v) => v.code)).toMatchObject({ code: 'out_of_bounds' });
    // Said at the top too, as every other 4xx of the API says it.
    expect(tooFast).toMatchObject({
      code: 'out_of_bounds',
      error: tooFast.verdicts.find((v) => v.code)!.message,
    });
    const response = await submit('alice', { rpm: 200 });
    expect(response.status).toBe(422);
    expect(
      ((await response.json()) as { verdicts: { code?: string }[] }).verdicts.find((v) => v.code)
        ?.code,
    ).toBe('step_too_large');
  });

  it('serves the command catalog per asset class to any signed-in user, and to nobody else', async () => {
    expect((await call('GET', '/api/v1/catalog')).status).toBe(401);
    const response = await call('GET', '/api/v1/catalog', 'alice');
    expect(response.status).toBe(200);
    const catalog = (await response.json()) as Record<string, Record<string, unknown>>;
    expect(Object.keys(catalog)).toEqual(['pump']);
    expect(catalog.pump?.setSpeed).toMatchObject({
      risk: 'medium',
      params: { required: ['rpm'], properties: { rpm: { type: 'number' } } },
      sets: { property: 'speed', param: 'rpm' },
      envelope: { min: 0, max: 1500, maxStep: 300 },
    });
    expect(catalog.pump?.purge).toMatchObject({ risk: 'high' });
  });

  it('kill switch: only an admin may engage it; while engaged every command is refused', async () => {
    expect(
      (await call('PUT', '/api/v1/kill-switch', 'alice', { engaged: true, reason: 'try it' }))
        .status,
    ).toBe(403);
    expect(
      (await call('PUT', '/api/v1/kill-switch', 'carol', { engaged: true, reason: 'incident 42' }))
        .status,
    ).toBe(200);
    const refused = (await (await submit('alice', { rpm: 1350 })).json()) as {
      verdicts: { code?: string }[];
    };
    expect(refused.verdicts.find((v) => v.code)?.code).toBe('kill_switch_engaged');
    expect(
      (
        await call('PUT', '/api/v1/kill-switch', 'carol', {
          engaged: false,
          reason: 'incident 42 over',
        })
      ).status,
    ).toBe(200);
    const metrics = await (await fetch(`${exporter.urls.metrics}/metrics`)).text();
    expect(metrics).toMatch(/twin_command_kill_switch_engaged\{scope="global"\} 0/);
  });

  it('holds a high-risk command for a second person: no self-approval, then applied', async () => {
    const held = await call('POST', '/api/v1/commands', 'bob', {
      idempotencyKey: nextKey(),
      assetId: 'pump-1',
      name: 'purge',
      params: { rpm: 1300 },
      reason: 'purge the line',
    });
    expect(held.status).toBe(202);
    const { command } = (await held.json()) as { command: { id: string; status: string } };
    expect(command.status).toBe('pending_approval');
    const self = await call('POST', `/api/v1/commands/${command.id}/approve`, 'bob', {
      reason: 'looks fine',
    });
    expect(self.status).toBe(403);
    expect(((await self.json()) as { code: string }).code).toBe('self_approval');
    const approved = await call('POST', `/api/v1/commands/${command.id}/approve`, 'erin', {
      reason: 'checked the line',
    });
    expect(approved.status).toBe(200);
    expect(await outcomeOf(command.id)).toBe('applied');
  });

  it('refuses control characters in names with 400 naming the field', async () => {
    for (const control of ['\u0000', '\r', '\t', '\u007f', '\u0085']) {
      const request = {
        idempotencyKey: nextKey(),
        assetId: 'pump-1',
        name: 'setSpeed',
        params: { rpm: 1 },
        reason: 'test the pump',
      };
      for (const field of ['assetId', 'name'] as const) {
        const response = await call('POST', '/api/v1/commands', 'alice', {
          ...request,
          [field]: `${request[field]}${control}`,
        });
        expect(response.status).toBe(400);
        expect(((await response.json()) as { error: string }).error).toMatch(
          new RegExp(`^body/${field} must match pattern`),
        );
      }
      const killSwitch = await call('PUT', '/api/v1/kill-switch', 'carol', {
        assetClass: `pump${control}`,
        engaged: true,
        reason: 'incident 42',
      });
      expect(killSwitch.status).toBe(400);
      expect(((await killSwitch.json()) as { error: string }).error).toMatch(
        /^body\/assetClass must match pattern/,
      );
    }
  });

  it('refuses bad input with a clear 4xx and dispatches nothing', async () => {
    const before = (
      (await (await call('GET', '/api/v1/commands?limit=500', 'carol')).json()) as unknown[]
    ).length;
    const missing = await call('POST', '/api/v1/commands', 'alice', {
      idempotencyKey: nextKey(),
      assetId: 'pump-1',
      name: 'setSpeed',
      params: { rpm: 1 },
    });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: string }).error).toMatch(/reason/);
    const unknownKey = await call('POST', '/api/v1/commands', 'alice', {
      idempotencyKey: nextKey(),
      assetId: 'pump-1',
      name: 'setSpeed',
      params: { rpm: 1 },
      reason: 'test the pump',
      force: true,
    });
    expect(unknownKey.status).toBe(400);
    expect(await unknownKey.json()).toEqual({
      error: 'body must NOT have additional properties: "force"',
    });
    // A JSON body means what it says: no number read as a string, no null read as false.
    for (const [field, value, error] of [
      ['assetId', 12, 'body/assetId must be string'],
      ['dryRun', null, 'body/dryRun must be boolean'],
      ['idempotencyKey', [10000000], 'body/idempotencyKey must be string'],
    ] as const) {
      const wrongType = await call('POST', '/api/v1/commands', 'alice', {
        idempotencyKey: nextKey(),
        assetId: 'pump-1',
        name: 'setSpeed',
        params: { rpm: 1 },
        reason: 'test the pump',
        [field]: value,
      });
      expect(wrongType.status, field).toBe(400);
      expect(await wrongType.json()).toEqual({ error });
    }
    expect((await call('POST', '/api/v1/commands', 'alice', '{"idempotencyKey": ')).status).toBe(
      400,
    );
    expect(
      (
        await call('POST', '/api/v1/commands', 'alice', {
          idempotencyKey: nextKey(),
          assetId: 'pump-1',
          name: 'setSpeed',
          params: { rpm: 1 },
          reason: 'x'.repeat(70_000),
        })
      ).status,
    ).toBe(413);
    const badParams = await submit('alice', { rpm: 'fast' });
    expect(badParams.status).toBe(422);
    expect(JSON.stringify(await badParams.json())).toMatch(/params\.rpm/);
    const after = (await (await call('GET', '/api/v1/commands?limit=500', 'carol')).json()) as {
      status: string;
    }[];
    expect(after.length).toBe(before + 1); // only the refused bad-params attempt is recorded
    expect(after.filter((c) => c.status === 'accepted')).toEqual([]);
  });

  it('keeps an audit chain that verifies and exports as JSON lines', async () => {
    const verify = (await (await call('GET', '/api/v1/audit/verify', 'dave')).json()) as {
      ok: boolean;
      entries: number;
    };
    expect(verify.ok).toBe(true);
    const response = await call('GET', '/api/v1/audit/export', 'dave');
    expect(response.headers.get('content-type')).toBe('application/x-ndjson');
    expect(response.headers.get('x-twinops-audit-start-seq')).toBe('0');
    const exported = await response.text();
    expect(exported.trim().split('\n').length).toBe(verify.entries);
    const metrics = await (await fetch(`${exporter.urls.metrics}/metrics`)).text();
    expect(metrics).toMatch(/^twin_command_audit_chain_valid 1$/m);
  });

  it('exports from ?after=, and names what is wrong with a bad one', async () => {
    const { entries } = (await (await call('GET', '/api/v1/audit/verify', 'dave')).json()) as {
      entries: number;
    };
    const tail = await call('GET', `/api/v1/audit/export?after=${entries - 2}`, 'dave');
    expect(tail.headers.get('x-twinops-audit-start-seq')).toBe(String(entries - 2));
    const lines = (await tail.text()).trimEnd().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { seq: number }).seq)).toEqual([
      entries - 1,
      entries,
    ]);
    const notANumber = await call('GET', '/api/v1/audit/export?after=abc', 'dave');
    expect(notANumber.status).toBe(400);
    expect(((await notANumber.json()) as { error: string }).error).toContain('after');
    const beyond = await call('GET', `/api/v1/audit/export?after=${entries + 1000}`, 'dave');
    expect(beyond.status).toBe(400);
    expect(await beyond.json()).toMatchObject({
      code: 'beyond_head',
      error: expect.stringContaining(`is beyond the last audit entry`),
    });
    expect((await call('GET', '/api/v1/audit/export')).status).toBe(401);
  });

  it('archives the audit log for admins only, and verifies from the checkpoint', async () => {
    const archive = (user: keyof typeof users | undefined, body: unknown, headers = {}) =>
      call('POST', '/api/v1/audit/archive', user, body, headers);
    const head = async () =>
      (
        (await (await call('GET', '/api/v1/audit?limit=1000', 'carol')).json()) as { seq: number }[]
      ).at(-1)?.seq ?? 0;
    const before = await head();
    // Strangers: 401 before the body is read, and nothing written.
    expect((await archive(undefined, { throughSeq: 1, reason: 'tidy up' })).status).toBe(401);
    const forged = await archive(
      undefined,
      { throughSeq: 1, reason: 'tidy up' },
      { 'X-Twinops-Proxy-Secret': 'guessed' },
    );
    expect(forged.status).toBe(401);
    expect(await head()).toBe(before);
    // An engineer is refused, and that is audited.
    const engineer = await archive('bob', { throughSeq: 1, reason: 'tidy up' });
    expect(engineer.status).toBe(403);
    expect(await engineer.json()).toMatchObject({ code: 'forbidden' });
    const refusal = (
      (await (await call('GET', '/api/v1/audit?limit=1000', 'carol')).json()) as {
        actor: string;
        action: string;
      }[]
    ).at(-1);
    expect(refusal).toMatchObject({ actor: 'bob', action: 'audit.archive_refused' });
    // Beyond the head: 409 naming both numbers.
    const tooFar = await archive('carol', { throughSeq: 1_000_000, reason: 'tidy up' });
    expect(tooFar.status).toBe(409);
    expect(await tooFar.json()).toMatchObject({
      code: 'beyond_head',
      error: expect.stringMatching(
        /^throughSeq 1000000 is beyond the last audit entry \(row \d+\)$/,
      ),
    });
    expect((await archive('carol', { throughSeq: 0, reason: 'tidy up' })).status).toBe(400);
    // The admin archives through a seq; verification and export start from the checkpoint.
    const done = await archive('carol', { throughSeq: 3, reason: 'exported to cold storage' });
    expect(done.status).toBe(200);
    const { checkpoint } = (await done.json()) as { checkpoint: { seq: number; hash: string } };
    expect(checkpoint).toMatchObject({ seq: 3, actor: 'carol', count: 3 });
    const verify = await (await call('GET', '/api/v1/audit/verify', 'dave')).json();
    expect(verify).toMatchObject({ ok: true, checkpoint: { seq: 3, hash: checkpoint.hash } });
    const exported = await call('GET', '/api/v1/audit/export', 'dave');
    expect(exported.headers.get('x-twinops-audit-start-seq')).toBe('3');
    expect(exported.headers.get('x-twinops-audit-start-hash')).toBe(checkpoint.hash);
    const first = JSON.parse((await exported.text()).split('\n')[0] as string) as {
      seq: number;
      prevHash: string;
    };
    expect(first).toMatchObject({ seq: 4, prevHash: checkpoint.hash });
    const archived = await call('GET', '/api/v1/audit/export?after=1', 'dave');
    expect(archived.status).toBe(409);
    expect(await archived.json()).toMatchObject({
      code: 'archived',
      error: 'rows through 3 are archived: export from after=3 or later',
    });
    const again = await archive('carol', { throughSeq: 2, reason: 'tidy up' });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ code: 'already_archived' });
    const metrics = await (await fetch(`${exporter.urls.metrics}/metrics`)).text();
    expect(metrics).toMatch(
      /^twin_command_unauthenticated_total\{route="audit_archive",reason="proxy_disabled"\} 1$/m,
    );
  });
});

describe('retiring assets (dark ones stay stale until then)', () => {
  let exporter: RunningExporter;
  const retireConfig = configFromDocument({
    server: { host: '127.0.0.1', otlpPort: 0, metricsPort: 0, apiPort: 0 },
    state: { snapshot: { path: ':memory:' }, retention: '300ms' },
    sli: { evaluationInterval: '100ms' },
    commands: {
      enabled: true,
      ledgerPath: ':memory:',
      auth,
      catalog: {},
    },
  });
  const call = (user: keyof typeof users | undefined, body: unknown) =>
    fetch(`${exporter.urls.api}/api/v1/assets/retire`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        ...(user ? { Authorization: `Bearer ${tokenOf(user)}` } : {}),
      },
      body: JSON.stringify(body),
    });
  const asset = async (id: string) => {
    const response = await fetch(`${exporter.urls.api}/api/v1/assets/${id}`);
    return response.status === 404 ? undefined : ((await response.json()) as { dark: boolean });
  };
  const audit = async () =>
    (await (
      await fetch(`${exporter.urls.api}/api/v1/audit?limit=100`, {
        headers: { Authorization: `Bearer ${tokenOf('carol')}` },
      })
    ).json()) as { action: string; actor: string; details: Record<string, unknown> }[];

  beforeAll(async () => {
    exporter = await startExporter(retireConfig);
    const response = await postSpeeds(
      exporter,
      ['plant-a', 'plant-b', 'plant-b'].map((site, i) => ({ id: `pump-${i + 7}`, site })),
      1,
    );
    expect(response.status).toBe(200);
    for (let i = 0; i < 100 && !(await asset('pump-9'))?.dark; i++) {
      await new Promise((resolveSoon) => setTimeout(resolveSoon, 50));
    }
  });
  afterAll(async () => exporter?.close());

  it('keeps silent assets dark and stale, counted as such', async () => {
    expect(await asset('pump-7')).toMatchObject({ dark: true, stale: true });
    const metrics = await (await fetch(`${exporter.urls.metrics}/metrics`)).text();
    expect(metrics).toMatch(/^twin_dark_assets\{asset_class="pump"\} 3$/m);
    expect(metrics).toMatch(/^twin_stale_assets\{asset_class="pump"\} 3$/m);
  });

  it('refuses an unauthenticated call with 401, counts it, and writes nothing', async () => {
    const before = (await audit()).length;
    expect((await call(undefined, { assets: ['pump-7'], reason: 'gone' })).status).toBe(401);
    expect((await audit()).length).toBe(before);
    expect(await asset('pump-7')).toBeDefined();
    const metrics = await (await fetch(`${exporter.urls.metrics}/metrics`)).text();
    expect(metrics).toMatch(
      /^twin_command_unauthenticated_total\{route="retire",reason="no_credentials"\} 1$/m,
    );
  });

  it('refuses a role the policy does not allow (403), and audits the attempt', async () => {
    const response = await call('alice', { assets: ['pump-7'], reason: 'gone for good' });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: 'forbidden' });
    expect((await audit()).at(-1)).toMatchObject({
      action: 'assets.retire_refused',
      actor: 'alice',
    });
    expect(await asset('pump-7')).toBeDefined();
  });

  it('retires the dark assets of a site, audited first, and they stop counting', async () => {
    const response = await call('bob', { dark: { site: 'plant-b' }, reason: 'site closed' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      retired: ['pump-8', 'pump-9'],
      notHeld: [],
      remaining: 0,
    });
    expect((await audit()).at(-1)).toMatchObject({
      action: 'assets.retire',
      actor: 'bob',
      details: { dark: { site: 'plant-b' }, ids: ['pump-8', 'pump-9'], reason: 'site closed' },
    });
    expect(await asset('pump-8')).toBeUndefined();
    await new Promise((resolveSoon) => setTimeout(resolveSoon, 300)); // an evaluation or two
    const metrics = await (await fetch(`${exporter.urls.metrics}/metrics`)).text();
    expect(metrics).toMatch(/^twin_stale_assets\{asset_class="pump"\} 1$/m);
    expect(metrics).toMatch(/^twin_state_evictions_total\{reason="retired"\} 2$/m);
  });

  it('retires named assets and says which were not held', async () => {
    const response = await call('carol', {
      assets: ['pump-7', 'no-such'],
      reason: 'gone for good',
    });
    expect(await response.json()).toEqual({ retired: ['pump-7'], notHeld: ['no-such'] });
  });

  it('refuses a body that names both, or neither, with 400', async () => {
    for (const body of [
      { reason: 'no selector' },
      { assets: ['a'], dark: {}, reason: 'both selectors' },
      { assets: [], reason: 'empty list' },
      { assets: ['a'], reason: 'x' },
      { assets: ['pump\u00007'], reason: 'a NUL in an id' },
      { dark: { assetClass: 'pump\r' }, reason: 'a CR in a class' },
    ]) {
      expect((await call('carol', body)).status, JSON.stringify(body)).toBe(400);
    }
  });
});

describe('published request schemas (exporter/schemas/)', () => {
  const cases = [
    {
      file: 'command-request.schema.json',
      schema: commandRequestSchema,
      good: {
        idempotencyKey: 'key-0001',
        assetId: 'pump-1',
        name: 'setSpeed',
        params: {},
        reason: 'why not',
      },
      bad: { idempotencyKey: 'key-0001', assetId: 'pump-1', name: 'setSpeed', params: {} },
      error: "must have required property 'reason'",
    },
    {
      file: 'command-review.schema.json',
      schema: reviewSchema,
      good: { reason: 'checked the line' },
      bad: { reason: 'checked', approve: true },
      error: 'must NOT have additional properties',
    },
    {
      file: 'kill-switch.schema.json',
      schema: killSwitchSchema,
      good: { assetClass: 'pump', engaged: true, reason: 'incident 42' },
      bad: { engaged: 'yes', reason: 'incident 42' },
      error: 'must be boolean',
    },
    {
      file: 'audit-archive.schema.json',
      schema: auditArchiveSchema,
      good: { throughSeq: 120, reason: 'exported to cold storage' },
      bad: { throughSeq: 0, reason: 'exported' },
      error: 'must be >= 1',
    },
    {
      file: 'asset-retirement.schema.json',
      schema: retirementSchema,
      good: { dark: { site: 'plant-b' }, reason: 'site closed' },
      bad: { assets: ['a'], dark: {}, reason: 'site closed' },
      error: 'must match exactly one schema in oneOf',
    },
  ];

  it.each(cases)('$file is a strict JSON Schema the API validates with', (c) => {
    const published = JSON.parse(
      readFileSync(new URL(`../../schemas/${c.file}`, import.meta.url), 'utf8'),
    ) as Record<string, unknown>;
    expect(published).toMatchObject({ ...c.schema, $schema: expect.stringContaining('draft-07') });
    const validate = new Ajv({ strict: true, allErrors: true }).compile(published);
    expect(validate(c.good)).toBe(true);
    expect(validate(c.bad)).toBe(false);
    expect(validate.errors?.map((e) => e.message)).toContain(c.error);
  });
});

describe('the gateway answers as HTTP', () => {
  it('gives each kind its status, and a wait as Retry-After in whole seconds (at least 1)', () => {
    const expected = [
      ['ok', 200],
      ['held', 202],
      ['unauthenticated', 401],
      ['forbidden', 403],
      ['not_found', 404],
      ['conflict', 409],
      ['refused', 422],
      ['throttled', 429],
      ['failed', 500],
    ] as const;
    for (const [kind, status] of expected) {
      expect(httpAnswer({ kind, body: {} }).status, kind).toBe(status);
    }
    const body = { error: 'cooldown' };
    expect(httpAnswer({ kind: 'throttled', body, retryAfterMs: 1_200 })).toEqual({
      status: 429,
      headers: { 'Retry-After': '2' },
      body,
    });
    expect(httpAnswer({ kind: 'throttled', body, retryAfterMs: 10 }).headers).toEqual({
      'Retry-After': '1',
    });
    expect(httpAnswer({ kind: 'ok', body }).headers).toEqual({});
  });
});
