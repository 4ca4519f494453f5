/**
 * The command API of a real exporter (fastify, commands on, tokens, a ledger file): arbitrary
 * bodies, content types and credentials against its write routes. Properties: never a 5xx; a
 * 4xx is JSON with an `error`; a request without valid credentials never adds a command to the
 * ledger; with a valid token, a body that breaks the request schema in one known field gets a 400
 * naming that field.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { tokenDigest } from '../../exporter/src/commands/auth.js';
import { configFromDocument } from '../../exporter/src/config/index.js';
import { startExporter } from '../../exporter/src/exporter.js';
import { pumpCatalog } from '../../exporter/test/commands/pump-catalog.js';
import { check, type FuzzTarget } from './run.js';

const operatorToken = 'fuzz-operator-token-0123456789';
const viewerToken = 'fuzz-viewer-token-0123456789';

type Credentials = 'operator' | 'viewer' | 'none' | 'wrong-token' | 'garbage' | 'proxy';

/** A request body: JSON text or a command, and the field it breaks when it breaks exactly one. */
interface Body {
  text?: string;
  command?: Record<string, unknown>;
  breaks?: string;
}

const validCommand = fc.record({
  idempotencyKey: fc.stringMatching(/^[A-Za-z0-9._:-]{8,40}$/),
  assetId: fc.constantFrom('pump-1', 'pump-2', 'no-such-asset'),
  name: fc.constantFrom('setSpeed', 'purge'),
  params: fc.oneof(
    fc.record({ rpm: fc.oneof(fc.integer({ min: -10, max: 2000 }), fc.double()) }),
    fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  ),
  reason: fc.constantFrom('fuzzing the API', 'why not'),
  dryRun: fc.option(fc.boolean(), { nil: undefined }),
});

const required = ['idempotencyKey', 'assetId', 'name', 'params', 'reason'] as const;

/** One field broken: missing, of the wrong type, out of its bounds, or a key nobody knows. */
const brokenCommand: fc.Arbitrary<Body> = fc
  .tuple(
    validCommand,
    fc.oneof(
      fc.record({ kind: fc.constant('missing' as const), field: fc.constantFrom(...required) }),
      fc.record({
        kind: fc.constant('type' as const),
        field: fc.constantFrom(...required, 'dryRun', 'expectedVersion'),
        value: fc.oneof(
          fc.integer(),
          fc.boolean(),
          fc.constant(null),
          fc.array(fc.nat(), { maxLength: 2 }),
        ),
      }),
      fc.record({
        kind: fc.constant('bounds' as const),
        field: fc.constantFrom('idempotencyKey', 'assetId', 'name', 'reason', 'expectedVersion'),
      }),
      fc.record({
        kind: fc.constant('unknown' as const),
        field: fc.constantFrom('force', 'priority', 'idempotency_key', '__proto__x'),
      }),
    ),
  )
  .filter(([, broken]) => {
    // A wrong type that the schema still takes (a number where one is allowed) breaks nothing.
    if (broken.kind !== 'type') return true;
    const v = broken.value;
    if (broken.field === 'params') return !(v && typeof v === 'object' && !Array.isArray(v));
    if (broken.field === 'expectedVersion') return !(Number.isInteger(v) && (v as number) >= 0);
    if (broken.field === 'dryRun') return typeof v !== 'boolean';
    return typeof v !== 'string';
  })
  .map(([command, broken]) => {
    const body: Record<string, unknown> = { ...command };
    if (broken.kind === 'missing') delete body[broken.field];
    else if (broken.kind === 'type') body[broken.field] = broken.value;
    else if (broken.kind === 'unknown') body[broken.field] = true;
    else {
      const tooLong: Record<string, unknown> = {
        idempotencyKey: 'short',
        assetId: '',
        name: 'n'.repeat(257),
        reason: 'no',
        expectedVersion: -1,
      };
      body[broken.field] = tooLong[broken.field];
    }
    return { command: body, breaks: broken.field };
  });

const anyBody: fc.Arbitrary<Body> = fc.oneof(
  { weight: 3, arbitrary: validCommand.map((command) => ({ command })) },
  { weight: 4, arbitrary: brokenCommand },
  fc.jsonValue().map((v) => ({ text: JSON.stringify(v) ?? 'null' })),
  fc.string({ unit: 'binary', maxLength: 100 }).map((text) => ({ text })),
  fc
    .constantFrom('', '{', '{"idempotencyKey": ', 'null', '[]', '"x"', '{"__proto__":{"a":1}}')
    .map((text) => ({ text })),
  fc
    .integer({ min: 60_000, max: 70_000 })
    .map((n) => ({ text: JSON.stringify({ reason: 'x'.repeat(n) }) })),
);

const route = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ method: 'POST', path: '/api/v1/commands' }) },
  fc.constantFrom(
    { method: 'POST', path: '/api/v1/commands/no-such-id/approve' },
    { method: 'POST', path: '/api/v1/commands/x/reject' },
    { method: 'PUT', path: '/api/v1/kill-switch' },
    { method: 'POST', path: '/api/v1/assets/retire' },
    { method: 'POST', path: `/api/v1/commands/${'i'.repeat(80)}/approve` },
  ),
);

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  fc.constantFrom(
    undefined,
    'application/json; charset=utf-8',
    'text/plain',
    'application/x-www-form-urlencoded',
    'application/json; charset=latin1',
    'application/octet-stream',
    'Application/JSON',
    '*/*',
  ),
);

