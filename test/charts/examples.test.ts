import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { collectorManifest, helmTemplate, validateCollectorConfig } from '../bed/index.js';
import { repoRoot } from '../../tools/paths.js';
import { chartDir } from './chart.js';

const examplesDir = join(repoRoot, 'charts', 'examples');
const examples = readdirSync(examplesDir)
  .filter((name) => /^otel-collector.*-values\.yaml$/.test(name))
  .sort()
  .map((name) => {
    const text = readFileSync(join(examplesDir, name), 'utf8');
    const values = parse(text) as {
      command: { name: string };
      configMap: { create: boolean; existingName: string };
      extraEnvs: { name: string; value: string }[];
      extraVolumeMounts?: { mountPath: string }[];
    };
    // The ConfigMap the comment tells users to create from a pipelines/ file.
    const made = /kubectl create configmap (\S+) --from-file=relay=(\S+)/.exec(text);
    return { name, values, configMap: made?.[1], pipeline: made?.[2] };
  });

const envOf = (values: { extraEnvs: { name: string; value: string }[] }) =>
  Object.fromEntries(values.extraEnvs.map((e) => [e.name, e.value]));

/** The variables a pipelines/ file documents in its header (`#   TWINOPS_X   default   …`). */
const documentedEnv = (path: string): string[] =>
  [...readFileSync(path, 'utf8').matchAll(/^#\s+(TWINOPS_[A-Z_]+)\s/gm)].map((m) => m[1]!);

describe('example values for the upstream OpenTelemetry Collector chart', () => {
  it('exist for the gateway, direct and edge-agent pipelines', () => {
    expect(examples.map((e) => e.pipeline)).toEqual([
      'pipelines/direct.yaml',
      'pipelines/edge-agent.yaml',
      'pipelines/gateway.yaml',
    ]);
  });

  describe.each(examples)('$name', ({ values, configMap, pipeline }) => {
    const pipelinePath = join(repoRoot, pipeline ?? 'missing');

    it('mount the pipelines/ file itself, through the ConfigMap its comment creates', () => {
      expect(existsSync(pipelinePath)).toBe(true);
      expect(values.configMap).toEqual({ create: false, existingName: configMap });
    });

    it('run the twinops collector distribution and set only variables the config reads', () => {
      const manifest = parse(readFileSync(collectorManifest, 'utf8')) as { dist: { name: string } };
      expect(values.command.name).toBe(manifest.dist.name);
      const documented = documentedEnv(pipelinePath);
      for (const { name } of values.extraEnvs) expect(documented).toContain(name);
      const queue = envOf(values).TWINOPS_QUEUE_DIR;
      if (queue) expect(values.extraVolumeMounts?.map((m) => m.mountPath)).toContain(queue);
    });

    it('give the collector a config it validates with that environment', async () => {
      await expect(validateCollectorConfig(pipelinePath, envOf(values))).resolves.toBeUndefined();
    });
  });

  it('point the direct pipeline at the exporter chart’s OTLP Service (release and namespace twinops)', async () => {
    const objects = await helmTemplate(chartDir, {}, 'twinops');
    const service = objects.find((o) => o.kind === 'Service') as unknown as {
      metadata: { name: string };
      spec: { ports: { name: string; port: number }[] };
    };
    const otlp = service.spec.ports.find((p) => p.name === 'otlp')!.port;
    const direct = examples.find((e) => e.pipeline === 'pipelines/direct.yaml')!;
    expect(envOf(direct.values).TWINOPS_EXPORTER_ENDPOINT).toBe(
      `http://${service.metadata.name}.twinops.svc:${otlp}`,
    );
  });
});
