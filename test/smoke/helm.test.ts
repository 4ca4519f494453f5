import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { helm, helmTemplate } from '../bed/index.js';
import { repoRoot } from '../../tools/paths.js';

const chart = join(repoRoot, 'charts', 'twinops');

describe('helm (built from its Go module) rendering the twinops chart', () => {
  it('lints the chart strictly', async () => {
    await expect(helm(['lint', '--strict', chart])).resolves.toMatch(
      /1 chart\(s\) linted, 0 chart\(s\) failed/,
    );
  });

  it('renders the exporter Deployment and Service with values applied', async () => {
    const objects = await helmTemplate(chart, { mode: 'kafka', replicaCount: 2 }, 'smoke');
    expect(objects.map((o) => o.kind)).toEqual(expect.arrayContaining(['Deployment', 'Service']));
    const deployment = objects.find((o) => o.kind === 'Deployment') as unknown as {
      metadata: { name: string };
      spec: { replicas: number; template: { spec: { containers: { securityContext: object }[] } } };
    };
    expect(deployment.metadata.name).toBe('smoke-twinops');
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.template.spec.containers[0]?.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
  });

  it('refuses values that break the schema, naming the key', async () => {
    await expect(helmTemplate(chart, { replicaCount: 'two' })).rejects.toThrow(/replicaCount/);
  });
});
