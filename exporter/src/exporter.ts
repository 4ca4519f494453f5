import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { buildOpsServer } from './api/ops.js';
import { registerCommandRoutes, registerRetirementRoute } from './api/commands.js';
import { buildTwinApi } from './api/twin.js';
import { buildInfo } from './build-info.js';
import { registerBuildInfo, registerProcessMetrics } from './metrics/exporter.js';
import { CommandGateway } from './commands/gateway.js';
import { CommandLedger } from './commands/ledger/ledger.js';
import { AssetRetirement } from './commands/retirement.js';
import { simulatedDevice } from './commands/simulated-device.js';
import { InProcessDeviceTransport, KafkaDeviceTransport } from './commands/transport.js';
import type { ExporterConfig } from './config/index.js';
import { DurableTwin } from './durability/durable-twin.js';
import { buildOtlpHttpServer } from './ingest/http.js';
import { KafkaIngest } from './ingest/kafka.js';
import { kafkaConnection } from './kafka/connection.js';
import { IngestTelemetry } from './metrics/ingest.js';
import { fallbackLogger, type Logger } from './log.js';
import { SyncLatencyExemplars } from './metrics/exemplars.js';
import { registerTwinMetrics } from './metrics/sli.js';
import { Tracing, traceRequests, type TracingOptions } from './tracing.js';
import type { TwinEngine } from './twin/engine.js';
import type { topics } from '../../contracts/commands.js';

export interface RunningExporter {
  /** Base URLs of what it serves. */
  urls: { otlp: string; metrics: string; api: string };
  engine: TwinEngine;
  twin: DurableTwin;
  /** Writes a checkpoint now (when anything changed since the last one). */
  checkpoint(): Promise<void>;
  /** Stops serving, lets what was journaled be applied, closes everything. */
  close(): Promise<void>;
}

export interface ExporterOptions {
  /** Answers commands when `commands.devices` is `simulated` (default: the simulated device). */
  inProcessDevice?: ConstructorParameters<typeof InProcessDeviceTransport>[0];
  /** Where its logs go (the CLI's root logger); without one, warnings and errors on stderr. */
  logger?: Logger;
  /** Tests: every span is also handed to this exporter (e.g. an InMemorySpanExporter). */
  spanExporter?: TracingOptions['spanExporter'];
}

/** Where a server listens, as a URL a person can open (0.0.0.0 shown as loopback). */
function urlOf(server: FastifyInstance, host: string, scheme = 'http'): string {
  const { port } = server.server.address() as AddressInfo;
  return `${scheme}://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${port}`;
}

/**
 * The composition root: builds every part from the configuration, restores the twin (checkpoint
 * and journal), and starts serving. Ready once the twin is restored, ingest listens and Kafka (if
 * on) consumes.
 */
export async function startExporter(
  config: ExporterConfig,
  options: ExporterOptions = {},
): Promise<RunningExporter> {
  const logger = options.logger ?? fallbackLogger();
  const part = (component: string): Logger => logger.child({ component });
  const registry = new Registry();
  registerProcessMetrics(registry);
  registerBuildInfo(registry, buildInfo());
  const tracing = new Tracing(config.tracing, { spanExporter: options.spanExporter });
  const { tracer } = tracing;
  const twin = await DurableTwin.open({
    config,
    retries: config.ingest.retries,
    registry,
    logger: part('durability'),
  });
  const engine = twin.engine;
  // Ingest fills them, the sync-latency histogram shows them (OpenMetrics exemplars).
  const latencyExemplars = new SyncLatencyExemplars(engine.aggregates.latencyBounds);
  registerTwinMetrics(registry, engine, config, latencyExemplars);
  const telemetry = new IngestTelemetry(registry, latencyExemplars);

  let ready = false;
  const kafka = config.ingest.kafka.enabled
    ? new KafkaIngest({
        config: config.ingest.kafka,
        sink: twin,
        telemetry,
        logger: part('kafka'),
        bounds: {
          maxElements: config.ingest.maxElementsPerRequest,
          maxPoints: config.ingest.maxPointsPerRequest,
        },
        tracer,
      })
    : undefined;

  const otlp = buildOtlpHttpServer(twin, telemetry, {
    ...config.ingest,
    isReady: () => ready,
    tracer,
    logger: part('otlp'),
  });
  const ops = buildOpsServer(registry, () => ready, part('metrics'));
  const api = buildTwinApi(engine, registry, part('api'));
  traceRequests(api, tracer);
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
        tracer,
        logger: part('commands'),
        transport:
          config.commands.devices === 'kafka'
            ? new KafkaDeviceTransport({
                connection: kafkaConnection(config.ingest.kafka),
                clientId: `${config.ingest.kafka.clientId}-commands`,
                groupId: `${config.ingest.kafka.groupId}-command-acks`,
                commandsTopic: 'twin.commands' satisfies (typeof topics)['commands'],
                acksTopic: 'twin.commands.ack' satisfies (typeof topics)['acks'],
                logger: part('kafka'),
              })
            : new InProcessDeviceTransport(options.inProcessDevice ?? simulatedDevice(twin)),
      })
    : undefined;
  if (gateway) registerCommandRoutes(api, gateway);
  // Retirement needs the audit log, which lives in the command ledger.
  if (ledger) {
    const unauthenticated = gateway?.unauthenticated;
    registerRetirementRoute(
      api,
      new AssetRetirement({ config: config.commands, ledger, twin, unauthenticated }),
    );
  }
  const { host } = config.server;
  await otlp.listen({ host, port: config.server.otlpPort });
  await ops.listen({ host, port: config.server.metricsPort });
  await api.listen({ host, port: config.server.apiPort });
  await kafka?.start();
  await gateway?.start();
  twin.start();
  ready = true;

  return {
    urls: {
      otlp: urlOf(otlp, host, config.ingest.tls.enabled ? 'https' : 'http'),
      metrics: urlOf(ops, host),
      api: urlOf(api, host),
    },
    engine,
    twin,
    checkpoint: () => twin.checkpoint(),
    close: async () => {
      ready = false;
      await otlp.close();
      await gateway?.stop();
      ledger?.close();
      // Stop fetching, let the batches in hand be journaled and applied, commit their offsets.
      await kafka?.pause();
      await twin.close();
      await kafka?.stop();
      await api.close();
      await ops.close();
      // Last: the spans of everything above are ended and go out now.
      await tracing.shutdown();
    },
  };
}
