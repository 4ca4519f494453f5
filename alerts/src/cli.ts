/**
 * npm run -w alerts generate   write alerts/generated/ from the specs
 * npm run -w alerts check      exit 1 if alerts/generated/ differs from what the specs generate
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from './generate.js';
import { SpecError, loadSpecs } from './spec.js';

export const alertsDir = fileURLToPath(new URL('..', import.meta.url));

/** Files whose committed text differs from the generated one (missing files included). */
export function drift(dir = alertsDir): string[] {
  const outputs = generate(loadSpecs(dir));
  return [...outputs].flatMap(([path, text]) => {
    const file = join(dir, path);
    return existsSync(file) && readFileSync(file, 'utf8') === text ? [] : [path];
  });
}

function main(command: string | undefined): number {
  switch (command) {
    case 'generate': {
      for (const [path, text] of generate(loadSpecs(alertsDir))) {
        const file = join(alertsDir, path);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, text);
        console.log(`wrote alerts/${path}`);
      }
      return 0;
    }
    case 'check': {
      const drifted = drift();
      if (drifted.length) {
        console.error(
          `out of date with the specs: ${drifted.map((p) => `alerts/${p}`).join(', ')}\n` +
            'run `npm run -w alerts generate` and commit the result',
        );
        return 1;
      }
      console.log('alerts/generated/ matches the specs');
      return 0;
    }
    default:
      console.error('usage: tsx alerts/src/cli.ts generate|check');
      return 2;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    process.exitCode = main(process.argv[2]);
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    console.error(error.message);
    process.exitCode = 1;
  }
}
