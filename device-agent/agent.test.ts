import { setTimeout as sleep } from 'node:timers/promises';
import { Partitioners, type Consumer, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAndNormalize } from '../exporter/src/ingest/otlp/normalize.js';
import type { TwinPoint } from '../exporter/src/model.js';
import {
  serveHttp,
  startKafka,
  waitFor,
  type KafkaBroker,
  type LoopbackServer,
} from '../test/bed/index.js';
import {
  acksTopic,
  commandIdHeader,
  commandMessage,
  commandsTopic,
  startDeviceAgent,
  traceparentHeader,
  type CommandAck,
  type CommandMessage,
  type DeviceAgent,
  type PropertyValue,
} from './index.js';

/**
 * The device agent against a real broker: commands produced with kafkajs as the exporter will,
 * acks read back off `twin.commands.ack`, and the reported telemetry read by the exporter's own
 * OTLP normalizer, so "a physical point" means what the exporter would make of it.
 */

const groupId = 'agent-test';
const reportEveryMs = 300;

interface SeenAck {
  ack: CommandAck;
  key: string | undefined;
  headers: Record<string, string | undefined>;
  atMs: number;
}
type SeenPoint = TwinPoint & { path: string; receivedAtMs: number };

let broker: KafkaBroker;
let otlp: LoopbackServer;
let producer: Producer;
let ackConsumer: Consumer;
let agent: DeviceAgent;
const extraAgents: DeviceAgent[] = [];
const acks: SeenAck[] = [];
const points: SeenPoint[] = [];
/** What the exporter would have refused of the agent's telemetry. */
const rejections: string[] = [];

beforeAll(async () => {
  [broker, otlp] = await Promise.all([
    startKafka({
      topics: [
        { topic: commandsTopic, numPartitions: 3 },
        { topic: acksTopic, numPartitions: 3 },
      ],
    }),
    // readBody reads text; protobuf needs the raw bytes.
    serveHttp((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const path = req.url ?? '';
        const batch = decodeAndNormalize(
          path === '/v1/logs' ? 'logs' : 'metrics',
          'otlp_proto',
          Buffer.concat(chunks),
        );
        if (batch.rejectedCount > 0) rejections.push(batch.errorMessage);
        for (const p of batch.points) points.push({ ...p, path, receivedAtMs: Date.now() });
        res.writeHead(200).end();
      });
    }),
  ]);
  const kafka = broker.client('agent-test-exporter');
  producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  ackConsumer = kafka.consumer({ groupId: 'agent-test-acks' });
  await ackConsumer.connect();
  await ackConsumer.subscribe({ topic: acksTopic, fromBeginning: true });
  await ackConsumer.run({
    eachMessage: async ({ message }) => {
      acks.push({
        ack: JSON.parse(message.value!.toString()) as CommandAck,
        key: message.key?.toString(),
        headers: {
          [commandIdHeader]: message.headers?.[commandIdHeader]?.toString(),
          [traceparentHeader]: message.headers?.[traceparentHeader]?.toString(),
        },
        atMs: Date.now(),
      });
    },
  });
  agent = await startDeviceAgent({
    brokers: [broker.bootstrap],
    otlpEndpoint: otlp.url,
    groupId,
    reportEveryMs,
    modes: { valve: { mode: 'refuse', reason: 'interlock engaged' } },
    initialValues: [{ assetId: 'pump-3', assetClass: 'pump', values: { temperature: 60 } }],
  });
});

afterAll(async () => {
  for (const a of [agent, ...extraAgents]) await a?.stop();
  await ackConsumer?.disconnect();
  await producer?.disconnect();
  await otlp?.close();
  await broker?.stop();
});

let commandCount = 0;
function newCommand(assetId: string, property: string, value: PropertyValue): CommandMessage {
  return {
    commandId: `cmd-${++commandCount}`,
    assetId,
    assetClass: assetId.replace(/-\d+$/, ''),
    name: `set${property[0]!.toUpperCase()}${property.slice(1)}`,
    property,
    value,
    params: { [property]: value },
    issuedAtMs: Date.now(),
  };
}

const traceparentOf = (n: number): string =>
  `00-${n.toString(16).padStart(32, '0')}-${'1'.padStart(16, '0')}-01`;

async function send(command: CommandMessage): Promise<void> {
  await producer.send({
    topic: commandsTopic,
    messages: [commandMessage(command, traceparentOf(commandCount))],
  });
}

const acksOf = (commandId: string): SeenAck[] => acks.filter((a) => a.ack.commandId === commandId);
const statuses = (commandId: string): string[] => acksOf(commandId).map((a) => a.ack.status);

function waitForAcks(commandId: string, count: number): Promise<SeenAck[]> {
  return waitFor(
    `${count} acks of ${commandId}`,
    () => (acksOf(commandId).length >= count ? acksOf(commandId) : undefined),
    20_000,
    25,
  );
}

const pointsOf = (assetId: string, property: string): SeenPoint[] =>
  points.filter((p) => p.assetId === assetId && p.property === property);

