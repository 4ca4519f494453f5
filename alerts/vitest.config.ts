import { defineConfig } from 'vitest/config';

// Some suites run promtool, amtool and a real Prometheus: one file at a time on 2 cores.
export default defineConfig({
  test: {
    name: 'alerts',
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 240_000,
  },
});
