import { defineConfig } from 'vitest/config';

// The live suite starts Prometheus and the exporter: one file at a time on 2 cores.
export default defineConfig({
  test: {
    name: 'dashboards',
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 240_000,
  },
});
