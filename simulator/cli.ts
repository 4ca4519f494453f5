// The fleet simulator from the command line: runs until Ctrl-C (or --ticks), summary every 10 s.
//   npx tsx simulator/cli.ts --endpoint http://127.0.0.1:4318 --assets 50 --tick 1000 \
//     [--scenario drift:pump-3] [--scenario partition:site-a@30s+60s] [--seed 7]
import { parseArgs } from 'node:util';
import {
  parseScenario,
  runSimulation,
  startSimulation,
  type ExportStats,
  type SimulationOptions,
  type SimulationStats,
} from './index.js';

const usage = `usage: npx tsx simulator/cli.ts [options]
  --endpoint URL     OTLP/HTTP base URL (default http://127.0.0.1:4318)
  --encoding E       proto (default) or json
  --assets N         number of assets (default 12)
  --tick MS          tick interval in ms (default 1000)
  --ticks N          stop after N ticks (default: run until Ctrl-C)
  --seed N           PRNG seed (default 1)
  --sites A,B        site names (default site-a,site-b,site-c)
  --scenario S       kind[=param][:target,…][@from[+duration]], repeatable; kinds:
                     partition, drift (param: tolerances), regression (param: model version),
                     skew (param: e.g. 30s). Targets are asset ids, classes or sites.
  --truth FILE       write the ground truth as JSON lines`;

function positiveInt(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer`);
  return n;
}

function line(stats: Pick<SimulationStats, 'ticks' | 'exports'> & Partial<SimulationStats>) {
  const e: ExportStats = stats.exports;
  const parts = [
    `ticks=${stats.ticks}`,
    ...(stats.points === undefined ? [] : [`points=${stats.points}`]),
    ...(stats.held === undefined ? [] : [`held=${stats.held}`]),
    `exports=${e.sent}`,
    `ok=${e.succeeded}`,
    `failed=${e.failed}`,
  ];
  const error = e.errors.at(-1);
  return `[sim] ${new Date().toISOString()} ${parts.join(' ')}${error ? ` last error: ${error}` : ''}`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      endpoint: { type: 'string' },
      encoding: { type: 'string' },
      assets: { type: 'string' },
      tick: { type: 'string' },
      ticks: { type: 'string' },
      seed: { type: 'string' },
      sites: { type: 'string' },
      scenario: { type: 'string', multiple: true },
      truth: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (values.encoding !== undefined && values.encoding !== 'proto' && values.encoding !== 'json') {
    throw new Error('--encoding must be proto or json');
  }
  const options: SimulationOptions = {
    endpoint: values.endpoint,
    encoding: values.encoding,
    assets: positiveInt('assets', values.assets),
    tickMs: positiveInt('tick', values.tick),
    ticks: positiveInt('ticks', values.ticks),
    seed: values.seed === undefined ? undefined : Number(values.seed),
    sites: values.sites?.split(',').map((s) => s.trim()),
    scenarios: (values.scenario ?? []).map(parseScenario),
    truthFile: values.truth,
    // A long run would grow without bound; the truth file keeps it instead.
    keepTruth: false,
  };
  console.log(
    `[sim] ${options.assets ?? 12} assets → ${options.endpoint ?? 'http://127.0.0.1:4318'} ` +
      `(${options.encoding ?? 'proto'}), tick ${options.tickMs ?? 1000} ms, seed ${options.seed ?? 1}` +
      (values.scenario?.length ? `, scenarios ${values.scenario.join(' ')}` : ''),
  );

  if (options.ticks !== undefined) {
    const result = await runSimulation(options);
    console.log(line({ ticks: result.ticks, exports: result.exports }));
    return result.exports.failed > 0 ? 1 : 0;
  }

  const sim = startSimulation(options);
  const summary = setInterval(() => console.log(line(sim.stats())), 10_000);
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      console.log(`[sim] ${signal}: flushing (again to exit at once)`);
      process.once(signal, () => process.exit(130));
      resolve();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  await stopped;
  clearInterval(summary);
  const result = await sim.stop();
  console.log(line({ ...sim.stats(), exports: result.exports }));
  return result.exports.failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[sim] ${error instanceof Error ? error.message : String(error)}\n${usage}`);
    process.exit(2);
  },
);
