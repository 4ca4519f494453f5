import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Registry } from 'prom-client';
import { buildOpsServer, registerProcessMetrics } from './api/ops.js';
import { registerCommandRoutes } from './api/commands.js';
import { buildTwinApi } from './api/twin.js';
import { CommandGateway } from './commands/gateway.js';
import { CommandLedger } from './commands/ledger/ledger.js';
import { simulatedDevice } from './commands/simulated-device.js';
import { InProcessDeviceTransport, KafkaDeviceTransport } from './commands/transport.js';
import type { ExporterConfig } from './config/index.js';
import { buildOtlpHttpServer } from './ingest/http.js';
import { KafkaIngest } from './ingest/kafka.js';
import { kafkaConnection } from './ingest/kafka-connection.js';
import { createIngest } from './ingest/pipeline.js';
import { IngestTelemetry } from './ingest/telemetry.js';
import { registerTwinMetrics } from './sli/metrics.js';
import { SnapshotStore } from './store/snapshot.js';
import { TwinEngine, snapshotFromChunks, snapshotToChunks } from './twin/engine.js';

export interface RunningExporter {
  /** Base URLs of what it serves. */
  urls: { otlp: string; metrics: string; api: string };
  engine: TwinEngine;
  /** Saves a snapshot now (and commits the Kafka offsets it covers). */
  persist(): Promise<void>;
  /** Stops serving, saves a last snapshot, closes everything. */
  close(): Promise<void>;
}

export interface ExporterOptions {
  /** Answers commands when `commands.devices` is `simulated` (default: the simulated device). */
  inProcessDevice?: ConstructorParameters<typeof InProcessDeviceTransport>[0];
}

/** Where a server listens, as a URL a person can open (0.0.0.0 shown as loopback). */
function urlOf(server: FastifyInstance, host: string): string {
  const { port } = server.server.address() as AddressInfo;
  return `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${port}`;
}

/**
 * The composition root: builds every part from the configuration, restores the last snapshot,
 * and starts serving. Ready once the store is open, ingest listens and Kafka (if on) consumes.
 */
export async function startExporter(
  config: ExporterConfig,
  options: ExporterOptions = {},
): Promise<RunningExporter> {
  const persistent = config.state.snapshot.path !== '' && config.state.snapshot.path !== ':memory:';
  const store = persistent ? new SnapshotStore(config.state.snapshot.path) : undefined;
  const restored = store?.load();
  const engine = restored
    ? TwinEngine.restore(snapshotFromChunks(restored.chunks), config)
    : new TwinEngine(config);

  const registry = new Registry();
  registerProcessMetrics(registry);
  registerTwinMetrics(registry, engine, config);
  const telemetry = new IngestTelemetry(registry);
  const ingest = createIngest(engine, telemetry);

  let ready = false;
  const kafka = config.ingest.kafka.enabled
    ? new KafkaIngest({
        config: config.ingest.kafka,
        ingest,
        telemetry,
        restoredOffsets: restored?.offsets,
        commitAfterPersist: store !== undefined,
      })
    : undefined;

  const otlp = buildOtlpHttpServer(ingest, telemetry, { ...config.ingest, isReady: () => ready });
  const ops = buildOpsServer(registry, () => ready);
  const api = buildTwinApi(engine, registry);
  const ledger = config.commands.enabled
    ? new CommandLedger(config.commands.ledgerPath)
    : undefined;
  const gateway = ledger
    ? new CommandGateway({
        config: config.commands,
        divergence: config.sli.divergence,
        ledger,
        engine,
        registry,
        transport:
          config.commands.devices === 'kafka'
            ? new KafkaDeviceTransport({
                connection: kafkaConnection(config.ingest.kafka),
                clientId: `${config.ingest.kafka.clientId}-commands`,
                groupId: `${config.ingest.kafka.groupId}-command-acks`,
                commandsTopic: 'twin.commands',
                acksTopic: 'twin.commands.ack',
              })
            : new InProcessDeviceTransport(options.inProcessDevice ?? simulatedDevice(engine)),
      })
    : undefined;
  if (gateway) registerCommandRoutes(api, gateway);
  const { host } = config.server;
  await otlp.listen({ host, port: config.server.otlpPort });
  await ops.listen({ host, port: config.server.metricsPort });
  await api.listen({ host, port: config.server.apiPort });
  await kafka?.start();
  await gateway?.start();

  const snapshotFailures = new Counter({
    name: 'twin_exporter_snapshot_failures_total',
    help: 'State snapshots that could not be saved.',
    registers: [registry],
  });
  const lastSnapshot = new Gauge({
    name: 'twin_exporter_snapshot_last_success_timestamp_seconds',
    help: 'When the last state snapshot was saved.',
    registers: [registry],
  });
  const persist = async (): Promise<void> => {
    if (!store) return;
    const offsets = kafka?.offsets() ?? {};
    const takenAtMs = Date.now();
    store.save({ takenAtMs, chunks: snapshotToChunks(engine.snapshot()), offsets });
    lastSnapshot.set(takenAtMs / 1000);
    await kafka?.commit(offsets);
  };
  const persistOnSchedule = (): void => {
    persist().catch((error: Error) => {
      snapshotFailures.inc();
      console.error(`twinops exporter: snapshot failed: ${error.message}`);
    });
  };
  const evaluation = setInterval(
    () => engine.evaluate(Date.now()),
    config.sli.evaluationIntervalMs,
  );
  const snapshots = setInterval(persistOnSchedule, config.state.snapshot.intervalMs);
  evaluation.unref();
  snapshots.unref();
  engine.evaluate(Date.now());
  ready = true;

  return {
    urls: { otlp: urlOf(otlp, host), metrics: urlOf(ops, host), api: urlOf(api, host) },
    engine,
    persist,
    close: async () => {
      ready = false;
      clearInterval(evaluation);
      clearInterval(snapshots);
      await otlp.close();
      await gateway?.stop();
      ledger?.close();
      // Stop applying, save the state with its offsets, commit them, and only then disconnect.
      await kafka?.pause();
      await persist();
      await kafka?.stop();
      store?.close();
      await api.close();
      await ops.close();
    },
  };
}
