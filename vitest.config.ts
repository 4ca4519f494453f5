import { defineConfig } from 'vitest/config';

// One run covers every workspace; each project keeps its own settings.
export default defineConfig({
  test: {
    projects: ['exporter', 'alerts', 'dashboards', 'scripts', 'test'],
    globalSetup: ['test/support/global-setup.ts'],
  },
});
