import { parseArgs } from 'node:util';
import {
  ConfigError,
  applyEnvironment,
  configFromDocument,
  loadConfigFile,
} from './config/index.js';
import { startExporter } from './exporter.js';

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
  const exporter = await startExporter(config);
  console.log(
    `twinops exporter: OTLP ${exporter.urls.otlp}/v1/metrics · metrics ${exporter.urls.metrics}/metrics · API ${exporter.urls.api}/api/v1/assets`,
  );
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
