import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../tools/ports.js';
import { httpOk, run, startServer, type RunningServer } from '../../tools/process.js';
import { installDebianPackages } from './system.js';

export const prometheusBinary = '/usr/bin/prometheus';
export const promtoolBinary = '/usr/bin/promtool';

/** Debian's Prometheus (with promtool). Its packaged service is never used: each test runs its own. */
export function installPrometheus(): Promise<void> {
  return installDebianPackages('prometheus', [{ name: 'prometheus', provides: prometheusBinary }]);
}

export interface PrometheusOptions {
  /** `scrape_configs` entries; scraped every `scrapeInterval`. */
  scrapeConfigs?: Record<string, unknown>[];
  /** Absolute paths of rule files to load. */
  ruleFiles?: string[];
  /** `host:port` of Alertmanagers to send alerts to. */
  alertmanagers?: string[];
  scrapeInterval?: string;
  evaluationInterval?: string;
}

export interface PrometheusServer extends RunningServer {
  url: string;
  /** An instant query (at `atSeconds`, default now); returns the API's `data.result`. */
  query(promql: string, atSeconds?: number): Promise<PrometheusSample[]>;
  /** An instant query of a range vector: the raw samples of each series. */
  samples(promql: string): Promise<PrometheusRangeSample[]>;
}

export interface PrometheusSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PrometheusRangeSample {
  metric: Record<string, string>;
  /** [seconds with millisecond precision, value] */
  values: [number, string][];
}

export async function startPrometheus(options: PrometheusOptions = {}): Promise<PrometheusServer> {
  await installPrometheus();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = {
    global: {
      scrape_interval: options.scrapeInterval ?? '1s',
      evaluation_interval: options.evaluationInterval ?? '1s',
    },
    rule_files: options.ruleFiles ?? [],
    scrape_configs: options.scrapeConfigs ?? [],
    ...(options.alertmanagers?.length
      ? { alerting: { alertmanagers: [{ static_configs: [{ targets: options.alertmanagers }] }] } }
      : {}),
  };
  const server = await startServer({
    name: 'prometheus',
    command: prometheusBinary,
    prepare: async (dir) => {
      writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
      await run(promtoolBinary, ['check', 'config', join(dir, 'prometheus.yml')]);
    },
    args: (dir) => [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
      '--log.level=warn',
    ],
    ready: () => httpOk(`${url}/-/ready`),
  });
  const instant = async <T>(promql: string, atSeconds?: number): Promise<T[]> => {
    const time = atSeconds === undefined ? '' : `&time=${atSeconds.toFixed(3)}`;
    const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}${time}`);
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: { result: T[] };
    };
    if (body.status !== 'success' || !body.data)
      throw new Error(`query ${promql} failed: ${body.error ?? response.status}`);
    return body.data.result;
  };
  return {
    ...server,
    url,
    query: (promql, atSeconds) => instant<PrometheusSample>(promql, atSeconds),
    samples: (promql) => instant<PrometheusRangeSample>(promql),
  };
}
