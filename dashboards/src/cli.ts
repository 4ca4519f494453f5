/**
 * npm run -w dashboards generate   write dashboards/*.json from the code (commit the result)
 * npm run -w dashboards check      exit 1 if the committed JSON differs from the code, or fails the schema
 * npm run -w dashboards schema     regenerate schema/dashboard.schema.json from @grafana/schema
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDashboards, drift, generatedDir, renderAll } from './dashboards.js';
import { generateSchema, renderSchema, schemaPath, validateDashboard } from './schema.js';

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case 'generate': {
      for (const [file, text] of await renderAll()) {
        writeFileSync(join(generatedDir, file), text);
        console.log(`wrote dashboards/generated/${file}`);
      }
      return 0;
    }
    case 'check': {
      let status = 0;
      for (const [file, dashboard] of buildDashboards()) {
        const problems = validateDashboard(dashboard);
        for (const p of problems) console.error(`dashboards/${file}: ${p}`);
        if (problems.length) status = 1;
      }
      const drifted = await drift();
      if (drifted.length) {
        console.error(
          `out of date with the code: ${drifted.map((f) => `dashboards/${f}`).join(', ')}\n` +
            'run `npm run -w dashboards generate` and commit the result',
        );
        status = 1;
      }
      if (!status)
        console.log('dashboards/generated/*.json match the code and Grafana’s dashboard schema');
      return status;
    }
    case 'schema': {
      mkdirSync(dirname(schemaPath), { recursive: true });
      writeFileSync(schemaPath, await renderSchema(generateSchema()));
      console.log('wrote dashboards/schema/dashboard.schema.json');
      return 0;
    }
    default:
      console.error('usage: tsx dashboards/src/cli.ts generate|check|schema');
      return 2;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv[2]);
}
