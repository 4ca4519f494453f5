/**
 * `npm run demo`: the embedded default in one process (no Kafka): the exporter configured by
 * exporter/config.example.yaml on loopback, fed by the fleet simulator over real OTLP/HTTP, with
 * its commands answered by the reference device agent in process (failure modes from
 * TWINOPS_DEMO_DEVICE_MODES, e.g. "refuse:conveyor-2 slow=3s:pump"), and the Grafana app's pages
 * served by the plugin's preview host (grafana-plugin/preview, built when its sources changed)
 * through its emulation of Grafana's plugin proxy, with a proxy secret made for this run.
 * Prints where the metrics, the twin API and the preview are, and stops cleanly on Ctrl-C.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ConfigError, applyEnvironment, loadConfigFile } from '../exporter/src/config/index.js';
import { startExporter } from '../exporter/src/exporter.js';
import { parseModeList, startInProcessDevices, type ModeSetting } from '../device-agent/index.js';
import { withProgress } from '../tools/log.js';
import { repoRoot } from '../tools/paths.js';
import { freePort } from '../tools/ports.js';
import { buildPreviewBundle, startPreviewHost } from '../tools/preview-host.js';
import type { RunningServer } from '../tools/process.js';
import { buildFleet } from '../simulator/fleet.js';
import { defaultClasses, defaultSites, startSimulation } from '../simulator/index.js';

/** What the demo is doing, on stderr (stdout is the summary below): every phase is announced. */
const say = (message: string): void => void process.stderr.write(`[demo] ${message}\n`);

const stateDir = join(repoRoot, '.twinops');
mkdirSync(stateDir, { recursive: true });
say('reading exporter/config.example.yaml (commands on, in-process devices)');

// A token for this run only, for the person at this console: commands need a login.
const demoToken = randomBytes(18).toString('base64url');
// The secret Grafana's plugin proxy (here: the preview host's emulation of it) shares with the
// exporter, for this run only: it lets the proxy vouch for the signed-in user.
const proxySecret = randomBytes(24).toString('base64url');

let config;
try {
  const example = loadConfigFile(join(repoRoot, 'exporter', 'config.example.yaml'));
  // The demo switches the guarded command gateway on, with in-process devices (see below).
  example.commands = {
    ...example.commands,
    enabled: true,
    devices: 'simulated',
    ledgerPath: join(stateDir, 'demo-commands.db'),
    // Grafana's Editors also act as engineers and Admins as admins and engineers, so a high-risk
    // command submitted by one (olga, an Editor in the preview) is approved by another (erin).
    auth: {
      ...example.commands.auth,
      grafanaRoleMap: {
        Viewer: ['viewer'],
        Editor: ['operator', 'engineer'],
        Admin: ['admin', 'engineer'],
      },
    },
  };
  config = applyEnvironment(example, {
    TWINOPS_HOST: '127.0.0.1',
    TWINOPS_SNAPSHOT_PATH: join(stateDir, 'demo-state.db'),
    ...process.env,
    TWINOPS_API_TOKENS: `demo:operator+engineer+admin:${demoToken}`,
    TWINOPS_PROXY_SECRET: proxySecret,
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
// The preview bundle is built only when grafana-plugin/src or preview/ changed since the last build;
// the build says what it does and beats while it works ([preview] lines, passed on by `run`).
try {
  await withProgress(say, "checking the Grafana app's preview bundle", () => buildPreviewBundle(), {
    cold: 'seconds when up to date; a rebuild takes about a minute',
    everyMs: 600_000,
  });
} catch (error) {
  console.error(`demo: cannot build the preview host:\n${(error as Error).message}`);
  process.exit(1);
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
  // Beside the ledger: what the devices were told outlives a crash of the demo as the ledger's
  // record of it does, so after a restart the twin still shows what the ledger says was applied.
  stateFile:
    config.commands.ledgerPath === ':memory:'
      ? undefined
      : config.commands.ledgerPath.replace(/(\.db)?$/, '-devices.json'),
  log: (line) => console.log(line),
});

const stateFile = config.state.snapshot.path;
const shownStateFile = relative(repoRoot, stateFile).startsWith('..')
  ? stateFile
  : relative(repoRoot, stateFile);
const exporter = await withProgress(
  say,
  'starting the exporter',
  () => startExporter(config, { inProcessDevice: devices.device }),
  {
    cold:
      stateFile === ':memory:'
        ? 'a few seconds'
        : `restores ${shownStateFile} and replays its journal: ` +
          'seconds, longer after a long run',
  },
).catch((error: NodeJS.ErrnoException) => {
  const hint =
    error.code === 'EADDRINUSE'
      ? ' (a port is taken: set TWINOPS_OTLP_PORT, TWINOPS_METRICS_PORT or TWINOPS_API_PORT)'
      : '';
  console.error(`demo: cannot start the exporter: ${error.message}${hint}`);
  process.exit(1);
});
devices.reportTo(exporter.urls.otlp);
say(`starting the fleet simulator: ${assets} assets sending OTLP every second`);
const simulation = startSimulation({
  endpoint: exporter.urls.otlp,
  assets,
  tickMs: 1000,
  keepTruth: false,
});

// 3000 by default, as the architecture has it; 0 picks a free one.
const previewPort = Number(process.env.TWINOPS_PREVIEW_PORT ?? 3000) || (await freePort());
let preview: RunningServer;
try {
  // Its own process (as users run it), stopped with the demo even if the demo is killed.
  ({ host: preview } = await withProgress(
    say,
    `starting the preview host on port ${previewPort}`,
    () =>
      startPreviewHost(
        exporter.urls.api,
        [],
        { TWINOPS_PROXY_SECRET: proxySecret },
        { port: previewPort, readyTimeoutMs: 20_000 },
      ),
    { cold: 'a few seconds' },
  ));
} catch (error) {
  const message = (error as Error).message;
  const hint = message.includes('EADDRINUSE') ? ' (a port is taken: set TWINOPS_PREVIEW_PORT)' : '';
  console.error(`demo: cannot start the preview host${hint}: ${message}`);
  await simulation.stop();
  await devices.stop();
  await exporter.close();
  process.exit(1);
}

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
  `  preview UI   http://127.0.0.1:${previewPort}/preview/fleet   (the Grafana app's pages through its proxy; ` +
    'users viewer, olga (Editor), erin and emil (Admin): switch at the top right)',
);
console.log(
  '  devices      the reference device agent (device-agent/) answers commands in process; ' +
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
  say(
    `${signal}: stopping the preview host, the simulator, the devices and the exporter (a last checkpoint)`,
  );
  await preview.stop();
  await simulation.stop();
  await devices.stop();
  await exporter.close();
  console.log(`demo stopped (${signal})`);
  process.exit(0);
};
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));
