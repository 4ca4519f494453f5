import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, startKafka, type KafkaBroker } from '../bed/index.js';

describe('Kafka broker (KRaft, real) with kafkajs', () => {
  let broker: KafkaBroker;
  beforeAll(async () => {
    broker = await startKafka({ topics: [{ topic: 'bed.smoke', numPartitions: 3 }] });
  });
  afterAll(async () => broker?.stop());

  it('creates topics with the requested partitions', async () => {
    const admin = broker.client().admin();
    await admin.connect();
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: ['bed.smoke'] });
      expect(metadata.topics[0]?.partitions).toHaveLength(3);
    } finally {
      await admin.disconnect();
    }
  });

  it('delivers a keyed message from a kafkajs producer to a kafkajs consumer group', async () => {
    const kafka = broker.client();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: 'bed-smoke' });
    await producer.connect();
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: 'bed.smoke', fromBeginning: true });
      const received = new Promise<{ key: string; value: string; header: string }>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) =>
            resolve({
              key: message.key?.toString() ?? '',
              value: message.value?.toString() ?? '',
              header: message.headers?.['twin.command.id']?.toString() ?? '',
            }),
        });
      });
      await producer.send({
        topic: 'bed.smoke',
        messages: [{ key: 'pump-7', value: 'hello twin', headers: { 'twin.command.id': 'c-1' } }],
      });
      await expect(received).resolves.toEqual({
        key: 'pump-7',
        value: 'hello twin',
        header: 'c-1',
      });
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
    }
  });

  it('is seen the same by an independent client (kcat)', async () => {
    const { stdout } = await run('kcat', ['-b', broker.bootstrap, '-L', '-J', '-t', 'bed.smoke']);
    const metadata = JSON.parse(stdout) as { topics: { topic: string; partitions: unknown[] }[] };
    expect(metadata.topics).toEqual([expect.objectContaining({ topic: 'bed.smoke' })]);
    expect(metadata.topics[0]?.partitions).toHaveLength(3);
  });

  it('refuses a second topic of the same name (the broker, not a stub, answers)', async () => {
    const admin = broker.client().admin();
    await admin.connect();
    try {
      const created = await admin.createTopics({ topics: [{ topic: 'bed.smoke' }] });
      expect(created).toBe(false);
    } finally {
      await admin.disconnect();
    }
  });
});
