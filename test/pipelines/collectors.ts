import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { freePort, serveHttp, startCollector, type LoopbackServer } from '../bed/index.js';
import { repoRoot } from '../../tools/paths.js';
import type { RunningServer } from '../../tools/process.js';

/** The configs in pipelines/, by name. */
export type PipelineName = 'edge-agent' | 'gateway' | 'direct' | 'command-acks';
export const pipelineNames: readonly PipelineName[] = [
  'edge-agent',
  'gateway',
  'direct',
  'command-acks',
];

export const pipelineConfig = (name: PipelineName): string =>
  join(repoRoot, 'pipelines', `${name}.yaml`);

export interface CollectorPorts {
  otlpHttp: number;
  otlpGrpc: number;
  health: number;
  telemetry: number;
}

export interface PipelineCollector extends RunningServer {
  /** OTLP/HTTP base URL. */
  otlpUrl: string;
  /** The collector's own metrics (Prometheus text). */
  telemetryUrl: string;
  /** `127.0.0.1:port` of its own metrics, for a Prometheus scrape config. */
  telemetryTarget: string;
  ports: CollectorPorts;
  env: NodeJS.ProcessEnv;
}

/**
 * Runs one of the configs in pipelines/ as it ships, on free loopback ports set through the
 * environment variables every config reads (they override `env`). Give `ports` to restart it where
 * its clients expect it.
 */
export async function startPipelineCollector(
  name: PipelineName,
  env: NodeJS.ProcessEnv = {},
  ports?: CollectorPorts,
): Promise<PipelineCollector> {
  const p = ports ?? {
    otlpHttp: await freePort(),
    otlpGrpc: await freePort(),
    health: await freePort(),
    telemetry: await freePort(),
  };
  const fullEnv = {
    ...env,
    TWINOPS_OTLP_HTTP_ENDPOINT: `127.0.0.1:${p.otlpHttp}`,
    TWINOPS_OTLP_GRPC_ENDPOINT: `127.0.0.1:${p.otlpGrpc}`,
    TWINOPS_HEALTH_ENDPOINT: `127.0.0.1:${p.health}`,
    TWINOPS_TELEMETRY_HOST: '127.0.0.1',
    TWINOPS_TELEMETRY_PORT: String(p.telemetry),
  };
  const server = await startCollector({
    config: { path: pipelineConfig(name) },
    env: fullEnv,
    readyUrl: `http://127.0.0.1:${p.health}/`,
  });
  return {
    ...server,
    otlpUrl: `http://127.0.0.1:${p.otlpHttp}`,
    telemetryUrl: `http://127.0.0.1:${p.telemetry}/metrics`,
    telemetryTarget: `127.0.0.1:${p.telemetry}`,
    ports: p,
    env,
  };
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Every sample of a Prometheus text exposition. */
export async function scrape(url: string): Promise<Sample[]> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  const samples: Sample[] = [];
  for (const line of (await response.text()).split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g))
      labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of a metric's samples whose labels include `where`. */
export function total(
  samples: readonly Sample[],
  name: string,
  where: Record<string, string> = {},
): number {
  return samples
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/** A request the stand-in endpoint received: the signal from its path, the body gunzipped. */
export interface CapturedRequest {
  signal: 'metrics' | 'logs';
  body: Buffer;
}

/** A stand-in OTLP/HTTP endpoint (a gateway, an exporter) that keeps each request and answers 200. */
export async function captureOtlp(): Promise<LoopbackServer & { requests: CapturedRequest[] }> {
  const requests: CapturedRequest[] = [];
  const server = await serveHttp((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({
        signal: req.url === '/v1/logs' ? 'logs' : 'metrics',
        body: req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body,
      });
      res.setHeader('Content-Type', 'application/x-protobuf');
      res.end();
    });
  });
  return { ...server, requests };
}

/** An OTLP JSON string attribute. */
export const text = (key: string, value: string) => ({ key, value: { stringValue: value } });

export const nowNano = (): string => `${BigInt(Date.now()) * 1_000_000n}`;
