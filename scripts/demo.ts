/**
 * `npm run demo`: the embedded default in one process (no Kafka): the exporter on loopback.
 * Prints the URLs it serves and stops cleanly on Ctrl-C.
 */
import { configFromEnv } from '../exporter/src/config/index.js';
import { startExporter } from '../exporter/src/exporter.js';

const config = configFromEnv({ TWINOPS_HOST: '127.0.0.1', ...process.env });
const exporter = await startExporter(config).catch((error: NodeJS.ErrnoException) => {
  const hint =
    error.code === 'EADDRINUSE' ? ` (port ${config.opsPort} is taken: set TWINOPS_OPS_PORT)` : '';
  console.error(`demo: cannot start the exporter: ${error.message}${hint}`);
  process.exit(1);
});

console.log('twinops demo (embedded default) is running:');
console.log(`  metrics  ${exporter.opsUrl}/metrics`);
console.log(`  health   ${exporter.opsUrl}/healthz`);
console.log(`  ready    ${exporter.opsUrl}/readyz`);
console.log('Press Ctrl-C to stop.');

const stop = async (signal: string): Promise<void> => {
  await exporter.close();
  console.log(`demo stopped (${signal})`);
  process.exit(0);
};
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));
