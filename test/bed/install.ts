import { installAlertmanager } from './alertmanager.js';
import { installChromium } from './chromium.js';
import { installCollector } from './collector.js';
import { installHelm } from './helm.js';
import { buildExporterImage } from './image.js';
import { installKafka } from './kafka.js';
import { progress } from '../../tools/log.js';
import { installOtelPython } from './otel-python.js';
import { installPluginValidator } from './plugin-validator.js';
import { installPrometheus } from './prometheus.js';
import { installSloth } from './sloth.js';
import { installDebianPackages } from './system.js';

/** Every component the test bed can install, by name. */
export const components: Record<string, () => Promise<unknown>> = {
  // One apt transaction for all Debian packages is much faster than one per component.
  debian: () =>
    installDebianPackages('debian', [
      { name: 'prometheus', provides: '/usr/bin/prometheus' },
      { name: 'prometheus-alertmanager', provides: '/usr/bin/prometheus-alertmanager' },
      { name: 'chromium', provides: '/usr/bin/chromium' },
      { name: 'kcat', provides: '/usr/bin/kcat' },
    ]),
  prometheus: installPrometheus,
  alertmanager: installAlertmanager,
  chromium: installChromium,
  kafka: installKafka,
  collector: installCollector,
  helm: installHelm,
  sloth: installSloth,
  'otel-python': installOtelPython,
  'plugin-validator': installPluginValidator,
  // Last: it builds the exporter image from the checkout (cached by its inputs).
  image: buildExporterImage,
};

/**
 * Installs the named components (all by default). Each failure is reported with its reason and
 * the rest still install; the returned list names the ones that failed.
 */
export async function installAll(names = Object.keys(components)): Promise<string[]> {
  const failed: string[] = [];
  const started = Date.now();
  process.stderr.write(
    `[bed] checking the test bed: ${names.join(', ')} (seconds when cached; on a new machine the ` +
      `first run downloads and builds them, about a quarter of an hour on 2 cores, each step saying what it does)\n`,
  );
  for (const name of names) {
    const install = components[name];
    if (!install)
      throw new Error(
        `unknown test bed component "${name}"; known: ${Object.keys(components).join(', ')}`,
      );
    try {
      await install();
    } catch (error) {
      failed.push(name);
      progress(name, `install FAILED: ${(error as Error).message}`);
    }
  }
  process.stderr.write(
    `[bed] test bed ${failed.length ? `checked, ${failed.length} failed` : 'ready'} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  return failed;
}
