/**
 * A fake exporter behind the TwinClient's transport, for unit tests: handlers by method and path
 * pattern, and a log of every request so tests can assert what was asked.
 */
import { TwinClient, type Capabilities, type HttpRequest, type HttpResponse } from '../api/client';
import type { AssetSummary, AssetView, CommandRecord, PropertyView } from '../api/types';

type Handler = (
  request: HttpRequest & { path: string; query: URLSearchParams; params: string[] }
) => HttpResponse | Promise<HttpResponse>;

/**
 * The exporter serves each named resource by path and by query (`/asset?id=` is
 * `/assets/:id`); handlers are registered, and requests logged, by the path form with the names
 * unescaped, so a test reads `/api/v1/assets/site a/pump:1` whichever form the client used. The
 * URL as sent stays in `url`.
 */
function pathForm(path: string, query: URLSearchParams): string {
  const id = query.get('id') ?? '';
  switch (path) {
    case '/api/v1/asset':
      return `/api/v1/assets/${id}`;
    case '/api/v1/asset/history':
      return `/api/v1/assets/${id}/properties/${query.get('property') ?? ''}/history`;
    case '/api/v1/predictions':
      return `/api/v1/models/${query.get('model') ?? ''}/predictions`;
    default:
      return path;
  }
}

export class FakeExporter {
  readonly requests: Array<HttpRequest & { path: string; query: URLSearchParams }> = [];
  private readonly routes: Array<{ method: string; pattern: RegExp; handler: Handler }> = [];

  /** A handler, or a JSON body answered with 200. */
  on(method: HttpRequest['method'], pattern: string | RegExp, handler: Handler): this;
  on(method: HttpRequest['method'], pattern: string | RegExp, body: object): this;
  on(method: HttpRequest['method'], pattern: string | RegExp, handler: Handler | object): this {
    const re =
      typeof pattern === 'string' ? new RegExp(`^${pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : pattern;
    const h: Handler = typeof handler === 'function' ? (handler as Handler) : () => ({ status: 200, body: handler });
    // Later registrations win, so a test can override a default.
    this.routes.unshift({ method, pattern: re, handler: h });
    return this;
  }

  readonly transport = async (request: HttpRequest): Promise<HttpResponse> => {
    const url = new URL(request.url, 'http://plugin.test');
    const path = pathForm(url.pathname.replace(/^\/base/, ''), url.searchParams);
    const entry = { ...request, path, query: url.searchParams };
    this.requests.push(entry);
    for (const route of this.routes) {
      const match = route.method === request.method ? route.pattern.exec(path) : null;
      if (match) {
        return route.handler({ ...entry, params: match.slice(1) });
      }
    }
    return { status: 404, body: { error: `no route ${request.method} ${path}` } };
  };

  client(capabilities?: Capabilities): TwinClient {
    return new TwinClient({ baseUrl: '/base', transport: this.transport, capabilities });
  }

  calls(method: string, path: string | RegExp) {
    return this.requests.filter(
      (r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path))
    );
  }
}

export const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);

export function summary(id: string, over: Partial<AssetSummary> = {}): AssetSummary {
  return {
    id,
    assetClass: 'conveyor',
    site: 'plant-a',
    lastSeenMs: NOW - 2_000,
    stale: false,
    diverged: false,
    dark: false,
    properties: 2,
    ...over,
  };
}

export function property(name: string, over: Partial<PropertyView> = {}): PropertyView {
  return {
    property: name,
    physical: { value: 1.2, sourceTimeMs: NOW - 2_000, receivedMs: NOW - 1_900, ageMs: 2_000 },
    twin: { value: 1.2, sourceTimeMs: NOW - 3_000, receivedMs: NOW - 2_900, ageMs: 3_000 },
    divergence: {
      comparable: true,
      differsSinceMs: null,
      graceFromMs: null,
      diverged: false,
      tolerance: { kind: 'absolute', epsilon: 0.1 },
      graceMs: 30_000,
    },
    pendingPredictions: 0,
    ...over,
  };
}

export function assetView(id: string, over: Partial<AssetView> = {}): AssetView {
  return {
    id,
    assetClass: 'conveyor',
    site: 'plant-a',
    lastSeenMs: NOW - 2_000,
    newestPhysicalMs: NOW - 2_000,
    staleAfterMs: 60_000,
    stale: false,
    diverged: false,
    dark: false,
    versions: {
      desiredVersion: 7,
      desiredTimeMs: NOW - 10_000,
      reportedVersion: 7,
      reportedTimeMs: NOW - 9_000,
      unconvergedChanges: 0,
      oldestUnconvergedAgeSeconds: 0,
    },
    properties: [
      property('speed'),
      property('mode', {
        physical: { value: 'run', sourceTimeMs: NOW - 2_000, receivedMs: NOW - 1_900, ageMs: 2_000 },
        twin: null,
      }),
    ],
    ...over,
  };
}

export function command(id: string, over: Partial<CommandRecord> = {}): CommandRecord {
  return {
    id,
    idempotencyKey: `key-${id}-0000`,
    user: 'alice',
    assetId: 'belt-1',
    assetClass: 'conveyor',
    name: 'setSpeed',
    params: { mps: 1.5 },
    risk: 'medium',
    reason: 'speed up line',
    status: 'accepted',
    verdicts: [],
    submittedAtMs: NOW - 5_000,
    ...over,
  };
}

export const catalog = {
  conveyor: {
    setSpeed: {
      risk: 'medium',
      description: "Set the belt's target speed.",
      params: {
        type: 'object',
        additionalProperties: false,
        required: ['mps'],
        properties: { mps: { type: 'number', minimum: 0, maximum: 3 } },
      },
      sets: { property: 'speed', param: 'mps' },
      envelope: { min: 0, max: 3, maxStep: 0.5 },
    },
    purge: {
      risk: 'high',
      params: {
        type: 'object',
        required: ['mode'],
        properties: { mode: { type: 'string', enum: ['soft', 'hard'] }, confirm: { type: 'boolean' } },
      },
      sets: { property: 'mode', param: 'mode' },
    },
  },
};
