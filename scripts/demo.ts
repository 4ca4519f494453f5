/**
 * `npm run demo`: the embedded default in one process (no Kafka): the exporter configured by
 * exporter/config.example.yaml on loopback, fed by the fleet simulator over real OTLP/HTTP, with
 * its commands answered by the reference device agent in process (failure modes from
 * TWINOPS_DEMO_DEVICE_MODES, e.g. "refuse:conveyor-2 slow=3s:pump").
 * Prints where the metrics and the twin API are, and stops cleanly on Ctrl-C.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, applyEnvironment, loadConfigFile } from '../exporter/src/config/index.js';
import { startExporter } from '../exporter/src/exporter.js';
import { parseModeList, startInProcessDevices, type ModeSetting } from '../test/agent/index.js';
import { repoRoot } from '../test/bed/paths.js';
import { buildFleet } from '../test/sim/fleet.js';
import { defaultClasses, defaultSites, startSimulation } from '../test/sim/index.js';

const stateDir = join(repoRoot, '.twinops');
mkdirSync(stateDir, { recursive: true });

// A token for this run only, for the person at this console: commands need a login.
const demoToken = randomBytes(18).toString('base64url');

let config;
try {
  const example = loadConfigFile(join(repoRoot, 'exporter', 'config.example.yaml'));
  // The demo switches the guarded command gateway on, with in-process devices (see below).
  example.commands = {
    ...example.commands,
    enabled: true,
    devices: 'simulated',
    ledgerPath: join(stateDir, 'demo-commands.db'),
  };
  config = applyEnvironment(example, {
    TWINOPS_HOST: '127.0.0.1',
    TWINOPS_SNAPSHOT_PATH: join(stateDir, 'demo-state.db'),
    ...process.env,
    TWINOPS_API_TOKENS: `demo:operator+engineer+admin:${demoToken}`,
  });
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : String(error));
  process.exit(2);
}

const modesText = process.env.TWINOPS_DEMO_DEVICE_MODES?.trim() ?? '';
let modes: Record<string, ModeSetting>;
try {
  modes = parseModeList(modesText);
} catch (error) {
  console.error(`demo: TWINOPS_DEMO_DEVICE_MODES: ${(error as Error).message}`);
  process.exit(2);
}
const assets = Number(process.env.TWINOPS_DEMO_ASSETS ?? 24);
// The reference device agent answers the commands, as over Kafka but in process: same failure
// modes, and it reports what it applied over OTLP/HTTP, so the twin sees the change converge.
// It reports to the exporter's OTLP URL, known once the exporter has started. The simulator does
// not report the conveyors' `mode`, without which the example catalog refuses setSpeed: the
// devices own it.
const conveyors = buildFleet(assets, defaultClasses, defaultSites, () => 0).filter(
  (asset) => asset.spec.name === 'conveyor',
);
const devices = startInProcessDevices({
  modes,
  initialValues: conveyors.map((asset) => ({
    assetId: asset.id,
    assetClass: 'conveyor',
    values: { mode: 'auto' },
  })),
  log: (line) => console.log(line),
});

const exporter = await startExporter(config, { inProcessDevice: devices.device }).catch(
  (error: NodeJS.ErrnoException) => {
    const hint =
      error.code === 'EADDRINUSE'
        ? ' (a port is taken: set TWINOPS_OTLP_PORT, TWINOPS_METRICS_PORT or TWINOPS_API_PORT)'
        : '';
    console.error(`demo: cannot start the exporter: ${error.message}${hint}`);
    process.exit(1);
  },
);
devices.reportTo(exporter.urls.otlp);
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
console.log(
  `  commands     ${exporter.urls.api}/api/v1/commands   (guarded: send this run's token as a bearer token)`,
);
console.log(`  token        ${demoToken}`);
console.log(
  '  devices      the reference device agent (test/agent) answers commands in process; ' +
    (modesText
      ? `modes ${modesText}`
      : 'every asset ok (set TWINOPS_DEMO_DEVICE_MODES, e.g. "refuse:conveyor-2 slow=3s:pump")'),
);
console.log(
  '  try it:      curl -s -X POST -H "Authorization: Bearer <token>" -H "Content-Type: application/json" \\',
);
console.log(
  `                 -d '{"idempotencyKey":"demo-0001","assetId":"conveyor-1","name":"setSpeed","params":{"mps":1.6},"reason":"demo","dryRun":true}' ${exporter.urls.api}/api/v1/commands`,
);
console.log('Press Ctrl-C to stop.');

const stop = async (signal: string): Promise<void> => {
  await simulation.stop();
  await devices.stop();
  await exporter.close();
  console.log(`demo stopped (${signal})`);
  process.exit(0);
};
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));
