// Copies the dashboards of ../dashboards (generated JSON, committed there) into src/dashboards/,
// where the app's plugin.json includes them and the build copies them to dist/. A dashboard that
// plugin.json includes but ../dashboards has not produced yet gets a placeholder, with a warning,
// so the build never ships an include that points at nothing.
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const plugin = fileURLToPath(new URL('..', import.meta.url));
const target = join(plugin, 'src', 'dashboards');
// The generated dashboards (dashboards/ generates them; the Helm chart carries the same files).
const sources = ['dashboards/generated'].map((d) => join(plugin, '..', d));

// Start empty, so nothing removed from the source lingers in the build.
rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
const copied = new Map();
for (const dir of sources) {
  if (!existsSync(dir)) {
    continue;
  }
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    if (copied.has(file)) {
      continue;
    }
    const from = join(dir, file);
    try {
      JSON.parse(readFileSync(from, 'utf8'));
    } catch (error) {
      console.error(`copy-dashboards: ${from} is not valid JSON: ${error.message}`);
      process.exit(1);
    }
    copyFileSync(from, join(target, file));
    copied.set(file, from);
  }
}

const manifest = JSON.parse(readFileSync(join(plugin, 'src', 'plugin.json'), 'utf8'));
const included = (manifest.includes ?? [])
  .filter((i) => i.type === 'dashboard')
  .map((i) => ({ name: i.name, file: basename(i.path), uid: i.uid }));
const placeholders = [];
const mismatched = [];
for (const { name, file, uid: includeUid } of included) {
  if (copied.has(file)) {
    // Grafana files an included dashboard under the include's uid: it must be the dashboard's own,
    // or the app's menu links to a dashboard that does not exist.
    const { uid } = JSON.parse(readFileSync(join(target, file), 'utf8'));
    if (uid !== includeUid) {
      mismatched.push(
        `${file}: plugin.json says uid ${JSON.stringify(includeUid)}, the dashboard ${JSON.stringify(uid)}`
      );
    }
    continue;
  }
  placeholders.push(file);
  const uid = includeUid ?? `twinops-${file.replace(/\.json$/, '')}`.slice(0, 40);
  writeFileSync(
    join(target, file),
    `${JSON.stringify(
      {
        title: `${name} (not built yet)`,
        uid,
        tags: ['twinops', 'placeholder'],
        schemaVersion: 39,
        editable: true,
        panels: [
          {
            type: 'text',
            title: 'Placeholder',
            gridPos: { x: 0, y: 0, w: 24, h: 4 },
            options: { mode: 'markdown', content: `dashboards/${file} was not generated when this plugin was built.` },
          },
        ],
      },
      null,
      2
    )}\n`
  );
}

if (mismatched.length) {
  console.error(`copy-dashboards: dashboard includes whose uid is not the dashboard's:\n  ${mismatched.join('\n  ')}`);
  process.exit(1);
}

// npm runs webpack next (`build`, `dev`): the longest step of the plugin's build, silent until it ends.
console.error(
  '[plugin] webpack builds the Grafana app plugin into dist/ next: seconds with its cache, about a minute without…'
);

console.log(
  `copy-dashboards: ${copied.size} copied${copied.size ? ` (${[...copied.keys()].join(', ')})` : ''}` +
    (placeholders.length ? `; placeholders for ${placeholders.join(', ')} (not in ../dashboards yet)` : '')
);
