import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandAck } from '../exporter/src/commands/model.js';
import type { CommandMessage } from '../exporter/src/commands/transport.js';
import { applyEnvironment, configFromDocument } from '../exporter/src/config/index.js';
import { startExporter, type RunningExporter } from '../exporter/src/exporter.js';
import { waitFor } from '../test/bed/index.js';
import { startInProcessDevices, type InProcessDevices } from './index.js';
import { pumpCatalog } from '../exporter/test/commands/pump-catalog.js';

/**
 * The reference devices in process, as the demo runs them: a real exporter (embedded default,
 * `devices: simulated`) hands them each command; they ack through the callback and report the
 * applied value over real OTLP/HTTP, so an outcome is what the gateway made of the twin's ingest.
 */

const token = 'operator-token-0123456789';
const pumps = ['pump-ok', 'pump-slow', 'pump-refuse', 'pump-lazy', 'pump-silent', 'pump-crash'];
const ackTimeoutMs = 2_000;
const slowMs = 500;

const config = applyEnvironment(
  configFromDocument({
    server: { host: '127.0.0.1', otlpPort: 0, metricsPort: 0, apiPort: 0 },
    state: { snapshot: { path: ':memory:' } },
    commands: {
      enabled: true,
      ledgerPath: ':memory:',
      devices: 'simulated',
      ackTimeout: `${ackTimeoutMs}ms`,
      convergenceTimeout: '1s',
      catalog: pumpCatalog,
    },
  }),
  { TWINOPS_API_TOKENS: `olga:operator:${token}` },
);

let exporter: RunningExporter;
let devices: InProcessDevices;
const extraDevices: InProcessDevices[] = [];
const log: string[] = [];

beforeAll(async () => {
  // As in the demo: the devices exist before the exporter, and learn its OTLP URL after.
  devices = startInProcessDevices({
    reportEveryMs: 200,
    initialValues: pumps.map((assetId) => ({
      assetId,
      assetClass: 'pump',
      values: { speed: 1000 },
    })),
    modes: {
      'pump-slow': { mode: 'slow', delayMs: slowMs },
      'pump-refuse': { mode: 'refuse', reason: 'interlock engaged' },
      'pump-lazy': 'ack_without_apply',
      'pump-silent': 'silent',
      'pump-crash': 'crash',
    },
    log: (line) => log.push(line),
  });
  exporter = await startExporter(config, { inProcessDevice: devices.device });
  devices.reportTo(exporter.urls.otlp);
  // The periodic reports make every pump known and fresh to the twin.
  await waitFor('the pumps in the twin', () =>
    pumps.every((id) => physicalSpeed(id) === 1000) ? true : undefined,
  );
});

afterAll(async () => {
  for (const d of [devices, ...extraDevices]) await d?.stop();
  await exporter?.close();
});

const physicalSpeed = (assetId: string) =>
  exporter.engine.asset(assetId, Date.now())?.properties.find((p) => p.property === 'speed')
    ?.physical?.value;

interface CommandRecord {
  id: string;
  outcome?: string;
  outcomeMessage?: string;
  ackedAtMs?: number;
  doneAtMs?: number;
}

async function submit(assetId: string, rpm: number): Promise<string> {
  const response = await fetch(`${exporter.urls.api}/api/v1/commands`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({
      idempotencyKey: randomUUID(),
      assetId,
      name: 'setSpeed',
      params: { rpm },
      reason: 'in-process devices test',
    }),
  });
  const body = (await response.json()) as { command: { id: string }; verdicts: unknown };
  expect(response.status, JSON.stringify(body.verdicts)).toBe(200);
  return body.command.id;
}

