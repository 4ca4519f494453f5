import { parseArgs } from 'node:util';
import {
  ConfigError,
  applyEnvironment,
  configFromDocument,
  loadConfigFile,
} from './config/index.js';
import { startExporter } from './exporter.js';
import { tuneHeap } from './heap.js';

const usage = `usage: twinops-exporter [--config FILE] [--check]

  --config FILE  YAML configuration (see exporter/config.example.yaml); defaults apply without it
  --check        validate the configuration (file and TWINOPS_* environment) and exit
  --help         this text`;

/** Runs the exporter until SIGINT or SIGTERM, then saves a last snapshot and exits. */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      check: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const fromFile = values.config ? loadConfigFile(values.config) : configFromDocument({});
  const config = applyEnvironment(fromFile, process.env);
  if (values.check) {
    console.log(`configuration OK${values.config ? `: ${values.config}` : ' (defaults)'}`);
    return 0;
  }
  tuneHeap();
  const exporter = await startExporter(config);
  console.log(
    `twinops exporter: OTLP ${exporter.urls.otlp}/v1/metrics · metrics ${exporter.urls.metrics}/metrics · API ${exporter.urls.api}/api/v1/assets`,
  );
  const proxy = config.commands.enabled ? config.commands.auth.grafanaProxy : undefined;
  if (proxy) {
    // Says which identity headers count, so an ignored X-Grafana-Id is no surprise.
    console.log(
      proxy.idToken
        ? `twinops exporter: Grafana proxy identity from X-Grafana-Id (verified with ${proxy.idToken.jwksUrl}) and X-Grafana-Context`
        : 'twinops exporter: Grafana proxy identity from X-Grafana-Context; X-Grafana-Id is ignored (commands.auth.grafanaProxy.jwksUrl is not set)',
    );
  }
  await new Promise<void>((resolveSignal) => {
    process.once('SIGINT', resolveSignal);
    process.once('SIGTERM', resolveSignal);
  });
  await exporter.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(
      error instanceof ConfigError ? error.message : `twinops exporter: ${error.message}`,
    );
    process.exit(error instanceof ConfigError ? 2 : 1);
  },
);
