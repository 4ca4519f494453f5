import { type RunningServer } from './process.js';
export declare const prometheusBinary = '/usr/bin/prometheus';
export declare const promtoolBinary = '/usr/bin/promtool';
/** Debian's Prometheus (with promtool). Its packaged service is never used: each test runs its own. */
export declare function installPrometheus(): Promise<void>;
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
  /** An instant query; returns the API's `data.result`. */
  query(promql: string): Promise<PrometheusSample[]>;
}
export interface PrometheusSample {
  metric: Record<string, string>;
  value: [number, string];
}
export declare function startPrometheus(options?: PrometheusOptions): Promise<PrometheusServer>;