const ackTimeMs = (a: SeenAck): number => Number(BigInt(a.ack.timeUnixNano!) / 1_000_000n);

describe('device agent (real Kafka broker, OTLP read by the exporter normalizer)', () => {
  it('acks accepted then done, and reports the new value as a physical point first', async () => {
    const command = newCommand('pump-1', 'temperature', 55);
    await send(command);
    const [accepted, done] = await waitForAcks(command.commandId, 2);

    expect(statuses(command.commandId)).toEqual(['accepted', 'done']);
    expect(done!.ack).toMatchObject({ assetId: 'pump-1', status: 'done', reportedValue: 55 });
    for (const a of [accepted!, done!]) {
      expect(a.key).toBe('pump-1');
      expect(a.headers[commandIdHeader]).toBe(command.commandId);
      expect(a.headers[traceparentHeader]).toBe(traceparentOf(commandCount));
      expect(a.ack.timeUnixNano).toMatch(/^\d{19}$/);
    }

    const [point] = pointsOf('pump-1', 'temperature');
    expect(point).toMatchObject({
      path: '/v1/metrics',
      assetClass: 'pump',
      source: 'physical',
      value: 55,
    });
    // Applied and reported before `done`, so the twin can already see the change on the ack.
    expect(point!.receivedAtMs).toBeLessThanOrEqual(ackTimeMs(done!));
    expect(agent.assetValue('pump-1', 'temperature')).toBe(55);

    const received = agent.received().find((r) => r.command?.commandId === command.commandId);
    expect(received).toMatchObject({ command, key: 'pump-1', duplicate: false, error: undefined });
    expect(received!.headers[traceparentHeader]).toBe(traceparentOf(commandCount));
  });

  it('keeps reporting the current value of every asset it knows', async () => {
    const since = Date.now();
    const fresh = (assetId: string): SeenPoint[] =>
      pointsOf(assetId, 'temperature').filter((p) => p.receivedAtMs > since);
    await waitFor('3 periodic reports each', () =>
      fresh('pump-1').length >= 3 && fresh('pump-3').length >= 3 ? true : undefined,
    );
    expect(new Set(fresh('pump-1').map((p) => p.value))).toEqual(new Set([55]));
    expect(new Set(fresh('pump-3').map((p) => p.value))).toEqual(new Set([60]));
    // New observations each time, not the same point resent.
    const times = fresh('pump-3').map((p) => p.sourceTimeMs);
    expect(new Set(times).size).toBe(times.length);
  });

  it('reports a non-numeric value as a log record', async () => {
    const command = newCommand('conveyor-2', 'mode', 'manual');
    await send(command);
    await waitForAcks(command.commandId, 2);
    expect(statuses(command.commandId)).toEqual(['accepted', 'done']);
    expect(pointsOf('conveyor-2', 'mode')[0]).toMatchObject({
      path: '/v1/logs',
      assetClass: 'conveyor',
      source: 'physical',
      value: 'manual',
    });
  });

  it('slow: waits before applying, without holding up other assets', async () => {
    agent.setMode('conveyor-1', { mode: 'slow', delayMs: 1_500 });
    const slow = newCommand('conveyor-1', 'speed', 1.2);
    const quick = newCommand('pump-2', 'pressure', 6.5);
    await send(slow);
    await send(quick);
    const [accepted, done] = await waitForAcks(slow.commandId, 2);
    expect(statuses(slow.commandId)).toEqual(['accepted', 'done']);
    expect(ackTimeMs(done!) - ackTimeMs(accepted!)).toBeGreaterThanOrEqual(1_500);
    expect(acksOf(quick.commandId).at(-1)).toMatchObject({ ack: { status: 'done' } });
    expect(acksOf(quick.commandId).at(-1)!.atMs).toBeLessThan(done!.atMs);
    expect(pointsOf('conveyor-1', 'speed')[0]?.value).toBe(1.2);
  });

  it('refuse: rejects with the reason and changes nothing; modes switch at runtime', async () => {
    const refused = newCommand('valve-2', 'position', 40);
    await send(refused);
    const [, rejected] = await waitForAcks(refused.commandId, 2);
    expect(statuses(refused.commandId)).toEqual(['accepted', 'rejected']);
    expect(rejected!.ack.message).toBe('interlock engaged');
    expect(rejected!.ack.reportedValue).toBeUndefined();
    expect(agent.assetValue('valve-2', 'position')).toBeUndefined();
    expect(pointsOf('valve-2', 'position')).toEqual([]);

    // The asset id wins over its class.
    agent.setMode('valve-2', 'ok');
    const allowed = newCommand('valve-2', 'position', 45);
    await send(allowed);
    await waitForAcks(allowed.commandId, 2);
    expect(statuses(allowed.commandId)).toEqual(['accepted', 'done']);
    expect(agent.assetValue('valve-2', 'position')).toBe(45);
  });

  it('ack_without_apply: acks done but keeps reporting the old value', async () => {
    agent.setMode('pump-3', 'ack_without_apply');
    const command = newCommand('pump-3', 'temperature', 70);
    await send(command);
    const [, done] = await waitForAcks(command.commandId, 2);
    expect(statuses(command.commandId)).toEqual(['accepted', 'done']);
    expect(done!.ack.reportedValue).toBe(70);
    const after = await waitFor('a report of pump-3 after the ack', () =>
      pointsOf('pump-3', 'temperature').find((p) => p.receivedAtMs > done!.atMs),
    );
    expect(after.value).toBe(60);
    expect(pointsOf('pump-3', 'temperature').map((p) => p.value)).not.toContain(70);
    expect(agent.assetValue('pump-3', 'temperature')).toBe(60);
  });

  it('silent: handles the command (commits it) but never acks', async () => {
    agent.setMode('pump-5', 'silent');
    const command = newCommand('pump-5', 'temperature', 50);
    await send(command);
    const entry = await waitFor('the silent command to arrive', () =>
      agent.received().find((r) => r.command?.commandId === command.commandId),
    );
    // The commit comes after handling (acks included), so it is the barrier for "never acked".
    const admin = broker.client().admin();
    await admin.connect();
    try {
      await waitFor('the silent command to be committed', async () => {
        const [topic] = await admin.fetchOffsets({ groupId, topics: [commandsTopic] });
        const committed = topic?.partitions.find((p) => p.partition === entry.partition);
        return BigInt(committed?.offset ?? -1) > BigInt(entry.offset) ? true : undefined;
      });
    } finally {
      await admin.disconnect();
    }
    await sleep(500);
    expect(acksOf(command.commandId)).toEqual([]);
    expect(agent.assetValue('pump-5', 'temperature')).toBeUndefined();
  });

  it('acks a redelivered command again but applies it once', async () => {
    const first = newCommand('pump-4', 'temperature', 10);
    await send(first);
    await waitForAcks(first.commandId, 2);
    const second = newCommand('pump-4', 'temperature', 20);
    await send(second);
    await waitForAcks(second.commandId, 2);

    await producer.send({ topic: commandsTopic, messages: [commandMessage(first)] });
    const again = await waitForAcks(first.commandId, 4);
    expect(statuses(first.commandId)).toEqual(['accepted', 'done', 'accepted', 'done']);
    expect(again[3]!.ack.reportedValue).toBe(10);
    expect(agent.assetValue('pump-4', 'temperature')).toBe(20);
    const entries = agent.received().filter((r) => r.command?.commandId === first.commandId);
    expect(entries.map((r) => r.duplicate)).toEqual([false, true]);
    const later = await waitFor('a report of pump-4 after the redelivery', () =>
      pointsOf('pump-4', 'temperature').find((p) => p.receivedAtMs > again[3]!.atMs),
    );
    expect(later.value).toBe(20);
  });

  it('rejects malformed commands with the reason and carries on', async () => {
    const wrongKey = newCommand('pump-6', 'temperature', 40);
    await producer.send({
      topic: commandsTopic,
      messages: [
        { value: 'no key, no id: nobody to tell' },
        { key: 'pump-7', value: 'not json', headers: { [commandIdHeader]: 'bad-1' } },
        { ...commandMessage(wrongKey), key: 'pump-66' },
      ],
    });
    await waitForAcks('bad-1', 2);
    expect(acksOf('bad-1')[1]!.ack).toMatchObject({
      assetId: 'pump-7',
      status: 'rejected',
      message: 'invalid command: value is not JSON',
    });
    await waitForAcks(wrongKey.commandId, 2);
    expect(acksOf(wrongKey.commandId)[1]!.ack.message).toMatch(/key is not the assetId/);
    expect(agent.assetValue('pump-6', 'temperature')).toBeUndefined();
  });

  it('crash: dies without committing; a restarted agent gets the command again', async () => {
    await agent.stop();
    expect(agent.state()).toBe('stopped');
    const crasher = await startDeviceAgent({
      brokers: [broker.bootstrap],
      otlpEndpoint: otlp.url,
      groupId,
      modes: { 'pump-9': 'crash' },
    });
    extraAgents.push(crasher);
    const command = newCommand('pump-9', 'temperature', 65);
    await send(command);
    await waitFor('the crash', () => (crasher.state() === 'crashed' ? true : undefined));
    // The stopped agent committed everything it handled: the crasher saw only the new command.
    expect(crasher.received().map((r) => r.command?.commandId)).toEqual([command.commandId]);
    expect(crasher.assetValue('pump-9', 'temperature')).toBeUndefined();
    await crasher.stop();

    const restarted = await startDeviceAgent({
      brokers: [broker.bootstrap],
      otlpEndpoint: otlp.url,
      groupId,
    });
    extraAgents.push(restarted);
    await waitForAcks(command.commandId, 3);
    expect(statuses(command.commandId)).toEqual(['accepted', 'accepted', 'done']);
    expect(restarted.received().map((r) => r.command?.commandId)).toEqual([command.commandId]);
    expect(restarted.assetValue('pump-9', 'temperature')).toBe(65);
  });

  it('sent only telemetry that follows the conventions', () => {
    expect(points.length).toBeGreaterThan(0);
    expect(rejections).toEqual([]);
  });
});