const credentials = fc.constantFrom<Credentials>(
  'operator',
  'operator',
  'viewer',
  'none',
  'wrong-token',
  'garbage',
  'proxy',
);

/** Header values: printable, since a client cannot send control characters in one. */
const headerText = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 60,
});

function authHeaders(who: Credentials, junk: string): Record<string, string> {
  switch (who) {
    case 'operator':
      return { authorization: `Bearer ${operatorToken}` };
    case 'viewer':
      return { authorization: `Bearer ${viewerToken}` };
    case 'none':
      return {};
    case 'wrong-token':
      return { authorization: `Bearer ${junk || 'x'}` };
    case 'garbage':
      return { authorization: junk };
    case 'proxy':
      return {
        'x-twinops-proxy-secret': junk,
        'x-grafana-user': 'mallory',
        'x-grafana-org-role': 'Admin',
      };
  }
}

export const commandApi: FuzzTarget = {
  name: 'command-api',
  longRuns: 20_000,
  async run(runs, seed) {
    const dir = mkdtempSync(join(tmpdir(), 'twinops-fuzz-api-'));
    const ledgerPath = join(dir, 'commands.db');
    const exporter = await startExporter(
      configFromDocument({
        server: { host: '127.0.0.1', otlpPort: 0, metricsPort: 0, apiPort: 0 },
        state: { snapshot: { path: ':memory:' } },
        commands: {
          enabled: true,
          ledgerPath,
          devices: 'simulated',
          ackTimeout: '1s',
          convergenceTimeout: '1s',
          auth: {
            tokens: [
              { sha256: tokenDigest(operatorToken), user: 'olga', roles: ['operator'] },
              { sha256: tokenDigest(viewerToken), user: 'vera', roles: ['viewer'] },
            ],
          },
          catalog: pumpCatalog,
        },
      }),
    );
    // Known, fresh pumps: valid commands then get past the guards to the ledger and the device.
    const text = (key: string, value: string) => ({ key, value: { stringValue: value } });
    const reported = await fetch(`${exporter.urls.otlp}/v1/metrics`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        resourceMetrics: ['pump-1', 'pump-2'].map((id) => ({
          resource: { attributes: [text('twin.asset.id', id), text('twin.asset.class', 'pump')] },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'speed',
                  gauge: {
                    dataPoints: [
                      {
                        timeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
                        asDouble: 1000,
                        attributes: [text('twin.source', 'physical')],
                      },
                    ],
                  },
                },
              ],
            },
          ],
        })),
      }),
    });
    if (reported.status !== 200) throw new Error(`reporting the pumps got ${reported.status}`);
    const ledger = new Database(ledgerPath, { readonly: true });
    const commands = ledger.prepare('SELECT count(*) AS n FROM commands');
    const rows = () => (commands.get() as { n: number }).n;
    let sent = 0;
    try {
      const property = fc.asyncProperty(
        route,
        credentials,
        headerText,
        contentType,
        anyBody,
        async ({ method, path }, who, junk, type, body) => {
          // Each command its own idempotency key (unless that is the field broken): a key seen in
          // an earlier run would be answered with that run's command.
          const command = body.command && { ...body.command };
          if (
            command &&
            typeof command.idempotencyKey === 'string' &&
            body.breaks !== 'idempotencyKey'
          ) {
            command.idempotencyKey = `${command.idempotencyKey}.${++sent}`;
          }
          const text = command ? JSON.stringify(command) : (body.text ?? '');
          const before = rows();
          const response = await fetch(`${exporter.urls.api}${path}`, {
            method,
            headers: { ...authHeaders(who, junk), ...(type ? { 'content-type': type } : {}) },
            body: text,
          });
          const answer = await response.text();
          const status = response.status;
          const where = `${method} ${path} as ${who}, content type ${type}, body ${text.slice(0, 300)}: ${status} ${answer.slice(0, 300)}`;
          if (status >= 500) throw new Error(`a ${status}: ${where}`);
          if (status >= 400) {
            let error: unknown;
            try {
              error = (JSON.parse(answer) as { error?: unknown }).error;
            } catch {
              throw new Error(`a ${status} that is not JSON: ${where}`);
            }
            if (typeof error !== 'string' || !error)
              throw new Error(`a ${status} without an error: ${where}`);
          }
          const authenticated = who === 'operator' || who === 'viewer';
          if (!authenticated && rows() !== before) {
            throw new Error(
              `an unauthenticated request added ${rows() - before} commands: ${where}`,
            );
          }
          const json = type === 'application/json' || type === 'application/json; charset=utf-8';
          if (authenticated && json && body.breaks && path === '/api/v1/commands') {
            if (status !== 400) throw new Error(`breaking ${body.breaks} got ${where}`);
            const message = (JSON.parse(answer) as { error: string }).error;
            if (!message.includes(body.breaks)) {
              throw new Error(`the 400 for ${body.breaks} does not name it: ${where}`);
            }
          }
        },
      );
      return await check('command-api', property, runs, seed);
    } finally {
      ledger.close();
      await exporter.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