function outcomeOf(id: string): Promise<CommandRecord> {
  return waitFor(`command ${id} to reach an outcome`, async () => {
    const response = await fetch(`${exporter.urls.api}/api/v1/commands/${id}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    const record = (await response.json()) as CommandRecord;
    return record.outcome ? record : undefined;
  });
}

let commandCount = 0;
function message(assetId: string, value: unknown): CommandMessage {
  return {
    commandId: `direct-${++commandCount}`,
    assetId,
    assetClass: 'pump',
    name: 'setSpeed',
    property: 'speed',
    value,
    params: { rpm: value },
    issuedAtMs: Date.now(),
  };
}

/** Hands a message to the devices as the exporter's transport does, collecting the acks. */
function deliver(target: InProcessDevices, m: CommandMessage, into: CommandAck[] = []) {
  target.device(m, (ack) => into.push(ack));
  return into;
}

const statuses = (acks: CommandAck[]) => acks.map((a) => a.status);

/** Waits for the acks of a direct delivery (no gateway tick between): polls often. */
const untilAcks = (acks: CommandAck[], count: number) =>
  waitFor(`${count} acks`, () => (acks.length >= count ? acks : undefined), 10_000, 10);

describe('in-process reference devices with a real exporter (no Kafka)', () => {
  it('ok: applied, reported over OTLP, then done; the gateway sees it converge', async () => {
    const id = await submit('pump-ok', 1200);
    const record = await outcomeOf(id);
    expect(record).toMatchObject({ outcome: 'applied', outcomeMessage: 'speed reported 1200' });
    expect(devices.assetValue('pump-ok', 'speed')).toBe(1200);
    expect(physicalSpeed('pump-ok')).toBe(1200);
    expect(log).toContain(`[agent] ${id} pump-ok setSpeed speed=1200: done`);
  });

  it('each failure mode yields its outcome', async () => {
    const cases = [
      ['pump-slow', 'applied'],
      ['pump-refuse', 'rejected_by_device'],
      ['pump-lazy', 'diverged_after_ack'],
      ['pump-silent', 'timed_out'],
      // In process a crash only silences that command: `accepted`, never `done`.
      ['pump-crash', 'timed_out'],
    ] as const;
    const ids = await Promise.all(cases.map(([assetId]) => submit(assetId, 1100)));
    const records = await Promise.all(ids.map(outcomeOf));
    expect(records.map((r) => r.outcome)).toEqual(cases.map(([, outcome]) => outcome));
    const [slow, refused, lazy, silent, crashed] = records;

    expect(slow!.doneAtMs! - slow!.ackedAtMs!).toBeGreaterThanOrEqual(slowMs - 50);
    expect(refused!.outcomeMessage).toBe('interlock engaged');
    expect(lazy!.outcomeMessage).toMatch(/speed still reports 1000, commanded 1100/);
    expect(silent!.outcomeMessage).toMatch(/^no ack within/);
    expect(log).toContain(
      `[agent] ${silent!.id} pump-silent setSpeed speed=1100: silent, not acked`,
    );
    expect(crashed!.outcomeMessage).toMatch(/^accepted, but not done within/);
    expect(crashed!.doneAtMs).toBeUndefined();

    expect(devices.assetValue('pump-slow', 'speed')).toBe(1100);
    for (const assetId of ['pump-refuse', 'pump-lazy', 'pump-silent', 'pump-crash']) {
      expect(devices.assetValue(assetId, 'speed')).toBe(1000);
      expect(physicalSpeed(assetId)).toBe(1000);
    }
    expect(log).toContain(
      `[agent] ${crashed!.id} pump-crash: crashed on it, acked accepted and nothing more`,
    );
  });

  it('a crash in process is not fatal: with the mode changed, the next command is applied', async () => {
    devices.setMode('pump-crash', 'ok');
    const id = await submit('pump-crash', 1300);
    expect(await outcomeOf(id)).toMatchObject({ outcome: 'applied' });
    expect(physicalSpeed('pump-crash')).toBe(1300);
  });

  it('reports the applied value to the twin before acking done', async () => {
    const seenAtDone: unknown[] = [];
    const m = message('pump-ok', 900);
    devices.device(m, (ack) => {
      if (ack.status === 'done') seenAtDone.push(physicalSpeed('pump-ok'));
    });
    await waitFor('the done ack', () => (seenAtDone.length > 0 ? true : undefined));
    expect(seenAtDone).toEqual([900]);
  });

  it('checks commands as strictly as the Kafka agent, and answers a repeated id with the same acks', async () => {
    const malformed = deliver(devices, message('pump-7', undefined));
    await untilAcks(malformed, 2);
    expect(malformed[1]).toMatchObject({
      assetId: 'pump-7',
      status: 'rejected',
      message: 'invalid command: value must be a finite number, a string or a boolean',
    });
    expect(malformed[1]!.timeUnixNano).toMatch(/^\d{19}$/);

    const first = message('pump-8', 10);
    const acks = deliver(devices, first);
    await untilAcks(acks, 2);
    const second = deliver(devices, message('pump-8', 20));
    await untilAcks(second, 2);
    deliver(devices, first, acks);
    await untilAcks(acks, 4);
    expect(statuses(acks)).toEqual(['accepted', 'done', 'accepted', 'done']);
    expect(acks[3]!.reportedValue).toBe(10);
    expect(devices.assetValue('pump-8', 'speed')).toBe(20);
  });

  it('a command handed over before the OTLP endpoint is known waits for it', async () => {
    const early = startInProcessDevices({ reportEveryMs: 0 });
    extraDevices.push(early);
    const acks = deliver(early, message('pump-9', 42));
    await sleep(300);
    // Accepted, but not done: `done` follows the report, which has nowhere to go yet.
    expect(statuses(acks)).toEqual(['accepted']);
    expect(early.assetValue('pump-9', 'speed')).toBe(42);
    early.reportTo(exporter.urls.otlp);
    await untilAcks(acks, 2);
    expect(statuses(acks)).toEqual(['accepted', 'done']);
    expect(physicalSpeed('pump-9')).toBe(42);
    expect(() => early.reportTo(exporter.urls.otlp)).toThrow(/already/);
  });

  it('stop: commands in hand get no more acks, later ones none at all', async () => {
    const stopping = startInProcessDevices({
      otlpEndpoint: exporter.urls.otlp,
      modes: { '*': { mode: 'slow', delayMs: 5_000 } },
    });
    extraDevices.push(stopping);
    const inHand = deliver(stopping, message('pump-10', 5));
    await untilAcks(inHand, 1);
    const startedMs = Date.now();
    await stopping.stop();
    expect(Date.now() - startedMs).toBeLessThan(1_000);
    const after = deliver(stopping, message('pump-10', 6));
    await sleep(300);
    expect(statuses(inHand)).toEqual(['accepted']);
    expect(after).toEqual([]);
    expect(stopping.assetValue('pump-10', 'speed')).toBeUndefined();
  });
});
