import { configFromEnv } from './config/index.js';
import { startExporter } from './exporter.js';

/** Runs the exporter until SIGINT or SIGTERM, then shuts down cleanly. */
async function main(): Promise<void> {
  const exporter = await startExporter(configFromEnv(process.env));
  console.log(
    `twinops exporter: metrics ${exporter.opsUrl}/metrics · health ${exporter.opsUrl}/healthz`,
  );
  const shutdown = async (): Promise<void> => {
    await exporter.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
