/**
 * `npm run demo`: the embedded default in one process (no Kafka): the exporter configured by
 * exporter/config.example.yaml on loopback, fed by the fleet simulator over real OTLP/HTTP.
 * Prints where the metrics and the twin API are, and stops cleanly on Ctrl-C.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, applyEnvironment, loadConfigFile } from '../exporter/src/config/index.js';
import { startExporter } from '../exporter/src/exporter.js';
import { repoRoot } from '../test/bed/paths.js';
import { startSimulation } from '../test/sim/index.js';

const stateDir = join(repoRoot, '.twinops');
mkdirSync(stateDir, { recursive: true });

let config;
try {
  config = applyEnvironment(loadConfigFile(join(repoRoot, 'exporter', 'config.example.yaml')), {
    TWINOPS_HOST: '127.0.0.1',
    TWINOPS_SNAPSHOT_PATH: join(stateDir, 'demo-state.db'),
    ...process.env,
  });
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : String(error));
  process.exit(2);
}

const exporter = await startExporter(config).catch((error: NodeJS.ErrnoException) => {
  const hint =
    error.code === 'EADDRINUSE'
      ? ' (a port is taken: set TWINOPS_OTLP_PORT, TWINOPS_METRICS_PORT or TWINOPS_API_PORT)'
      : '';
  console.error(`demo: cannot start the exporter: ${error.message}${hint}`);
  process.exit(1);
});
const assets = Number(process.env.TWINOPS_DEMO_ASSETS ?? 24);
const simulation = startSimulation({
  endpoint: exporter.urls.otlp,
  assets,
  tickMs: 1000,
  keepTruth: false,
});

console.log('twinops demo (embedded default) is running:');
console.log(
  `  OTLP ingest  ${exporter.urls.otlp}/v1/metrics   (the fleet simulator sends ${assets} assets here)`,
);
console.log(`  metrics      ${exporter.urls.metrics}/metrics`);
console.log(`  health       ${exporter.urls.metrics}/healthz`);
console.log(`  twin API     ${exporter.urls.api}/api/v1/assets`);
console.log('Press Ctrl-C to stop.');

const stop = async (signal: string): Promise<void> => {
  await simulation.stop();
  await exporter.close();
  console.log(`demo stopped (${signal})`);
  process.exit(0);
};
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));
