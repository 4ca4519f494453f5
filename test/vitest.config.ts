import { defineConfig } from 'vitest/config';

// Suites here start real servers: run files one at a time to fit a 2-core machine. The fleet
// simulator's, the device agent's and the process tools' suites (../simulator, ../device-agent,
// ../tools) run here too.
export default defineConfig({
  test: {
    name: 'test',
    include: [
      '**/*.test.ts',
      '../simulator/**/*.test.ts',
      '../device-agent/**/*.test.ts',
      '../tools/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 240_000,
  },
});
