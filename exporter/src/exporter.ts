import type { AddressInfo } from 'node:net';
import { buildOpsServer, processRegistry } from './api/ops.js';
import type { ExporterConfig } from './config/index.js';

export interface RunningExporter {
  /** Base URL of the ops endpoints. */
  opsUrl: string;
  close(): Promise<void>;
}

/** The composition root: wires the exporter's parts from its config and starts serving. */
export async function startExporter(config: ExporterConfig): Promise<RunningExporter> {
  let ready = false;
  const ops = buildOpsServer(processRegistry(), () => ready);
  await ops.listen({ host: config.host, port: config.opsPort });
  const { port } = ops.server.address() as AddressInfo;
  const shownHost = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  ready = true;
  return {
    opsUrl: `http://${shownHost}:${port}`,
    close: async () => {
      ready = false;
      await ops.close();
    },
  };
}
