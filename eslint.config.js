// Lint for all TypeScript (and the few plain .mjs bootstrap scripts) in every workspace.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { layersPlugin } from './scripts/lint-layers.mjs';

const root = import.meta.dirname;

export default tseslint.config(
  // The Grafana plugin is its own project, linted by the plugin tooling's config.
  {
    ignores: ['**/node_modules/**', '**/dist/**', '**/build/**', 'charts/**', 'grafana-plugin/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      eqeqeq: ['error', 'always'],
    },
  },
  // The exporter's layering (exporter/layers.json); its composition root and tests may import
  // anything.
  {
    files: ['exporter/src/**/*.ts'],
    ignores: ['**/*.test.ts', 'exporter/src/exporter.ts', 'exporter/src/main.ts'],
    plugins: {
      twinops: layersPlugin(`${root}/exporter/src`, `${root}/exporter/layers.json`),
    },
    rules: { 'twinops/layers': 'error' },
  },
  // prom-client's metrics are defined in metrics/ alone; elsewhere a registry or a metric is only
  // passed along, as a type. The composition root creates the registry, /metrics renders it.
  {
    files: ['exporter/src/**/*.ts'],
    ignores: [
      '**/*.test.ts',
      'exporter/src/metrics/**',
      'exporter/src/exporter.ts',
      'exporter/src/api/openmetrics.ts',
    ],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'prom-client',
              message: 'define metrics in exporter/src/metrics/ (a type import is fine)',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
);
