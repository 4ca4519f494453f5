// The reference device agent from the command line: runs until Ctrl-C, then stops cleanly.
//   npx tsx device-agent/cli.ts --brokers 127.0.0.1:9092 --otlp http://127.0.0.1:4318 \
//     [--mode refuse:pump-2] [--mode slow=5s:valve] [--group twinops-device-agent]
import { parseArgs } from 'node:util';
import { parseDuration } from '../simulator/index.js';
import { startDeviceAgent, type DeviceAgent, type DeviceAgentOptions } from './agent.js';
import { failureModes, parseModeArg, type ModeSpec } from './modes.js';

const usage = `usage: npx tsx device-agent/cli.ts --brokers HOST:PORT[,…] [options]
  --brokers LIST     Kafka bootstrap servers (required)
  --otlp URL         OTLP/HTTP base URL of the exporter (default http://127.0.0.1:4318)
  --group ID         consumer group (default twinops-device-agent)
  --mode M           mode[=param][:target,…], repeatable; targets are asset ids or classes
                     (none: every asset). Modes: ${failureModes.join(', ')}.
                     Params: slow=DURATION (e.g. 5s), refuse=REASON.
  --report-every D   resend every known asset's values this often (default 1s; 0s: never)`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      brokers: { type: 'string' },
      otlp: { type: 'string' },
      group: { type: 'string' },
      mode: { type: 'string', multiple: true },
      'report-every': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (!values.brokers) throw new Error('--brokers is required');
  const modes: Record<string, ModeSpec> = {};
  for (const text of values.mode ?? []) {
    for (const { target, setting } of parseModeArg(text)) modes[target] = setting;
  }
  const options: DeviceAgentOptions = {
    brokers: values.brokers.split(',').map((b) => b.trim()),
    otlpEndpoint: values.otlp ?? 'http://127.0.0.1:4318',
    groupId: values.group,
    modes,
    reportEveryMs:
      values['report-every'] === undefined ? undefined : parseDuration(values['report-every']),
    log: (line) => console.log(`${new Date().toISOString()} ${line}`),
  };

  let agent: DeviceAgent;
  try {
    agent = await startDeviceAgent(options);
  } catch (error) {
    console.error(`[agent] could not start: ${error instanceof Error ? error.message : error}`);
    return 1;
  }
  console.log(
    `[agent] consuming twin.commands from ${options.brokers.join(',')} (group ` +
      `${options.groupId ?? 'twinops-device-agent'}), reporting to ${options.otlpEndpoint}` +
      (values.mode?.length ? `, modes ${values.mode.join(' ')}` : ''),
  );

  // Ends on Ctrl-C / SIGTERM (clean stop), or when a `crash` mode kills the agent.
  const ended = await new Promise<'signal' | 'crashed'>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      console.log(`[agent] ${signal}: finishing the commands in hand (again to exit at once)`);
      process.once(signal, () => process.exit(130));
      resolve('signal');
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const watch = setInterval(() => {
      if (agent.state() !== 'crashed') return;
      clearInterval(watch);
      resolve('crashed');
    }, 200);
  });
  await agent.stop();
  return ended === 'crashed' ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[agent] ${error instanceof Error ? error.message : String(error)}\n${usage}`);
    process.exit(2);
  },
);
