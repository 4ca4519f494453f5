import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandLedger } from '../../exporter/src/commands/ledger/ledger.js';
import { startDeviceAgent, type DeviceAgent } from '../../device-agent/index.js';
import { startKafka, waitFor, type KafkaBroker } from '../bed/index.js';
import { startExporterProcess, type ExporterProcess } from '../support/exporter-process.js';
import { pumpCatalog } from '../../exporter/test/commands/pump-catalog.js';
import { topics } from '../../contracts/commands.js';

/**
 * Guarded commands against a real Kafka broker and the reference device agent: command → agent →
 * ack → reported state → outcome, for every agent failure mode; and SIGKILL of the exporter
 * before dispatch and between dispatch and ack, after which every accepted command is
 * dispatched exactly once and reaches an outcome, with an audit chain that still verifies.
 */

const operatorToken = 'operator-token-0123456789';
const env = { TWINOPS_API_TOKENS: `olga:operator:${operatorToken}` };
const pumps = [
  'pump-ok',
  'pump-slow',
  'pump-refuse',
  'pump-lazy',
  'pump-silent',
  'pump-crash1',
  'pump-crash2',
  'pump-dies',
];

describe('guarded commands through Kafka with the reference device agent', () => {
  let broker: KafkaBroker;
  let agent: DeviceAgent;
  let exporter: ExporterProcess;
  const workDir = mkdtempSync(join(tmpdir(), 'twinops-commands-e2e-'));
  const ledgerPath = join(workDir, 'commands.db');
  const configPath = join(workDir, 'exporter.yaml');

  const exporterConfig = () => ({
    state: { snapshot: { path: join(workDir, 'state.db'), interval: '200ms' } },
    ingest: { kafka: { brokers: [broker.bootstrap] } },
    commands: {
      enabled: true,
      ledgerPath,
      devices: 'kafka',
      // Longer than a restart takes (the ack consumer's session is 10 s), and than the agent's
      // reports take to resume after one (its OTLP exporter backs off while we are down).
      ackTimeout: '15s',
      convergenceTimeout: '20s',
      maxStateAge: '1m',
      catalog: pumpCatalog,
    },
  });
  // A restarted exporter comes back on the same ports: the agent keeps reporting to it.
  const start = () =>
    startExporterProcess(exporterConfig(), { configPath, env, ports: exporter?.ports });

  /** The trace the first test's submissions come from (as from a traced Grafana request). */
  const callerTrace = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const submit = async (assetId: string, rpm: number) => {
    const response = await fetch(`${exporter.apiUrl}/api/v1/commands`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${operatorToken}`,
        traceparent: callerTrace,
      },
      body: JSON.stringify({
        idempotencyKey: randomUUID(),
        assetId,
        name: 'setSpeed',
        params: { rpm },
        reason: 'e2e test',
      }),
    });
    const body = (await response.json()) as { command: { id: string }; verdicts: unknown };
    expect(response.status, JSON.stringify(body.verdicts)).toBe(200);
    return body.command.id;
  };
  const outcomeOf = (id: string) =>
    waitFor(
      `command ${id} to reach an outcome`,
      async () => {
        const response = await fetch(`${exporter.apiUrl}/api/v1/commands/${id}`, {
          headers: { Authorization: `Bearer ${operatorToken}` },
        });
        const record = (await response.json()) as { outcome?: string };
        return record.outcome;
      },
      30_000,
    );
  const dispatchesOf = (id: string) =>
    agent.received().filter((r) => r.command?.commandId === id && !r.duplicate).length;

  beforeAll(async () => {
    broker = await startKafka({
      topics: [
        { topic: topics.commands, numPartitions: 3 },
        { topic: topics.acks, numPartitions: 3 },
      ],
    });
    exporter = await start();
    agent = await startDeviceAgent({
      brokers: [broker.bootstrap],
      otlpEndpoint: exporter.otlpUrl,
      reportEveryMs: 500,
      initialValues: pumps.map((assetId) => ({
        assetId,
        assetClass: 'pump',
        values: { speed: 1000 },
      })),
      modes: {
        'pump-slow': { mode: 'slow', delayMs: 1500 },
        'pump-refuse': 'refuse',
        'pump-lazy': 'ack_without_apply',
        'pump-silent': 'silent',
        'pump-dies': 'crash',
        'pump-crash2': { mode: 'slow', delayMs: 3000 },
      },
    });
    // The agent's reports make every pump known and fresh to the twin.
    await waitFor('the pumps in the twin', async () => {
      const page = (await (await fetch(`${exporter.apiUrl}/api/v1/assets?class=pump`)).json()) as {
        total: number;
      };
      return page.total === pumps.length ? true : undefined;
    });
  }, 180_000);
  afterAll(async () => {
    await agent?.stop();
    await exporter?.stop();
    await broker?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('each agent behaviour yields its outcome, counted by the actuation SLI', async () => {
    const cases = [
      ['pump-ok', 'applied'],
      ['pump-slow', 'applied'],
      ['pump-refuse', 'rejected_by_device'],
      ['pump-lazy', 'diverged_after_ack'],
      ['pump-silent', 'timed_out'],
    ] as const;
    const ids = await Promise.all(cases.map(([asset]) => submit(asset, 1200)));
    const outcomes = await Promise.all(ids.map(outcomeOf));
    expect(outcomes).toEqual(cases.map(([, outcome]) => outcome));
    for (const id of ids) expect(dispatchesOf(id)).toBe(1);
    // Each command reached the device in the caller's trace, as its own span.
    const contexts = ids.map(
      (id) => agent.received().find((r) => r.command?.commandId === id)?.headers.traceparent,
    );
    for (const context of contexts) expect(context?.slice(0, 36)).toBe(callerTrace.slice(0, 36));
    expect(new Set(contexts).size).toBe(ids.length);
    expect(agent.assetValue('pump-ok', 'speed')).toBe(1200);
    const metrics = await (await fetch(`${exporter.metricsUrl}/metrics`)).text();
    for (const outcome of ['rejected_by_device', 'diverged_after_ack', 'timed_out']) {
      expect(metrics).toMatch(
        new RegExp(
          `twin_command_outcomes_total\\{asset_class="pump",command="setSpeed",outcome="${outcome}"\\} 1`,
        ),
      );
    }
    expect(metrics).toMatch(
      /twin_command_outcomes_total\{asset_class="pump",command="setSpeed",outcome="applied"\} 2/,
    );
  });

  it('a device that dies mid-command gets it again when it restarts, and the command is applied', async () => {
    const known = (await (await fetch(`${exporter.apiUrl}/api/v1/assets?limit=100`)).json()) as {
      items: { id: string }[];
    };
    expect(known.items.map((a) => a.id).sort()).toEqual([...pumps].sort());
    const id = await submit('pump-dies', 1250);
    await waitFor('the agent to crash on it', () =>
      agent.state() === 'crashed' ? true : undefined,
    );
    await agent.stop();
    agent = await startDeviceAgent({
      brokers: [broker.bootstrap],
      otlpEndpoint: exporter.otlpUrl,
      reportEveryMs: 500,
      initialValues: pumps.map((assetId) => ({
        assetId,
        assetClass: 'pump',
        values: { speed: 1000 },
      })),
      modes: { 'pump-crash2': { mode: 'slow', delayMs: 3000 } },
    });
    expect(await outcomeOf(id)).toBe('applied');
    expect(agent.assetValue('pump-dies', 'speed')).toBe(1250);
  });

  it('after a SIGKILL between accept and dispatch, the command is dispatched exactly once and applied', async () => {
    process.kill(exporter.pid, 'SIGKILL');
    await exporter.stop();
    // What the killed process had written: an accepted command in the outbox, not yet sent.
    const ledger = new CommandLedger(ledgerPath);
    const id = randomUUID();
    const request = {
      idempotencyKey: randomUUID(),
      assetId: 'pump-crash1',
      name: 'setSpeed',
      params: { rpm: 1300 },
      reason: 'e2e test',
    };
    ledger.recordDecision(
      request,
      { user: 'olga', roles: ['operator'], via: 'token', kind: 'user' },
      [{ guard: 'authentication', pass: true, message: 'ok' }],
      { status: 'accepted', assetClass: 'pump', risk: 'low', id },
      Date.now(),
    );
    ledger.close();
    exporter = await start();
    expect(await outcomeOf(id)).toBe('applied');
    expect(dispatchesOf(id)).toBe(1);
  });

  it('after a SIGKILL between dispatch and ack, the ack is still matched and the command applied, sent once', async () => {
    const id = await submit('pump-crash2', 1100);
    await waitFor('the agent to receive it', () => (dispatchesOf(id) === 1 ? true : undefined));
    process.kill(exporter.pid, 'SIGKILL'); // the agent applies and acks 3 s later, while it is down
    await exporter.stop();
    await sleep(500);
    exporter = await start();
    expect(await outcomeOf(id)).toBe('applied');
    await sleep(1000);
    expect(dispatchesOf(id)).toBe(1);
  });

  it('keeps an audit chain that verifies across the crashes, and names a row edited behind its back', async () => {
    const verify = async () =>
      (await (
        await fetch(`${exporter.apiUrl}/api/v1/audit/verify`, {
          headers: { Authorization: `Bearer ${operatorToken}` },
        })
      ).json()) as { ok: boolean; seq?: number };
    expect((await verify()).ok).toBe(true);
    await exporter.stop();
    // Someone with file access drops the append-only triggers and edits a row.
    const raw = new Database(ledgerPath);
    for (const { name } of raw
      .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'")
      .all() as { name: string }[])
      raw.exec(`DROP TRIGGER ${name}`);
    raw.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3").run();
    raw.close();
    exporter = await start();
    expect(await verify()).toMatchObject({ ok: false, seq: 3 });
    // The gauge the audit alert watches says so too (it was verified at start and just now).
    const metrics = await (await fetch(`${exporter.metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(/^twin_command_audit_chain_valid 0$/m);
  });
});
