import { parseCommandLine, usage } from './cli.js';
import { buildInfo } from './build-info.js';
import {
  ConfigError,
  applyEnvironment,
  configFromDocument,
  loadConfigFile,
} from './config/index.js';
import type { Logger } from './log.js';

/** Set once the configuration is read: what fails after that is logged too. */
let logger: Logger | undefined;

/** Runs the exporter until SIGINT or SIGTERM, then saves a last snapshot and exits. */
async function main(): Promise<number> {
  const command = parseCommandLine(process.argv.slice(2));
  switch (command.kind) {
    case 'help':
      process.stdout.write(`${usage}\n`);
      return 0;
    case 'version':
      process.stdout.write(`${buildInfo().version}\n`);
      return 0;
    case 'error':
      process.stderr.write(`twinops-exporter: ${command.message}\n${usage}\n`);
      return 2;
  }
  const fromFile = command.config ? loadConfigFile(command.config) : configFromDocument({});
  const config = applyEnvironment(fromFile, process.env);
  if (command.check) {
    process.stdout.write(
      `configuration OK${command.config ? `: ${command.config}` : ' (defaults)'}\n`,
    );
    return 0;
  }
  // Loaded only to run: help, version and --check answer without the servers, SQLite and the SDKs.
  const [{ createLogger }, { tuneHeap }, { startExporter }] = await Promise.all([
    import('./log.js'),
    import('./heap.js'),
    import('./exporter.js'),
  ]);
  const log = createLogger({ level: config.log.level });
  logger = log;
  tuneHeap();
  const { version, revision } = buildInfo();
  const exporter = await startExporter(config, { logger: log });
  log.info(
    {
      version,
      revision,
      otlp: `${exporter.urls.otlp}/v1/metrics`,
      metrics: `${exporter.urls.metrics}/metrics`,
      api: `${exporter.urls.api}/api/v1/assets`,
    },
    'twinops exporter started',
  );
  const proxy = config.commands.enabled ? config.commands.auth.grafanaProxy : undefined;
  if (proxy) {
    // Says which identity headers count, so an ignored X-Grafana-Id is no surprise.
    log.info(
      proxy.idToken
        ? { identity: ['X-Grafana-Id', 'X-Grafana-Context'], jwksUrl: proxy.idToken.jwksUrl }
        : { identity: ['X-Grafana-Context'], ignored: 'X-Grafana-Id' },
      proxy.idToken
        ? 'Grafana proxy identity from X-Grafana-Id (verified with the JWKS) and X-Grafana-Context'
        : 'Grafana proxy identity from X-Grafana-Context; X-Grafana-Id is ignored (commands.auth.grafanaProxy.jwksUrl is not set)',
    );
  }
  const signal = await new Promise<NodeJS.Signals>((resolveSignal) => {
    process.once('SIGINT', resolveSignal);
    process.once('SIGTERM', resolveSignal);
  });
  log.info({ signal }, 'twinops exporter stopping');
  await exporter.close();
  log.info('twinops exporter stopped');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    logger?.fatal({ err: error }, 'twinops exporter failed');
    process.stderr.write(`twinops exporter: ${error.message}\n`);
    process.exit(1);
  },
);
