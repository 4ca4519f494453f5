#!/usr/bin/env node
// The exporter's CLI runs the JavaScript that `npm run build -w exporter` compiles into dist/.
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(
    'twinops-exporter: not built (exporter/dist/main.js is missing); run `npm run build -w exporter`\n',
  );
  process.exit(1);
}
await import(main.href);
