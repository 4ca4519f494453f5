import { type RunningServer } from './process.js';
export declare const alertmanagerBinary = '/usr/bin/prometheus-alertmanager';
export declare const amtoolBinary = '/usr/bin/amtool';
/** Debian's Alertmanager (with amtool). */
export declare function installAlertmanager(): Promise<void>;
export interface AlertmanagerServer extends RunningServer {
  url: string;
  /** `127.0.0.1:port`, as Prometheus' alerting config wants it. */
  address: string;
}
/** Runs Alertmanager with the given config (an object, or a file path), checked by amtool first. */
export declare function startAlertmanager(
  config:
    | Record<string, unknown>
    | {
        path: string;
      },
): Promise<AlertmanagerServer>;
