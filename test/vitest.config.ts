import { defineConfig } from 'vitest/config';

// Suites here start real servers: run files one at a time to fit a 2-core machine.
export default defineConfig({
  test: {
    name: 'test',
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 240_000,
  },
});
