import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { withHeartbeat } from '../../tools/log.js';
import { cachePath } from '../../tools/paths.js';
import { run } from '../../tools/process.js';
import { requireCommand } from './system.js';

/** The OpenTelemetry Python SDK release; the OTLP/HTTP exporter is released with it. */
export const OTEL_PYTHON_VERSION = '1.45.2';

const packages = [
  `opentelemetry-sdk==${OTEL_PYTHON_VERSION}`,
  `opentelemetry-exporter-otlp-proto-http==${OTEL_PYTHON_VERSION}`,
];

/**
 * Installs the official OpenTelemetry Python SDK and its OTLP/HTTP exporter from PyPI into a
 * virtualenv, once per version; returns the virtualenv's python. The virtualenv is built in a
 * scratch dir and renamed when complete (its `bin/python` finds its packages wherever it lives).
 */
export async function installOtelPython(): Promise<string> {
  const venv = cachePath('otel-python', OTEL_PYTHON_VERSION);
  const python = join(venv, 'bin', 'python');
  if (existsSync(python)) return python;
  const python3 = requireCommand(
    'python3',
    'the OpenTelemetry Python SDK needs Python 3.9 or newer with venv (apt-get install python3-venv)',
  );
  const scratch = `${venv}.partial-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(dirname(venv), { recursive: true });
  try {
    await withHeartbeat(
      'otel-python',
      `virtualenv and pip install ${packages.join(' ')} from PyPI`,
      async () => {
        await run(python3, ['-m', 'venv', scratch]);
        await run(join(scratch, 'bin', 'python'), [
          '-m',
          'pip',
          'install',
          '--quiet',
          '--disable-pip-version-check',
          '--no-input',
          ...packages,
        ]);
      },
      { cold: 'once per version, under a minute' },
    );
    rmSync(venv, { recursive: true, force: true }); // a venv whose base python is gone
    renameSync(scratch, venv);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return python;
}
