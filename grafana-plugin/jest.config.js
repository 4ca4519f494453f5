// force timezone to UTC to allow tests to work regardless of local timezone
// generally used by snapshots, but can affect specific tests
process.env.TZ = 'UTC';

const base = require('./.config/jest.config');
const [[, swc]] = Object.entries(base.transform);

module.exports = {
  ...base,
  // Some of @grafana/data's ESM-only dependencies (d3-*) ship .mjs files: transform those too.
  transform: { ...base.transform, '^.+\\.mjs$': swc },
};
