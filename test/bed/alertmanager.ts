import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../tools/ports.js';
import { httpOk, run, startServer, type RunningServer } from '../../tools/process.js';
import { installDebianPackages } from './system.js';

export const alertmanagerBinary = '/usr/bin/prometheus-alertmanager';
export const amtoolBinary = '/usr/bin/amtool';

/** Debian's Alertmanager (with amtool). */
export function installAlertmanager(): Promise<void> {
  return installDebianPackages('alertmanager', [
    { name: 'prometheus-alertmanager', provides: alertmanagerBinary },
  ]);
}

export interface AlertmanagerServer extends RunningServer {
  url: string;
  /** `127.0.0.1:port`, as Prometheus' alerting config wants it. */
  address: string;
}

/** Runs Alertmanager with the given config (an object, or a file path), checked by amtool first. */
export async function startAlertmanager(
  config: Record<string, unknown> | { path: string },
): Promise<AlertmanagerServer> {
  await installAlertmanager();
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  let configPath = '';
  const server = await startServer({
    name: 'alertmanager',
    command: alertmanagerBinary,
    prepare: async (dir) => {
      if ('path' in config && typeof config.path === 'string') configPath = config.path;
      else {
        configPath = join(dir, 'alertmanager.yml');
        writeFileSync(configPath, stringify(config));
      }
      await run(amtoolBinary, ['check-config', configPath]);
    },
    args: (dir) => [
      `--config.file=${configPath}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=${address}`,
      '--cluster.listen-address=', // a single instance: no gossip port
      '--log.level=warn',
    ],
    ready: () => httpOk(`http://${address}/-/ready`),
  });
  return { ...server, url: `http://${address}`, address };
}
