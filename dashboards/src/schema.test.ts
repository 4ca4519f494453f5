/**
 * Every dashboard validates against Grafana's dashboard schema (generated from the Dashboard type
 * @grafana/schema publishes), and the validation means something: broken dashboards are refused
 * with the path of what is wrong.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildDashboards, files } from './dashboards.js';
import { join } from 'node:path';
import { generatedDir } from './dashboards.js';
import { generateSchema, renderSchema, schemaPath, validateDashboard } from './schema.js';

const committed = Object.keys(files).map(
  (file) => [file, JSON.parse(readFileSync(join(generatedDir, file), 'utf8'))] as const,
);

describe("Grafana's dashboard schema", () => {
  it('the committed schema is the one @grafana/schema generates', async () => {
    expect(await renderSchema(generateSchema())).toBe(readFileSync(schemaPath, 'utf8'));
  });

  it.each(committed)('%s validates', (_file, dashboard) => {
    expect(validateDashboard(dashboard)).toEqual([]);
  });

  it('refuses a panel whose gridPos is a string, naming the path', () => {
    const dashboard = structuredClone(committed[0]![1]);
    dashboard.panels[1].gridPos = '0,0,12,8';
    expect(validateDashboard(dashboard)).toContain('/panels/1/gridPos: must be object');
  });

  it('refuses unknown keys, wrong types and missing required fields, naming each', () => {
    const dashboard = structuredClone(committed[1]![1]);
    dashboard.refreshEvery = '30s';
    dashboard.panels[2].fieldConfig.defaults.thresholds.steps[1].value = 'five';
    delete dashboard.templating.list[1].name;
    dashboard.links[0].keepTime = 'yes';
    const problems = validateDashboard(dashboard);
    expect(problems).toContain('/: must NOT have additional properties (refreshEvery)');
    expect(problems).toContain(
      '/panels/2/fieldConfig/defaults/thresholds/steps/1/value: must be number,null',
    );
    expect(problems).toContain("/templating/list/1: must have required property 'name'");
    expect(problems).toContain('/links/0/keepTime: must be boolean');
    delete dashboard.schemaVersion;
    expect(validateDashboard(dashboard)).toContain(
      "/: must have required property 'schemaVersion'",
    );
  });

  it('the SDK output is checked too, not only the committed files', () => {
    for (const dashboard of buildDashboards().values())
      expect(validateDashboard(dashboard)).toEqual([]);
  });
});
