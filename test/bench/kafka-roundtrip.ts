import { startKafka } from '../bed/index.js';

/**
 * kafkajs against the real broker: produce N 200-byte keyed messages in batches of 500, then read
 * them back with a consumer group. The floor any Kafka ingest path of the exporter stands on.
 */
export async function kafkaRoundTrip(messages = 20_000): Promise<string[]> {
  const broker = await startKafka({ topics: [{ topic: 'bench.roundtrip', numPartitions: 3 }] });
  try {
    const kafka = broker.client('twinops-bench');
    const producer = kafka.producer();
    await producer.connect();
    const value = 'x'.repeat(200);
    const produceStart = performance.now();
    for (let sent = 0; sent < messages; sent += 500) {
      await producer.send({
        topic: 'bench.roundtrip',
        messages: Array.from({ length: 500 }, (_, i) => ({
          key: `asset-${(sent + i) % 64}`,
          value,
        })),
      });
    }
    const produceSeconds = (performance.now() - produceStart) / 1000;
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: 'bench' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'bench.roundtrip', fromBeginning: true });
    const consumeStart = performance.now();
    let received = 0;
    await new Promise<void>((resolveAll) => {
      void consumer.run({
        eachBatch: async ({ batch }) => {
          received += batch.messages.length;
          if (received >= messages) resolveAll();
        },
      });
    });
    const consumeSeconds = (performance.now() - consumeStart) / 1000;
    await consumer.disconnect();
    return [
      `kafka produce: ${messages} msgs in ${produceSeconds.toFixed(2)} s = ${Math.round(messages / produceSeconds)} msg/s`,
      `kafka consume (incl. group join): ${received} msgs in ${consumeSeconds.toFixed(2)} s = ${Math.round(received / consumeSeconds)} msg/s`,
    ];
  } finally {
    await broker.stop();
  }
}
