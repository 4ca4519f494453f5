/**
 * npm run bed -- install [component…]   install (cached) the test bed, or some of it
 * npm run bed -- clean                  stop servers left by killed runs and delete their data
 * npm run bed -- start kafka|prometheus|alertmanager   run one until Ctrl-C (for manual work)
 */
import { installAll, components } from './install.js';
import { startAlertmanager } from './alertmanager.js';
import { startKafka } from './kafka.js';
import { startPrometheus } from './prometheus.js';
import { reapStaleInstances, type RunningServer } from '../../tools/process.js';

const [command, ...rest] = process.argv.slice(2);

async function main(): Promise<number> {
  switch (command) {
    case 'install': {
      const failed = await installAll(rest.length ? rest : Object.keys(components));
      if (failed.length) console.error(`test bed: failed to install ${failed.join(', ')}`);
      return failed.length ? 1 : 0;
    }
    case 'clean': {
      const reaped = reapStaleInstances();
      console.log(reaped.length ? `reaped ${reaped.join(', ')}` : 'nothing stale');
      return 0;
    }
    case 'start': {
      const starters: Record<
        string,
        () => Promise<RunningServer & { bootstrap?: string; url?: string }>
      > = {
        kafka: () => startKafka(),
        prometheus: () => startPrometheus(),
        alertmanager: () =>
          startAlertmanager({ route: { receiver: 'null' }, receivers: [{ name: 'null' }] }),
      };
      const start = starters[rest[0] ?? ''];
      if (!start) {
        console.error(`start what? one of: ${Object.keys(starters).join(', ')}`);
        return 2;
      }
      const server = await start();
      console.log(`${server.name} ready at ${server.bootstrap ?? server.url} (Ctrl-C stops it)`);
      await new Promise<void>((resolveSignal) => {
        process.once('SIGINT', resolveSignal);
        process.once('SIGTERM', resolveSignal);
      });
      await server.stop();
      return 0;
    }
    default:
      console.error(
        'usage: npm run bed -- install [component…] | clean | start kafka|prometheus|alertmanager',
      );
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error.message);
    process.exit(1);
  },
);
