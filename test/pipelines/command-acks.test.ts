import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAck } from '../../exporter/src/commands/transport.js';
import { startKafka, waitFor, type KafkaBroker } from '../bed/index.js';
import {
  nowNano,
  scrape,
  startPipelineCollector,
  text,
  total,
  type PipelineCollector,
} from './collectors.js';
import { topics } from '../../contracts/commands.js';

/**
 * command-acks: devices report acks as OTLP log records; the collector writes each as a
 * `twin.commands.ack` message that the exporter's own parser (`parseAck`) reads, one asset's acks
 * in order on one partition, and drops and counts records that are not acks.
 */

const topic = topics.acks;

describe('command-acks: OTLP log records → twin.commands.ack', () => {
  let broker: KafkaBroker;
  let collector: PipelineCollector;

  beforeAll(async () => {
    broker = await startKafka({ topics: [{ topic, numPartitions: 3 }] });
    collector = await startPipelineCollector('command-acks', {
      TWINOPS_KAFKA_BROKERS: broker.bootstrap,
    });
  }, 240_000);
  afterAll(async () => {
    await collector?.stop();
    await broker?.stop();
  });

  it('writes acks the exporter parses, keyed alike per asset and in order; drops and counts the rest', async () => {
    const time = nowNano();
    const observed = `${BigInt(time) + 5_000_000n}`;
    const ack = (
      attributes: object[],
      at: { timeUnixNano?: string; observedTimeUnixNano?: string },
    ) => ({
      ...at,
      body: { stringValue: 'free text, ignored' },
      attributes,
    });
    const number = (key: string, value: number) => ({ key, value: { doubleValue: value } });
    const flag = (key: string, value: boolean) => ({ key, value: { boolValue: value } });
    const resourceLogs = (
      assetId: string | undefined,
      records: object[],
      extra: object[] = [],
    ) => ({
      resource: {
        attributes: [...(assetId ? [text('twin.asset.id', assetId)] : []), ...extra],
      },
      scopeLogs: [{ logRecords: records }],
    });
    const response = await fetch(`${collector.otlpUrl}/v1/logs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        resourceLogs: [
          resourceLogs(
            'pump-1',
            [
              ack([text('twin.command.id', 'c-1'), text('twin.command.status', 'accepted')], {
                timeUnixNano: time,
              }),
              // No record time: the observed time is the ack's time.
              ack(
                [
                  text('twin.command.id', 'c-1'),
                  text('twin.command.status', 'done'),
                  number('twin.command.reported_value', 55.5),
                ],
                { observedTimeUnixNano: observed },
              ),
              ack([text('twin.command.id', 'c-9'), text('twin.command.status', 'applied')], {
                timeUnixNano: time,
              }), // not a status the tracker knows
              ack([text('twin.command.status', 'done')], { timeUnixNano: time }), // no command id
            ],
            [text('service.name', 'pump-1-firmware'), text('twin.asset.class', 'pump')],
          ),
          resourceLogs('valve-2', [
            ack(
              [
                text('twin.command.id', 'c-2'),
                text('twin.command.status', 'rejected'),
                text('twin.command.message', 'position 120 is out of range'),
              ],
              { timeUnixNano: time },
            ),
          ]),
          resourceLogs(undefined, [
            ack([text('twin.command.id', 'c-3'), text('twin.command.status', 'done')], {
              timeUnixNano: time,
            }),
          ]), // no asset
          // A second reporter for pump-1 (another resource, fewer attributes): same key.
          resourceLogs('pump-1', [
            ack(
              [
                text('twin.command.id', 'c-4'),
                text('twin.command.status', 'done'),
                flag('twin.command.reported_value', true),
              ],
              { timeUnixNano: time },
            ),
          ]),
        ],
      }),
    });
    expect(response.status).toBe(200);

    const messages: { partition: number; offset: number; key: string; value: Buffer }[] = [];
    const consumer = broker.client().consumer({ groupId: 'ack-check' });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          messages.push({
            partition,
            offset: Number(message.offset),
            key: message.key?.toString('hex') ?? '',
            value: message.value!,
          });
        },
      });
      await waitFor('four acks on the topic', () => (messages.length >= 4 ? true : undefined));
    } finally {
      await consumer.disconnect();
    }

    const acks = messages
      .sort((a, b) => a.partition - b.partition || a.offset - b.offset)
      .map((m) => ({ ...m, ack: parseAck(m.value) }));
    expect(acks.map((m) => m.ack)).toEqual(
      expect.arrayContaining([
        { commandId: 'c-1', assetId: 'pump-1', status: 'accepted', timeUnixNano: time },
        {
          commandId: 'c-1',
          assetId: 'pump-1',
          status: 'done',
          reportedValue: 55.5,
          timeUnixNano: observed,
        },
        {
          commandId: 'c-2',
          assetId: 'valve-2',
          status: 'rejected',
          message: 'position 120 is out of range',
          timeUnixNano: time,
        },
        {
          commandId: 'c-4',
          assetId: 'pump-1',
          status: 'done',
          reportedValue: true,
          timeUnixNano: time,
        },
      ]),
    );
    expect(acks).toHaveLength(4);
    // One asset: one key and one partition, whichever resource reported it; c-1 in order.
    const pump = acks.filter((m) => m.ack?.assetId === 'pump-1');
    expect(new Set(pump.map((m) => `${m.partition}/${m.key}`)).size).toBe(1);
    expect(pump.map((m) => `${m.ack?.commandId}:${m.ack?.status}`).slice(0, 2)).toEqual([
      'c-1:accepted',
      'c-1:done',
    ]);
    const valve = acks.find((m) => m.ack?.assetId === 'valve-2')!;
    expect(valve.key).not.toBe(pump[0]!.key);

    const telemetry = await scrape(collector.telemetryUrl);
    expect(
      total(telemetry, 'otelcol_processor_filter_logs_filtered', { filter: 'filter/acks-only' }),
    ).toBe(3);
  });
});
