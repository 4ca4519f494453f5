import { defineConfig } from 'vitest/config';

// Unit tests sit beside the code in src/; test/ holds their fixtures (never compiled into dist/).
export default defineConfig({
  test: {
    name: 'exporter',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});
