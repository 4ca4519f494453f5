import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode } from '../../exporter/test/ingest/otlp/testing.js';
import { pumpCatalog } from '../../exporter/test/commands/pump-catalog.js';
import { startKafka, waitFor, type KafkaBroker } from '../bed/index.js';
import { startExporterProcess } from '../support/exporter-process.js';
import { topics } from '../../contracts/commands.js';

/**
 * Against a broker that accepts only SASL over TLS on its secure listener (PLAIN, a self-signed
 * certificate): the exporter trusts the certificate from a file, logs in with the password from
 * the environment, consumes telemetry and sends commands; a wrong password stops it at start with
 * a clear error that does not print the password.
 */
const password = 'kafka-secret-0123456789';
const token = 'secure-e2e-operator-token-0123456789';

describe('Kafka over SASL_SSL (real broker)', () => {
  let broker: KafkaBroker;

  beforeAll(async () => {
    broker = await startKafka({
      secure: { users: { twinops: password } },
      topics: [
        { topic: 'twin.telemetry.metrics', numPartitions: 1 },
        { topic: topics.commands, numPartitions: 1 },
        { topic: topics.acks, numPartitions: 1 },
      ],
    });
  }, 180_000);
  afterAll(async () => {
    await broker?.stop();
  });

  const config = () => ({
    state: { snapshot: { path: ':memory:' } },
    ingest: {
      kafka: {
        enabled: true,
        brokers: [broker.secure!.bootstrap],
        topics: [{ name: 'twin.telemetry.metrics', signal: 'metrics', encoding: 'otlp_proto' }],
        tls: { caFile: broker.secure!.caFile },
        sasl: { mechanism: 'plain', username: 'twinops' },
      },
    },
    commands: {
      enabled: true,
      ledgerPath: ':memory:',
      devices: 'kafka',
      catalog: pumpCatalog,
    },
  });

  it('consumes telemetry and sends commands with TLS and SASL', async () => {
    const exporter = await startExporterProcess(config(), {
      env: {
        TWINOPS_KAFKA_SASL_PASSWORD: password,
        TWINOPS_API_TOKENS: `olga:operator:${token}`,
      },
    });
    try {
      const producer = broker.client().producer();
      await producer.connect();
      const nowNs = BigInt(Date.now()) * 1_000_000n;
      await producer.send({
        topic: 'twin.telemetry.metrics',
        messages: [
          {
            key: 'pump-1',
            value: Buffer.from(
              encode('metrics', 'otlp_proto', {
                resourceMetrics: [
                  {
                    resource: {
                      attributes: [
                        { key: 'twin.asset.id', value: { stringValue: 'pump-1' } },
                        { key: 'twin.asset.class', value: { stringValue: 'pump' } },
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
                                  timeUnixNano: String(nowNs),
                                  asDouble: 1000,
                                  attributes: [
                                    { key: 'twin.source', value: { stringValue: 'physical' } },
                                  ],
                                },
                              ],
                            },
                          },
                        ],
                      },
                    ],
                  },
                ],
              }),
            ),
          },
        ],
      });
      await producer.disconnect();
      await waitFor('the point consumed over SASL_SSL', async () => {
        const text = await (await fetch(`${exporter.metricsUrl}/metrics`)).text();
        return /^twin_points_total\{[^}]*\} 1$/m.test(text) ? true : undefined;
      });

      const consumer = broker.client().consumer({ groupId: 'secure-e2e-reader' });
      await consumer.connect();
      await consumer.subscribe({ topic: topics.commands, fromBeginning: true });
      const received: string[] = [];
      await consumer.run({
        eachMessage: async ({ message }) => {
          received.push(message.key?.toString() ?? '');
        },
      });
      const response = await fetch(`${exporter.apiUrl}/api/v1/commands`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({
          idempotencyKey: 'secure-e2e-1',
          assetId: 'pump-1',
          name: 'setSpeed',
          params: { rpm: 1100 },
          reason: 'over TLS',
        }),
      });
      expect(response.status).toBe(200);
      await waitFor('the command on twin.commands', () => (received.length ? received : undefined));
      expect(received).toEqual(['pump-1']);
      await consumer.disconnect();
    } finally {
      await exporter.stop();
    }
  });

  it('refuses to start with a wrong password, saying why, without printing it', async () => {
    const wrong = 'not-the-password-987654321';
    const failure = await startExporterProcess(config(), {
      env: { TWINOPS_KAFKA_SASL_PASSWORD: wrong },
    }).then(
      async (exporter) => {
        await exporter.stop();
        return undefined;
      },
      (error: Error) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect(failure!.message).toMatch(/SASL|[Aa]uthentication/);
    expect(failure!.message).not.toContain(wrong);
  });

  it('refuses to start without the password, naming the variable', async () => {
    const failure = await startExporterProcess(config()).then(
      async (exporter) => {
        await exporter.stop();
        return undefined;
      },
      (error: Error) => error,
    );
    expect(failure?.message).toContain('TWINOPS_KAFKA_SASL_PASSWORD');
  });
});
