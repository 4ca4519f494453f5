/**
 * The test bed: real servers for tests, installed once per machine (cached under ~/.cache/twinops)
 * and started on loopback with their own ports and data dirs. Every start waits for readiness and
 * every handle has stop(); a watchdog stops a server whose test process was killed.
 */
export {
  startAlertmanager,
  installAlertmanager,
  amtoolBinary,
  type AlertmanagerServer,
} from './alertmanager.js';
export { launchBrowser, installChromium, chromiumBinary } from './chromium.js';
export {
  installCollector,
  startCollector,
  validateCollectorConfig,
  collectorManifest,
  type CollectorOptions,
} from './collector.js';
export { helm, helmTemplate, installHelm, HELM_VERSION, type KubernetesObject } from './helm.js';
export { installSloth, SLOTH_VERSION } from './sloth.js';
export {
  installPluginValidator,
  runPluginValidator,
  formatFinding,
  PLUGIN_VALIDATOR_VERSION,
  type PluginValidator,
  type PluginValidatorFinding,
  type PluginValidatorReport,
} from './plugin-validator.js';
export { installKafka, startKafka, kafkaVersion, type KafkaBroker } from './kafka.js';
export {
  installPrometheus,
  startPrometheus,
  promtoolBinary,
  type PrometheusServer,
  type PrometheusSample,
  type PrometheusRangeSample,
} from './prometheus.js';
export { freePort } from '../../tools/ports.js';
export { serveHttp, readBody, type LoopbackServer } from './http.js';
export { waitFor } from './wait.js';
export { reapStaleInstances, run, type RunningServer } from '../../tools/process.js';
export { installAll, components } from './install.js';
