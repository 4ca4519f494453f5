/**
 * The one way the plugin talks to the exporter: every page, panel and the datasource go through a
 * TwinClient. It knows nothing about Grafana: it is given a base URL (per kind of access) and a
 * transport. In Grafana the base URL is one of the app's proxy routes (see grafana.ts); the
 * preview host serves the same pages with its own base URL and plain fetch.
 */
import type {
  AssetPage,
  AssetQuery,
  AssetView,
  AuditEntry,
  AuditVerification,
  Catalog,
  CommandRecord,
  CommandRequest,
  CommandStatus,
  DryRunResult,
  HistoryEntry,
  KillSwitchState,
  ScoredPrediction,
  SubmitResult,
  Verdict,
} from './types';

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  body?: unknown;
}

export interface HttpResponse {
  status: number;
  body: unknown;
  /** Lower-case names; only the ones the client reads (retry-after). */
  headers?: Record<string, string | undefined>;
}

/** Answers every HTTP status; rejects only when no answer came (network, abort). */
export type Transport = (request: HttpRequest) => Promise<HttpResponse>;

/** Reads need only a signed-in user; writes (submit, approve, kill switch) carry who is acting. */
export type Access = 'read' | 'write';

export interface Capabilities {
  /** Whether this client can send writes at all (the exporter still judges each one). */
  write: boolean;
  /** Why not, in a sentence for the UI. */
  writeBlockedReason?: string;
  /** The user's Grafana org role, when known: a hint for the UI, never a decision. */
  role?: 'Viewer' | 'Editor' | 'Admin' | 'None';
}

export interface TwinClientOptions {
  /** Where `/api/v1/...` is appended, per access. A string serves both. */
  baseUrl: string | ((access: Access) => string);
  transport?: Transport;
  capabilities?: Capabilities;
}

/** A refusal or failure the exporter (or Grafana's proxy) answered, with its reason code. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
    readonly verdicts?: Verdict[],
    readonly body?: unknown
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const fetchTransport: Transport = async ({ method, url, body }) => {
  const response = await fetch(url, {
    method,
    credentials: 'same-origin',
    headers:
      body === undefined
        ? { Accept: 'application/json' }
        : { Accept: 'application/json', 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: parseJson(text),
    headers: { 'retry-after': response.headers.get('retry-after') ?? undefined },
  };
};

function parseJson(text: string): unknown {
  if (text === '') {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

type Query = Record<string, string | number | boolean | undefined>;

function queryString(query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') {
      params.set(key, String(value));
    }
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function errorOf(response: HttpResponse): ApiError {
  const body = (response.body ?? {}) as { error?: unknown; message?: unknown; code?: unknown; verdicts?: unknown };
  const message =
    typeof body.error === 'string'
      ? body.error
      : typeof body.message === 'string'
        ? body.message
        : typeof response.body === 'string' && response.body !== ''
          ? response.body
          : `HTTP ${response.status}`;
  return new ApiError(
    message,
    response.status,
    typeof body.code === 'string' ? body.code : undefined,
    Array.isArray(body.verdicts) ? (body.verdicts as Verdict[]) : undefined,
    response.body
  );
}

/** A fresh key for POST /api/v1/commands (8–128 of [A-Za-z0-9._:-]). */
export function newIdempotencyKey(): string {
  const random =
    typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function'
      ? crypto.randomUUID()
      : `${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  return `ui-${Date.now().toString(36)}-${random}`;
}

export class TwinClient {
  readonly capabilities: Capabilities;
  private readonly base: (access: Access) => string;
  private readonly transport: Transport;

  constructor(options: TwinClientOptions) {
    const { baseUrl } = options;
    this.base = typeof baseUrl === 'string' ? () => baseUrl : baseUrl;
    this.transport = options.transport ?? fetchTransport;
    this.capabilities = options.capabilities ?? { write: true };
  }

  private url(access: Access, path: string, query: Query = {}): string {
    return `${this.base(access).replace(/\/+$/, '')}/api/v1${path}${queryString(query)}`;
  }

  private async call(access: Access, method: HttpRequest['method'], path: string, query?: Query, body?: unknown) {
    if (access === 'write' && !this.capabilities.write) {
      throw new ApiError(
        this.capabilities.writeBlockedReason ?? 'this connection cannot send commands',
        0,
        'not_configured'
      );
    }
    return this.transport({ method, url: this.url(access, path, query), body });
  }

  private async read<T>(path: string, query?: Query): Promise<T> {
    const response = await this.call('read', 'GET', path, query);
    if (response.status !== 200) {
      throw errorOf(response);
    }
    return response.body as T;
  }

  // ---- the twin API ----

  listAssets(query: AssetQuery = {}): Promise<AssetPage> {
    return this.read('/assets', {
      class: query.assetClass,
      site: query.site,
      stale: query.stale,
      diverged: query.diverged,
      offset: query.offset,
      limit: query.limit,
    });
  }

  // Asset ids, properties and model names are free strings: they go in the query, which Grafana's
  // plugin proxy forwards unchanged, never in the path, which it escapes once more.

  getAsset(id: string): Promise<AssetView> {
    return this.read('/asset', { id });
  }

  getHistory(assetId: string, property: string): Promise<HistoryEntry[]> {
    return this.read('/asset/history', { id: assetId, property });
  }

  getPredictions(
    model: string,
    filter: { version?: string; asset?: string; property?: string } = {}
  ): Promise<ScoredPrediction[]> {
    return this.read('/predictions', { model, ...filter });
  }

  // ---- the command API ----

  getCatalog(): Promise<Catalog> {
    return this.read('/catalog');
  }

  listCommands(filter: { asset?: string; status?: CommandStatus; limit?: number } = {}): Promise<CommandRecord[]> {
    return this.read('/commands', filter);
  }

  /** Command ids are the exporter's own UUIDs: safe in a path. */
  getCommand(id: string): Promise<CommandRecord> {
    return this.read(`/commands/${encodeURIComponent(id)}`);
  }

  /** Every guard's verdict, nothing recorded as a command and nothing sent. */
  async dryRun(request: Omit<CommandRequest, 'dryRun'>): Promise<DryRunResult> {
    const response = await this.call('write', 'POST', '/commands', undefined, { ...request, dryRun: true });
    const body = response.body as Partial<DryRunResult> | undefined;
    if (response.status === 200 && body && Array.isArray(body.verdicts)) {
      return { decision: body.decision ?? 'refused', verdicts: body.verdicts };
    }
    throw errorOf(response);
  }

  /**
   * Submits for real. Guard refusals (403, 409, 422, 429) come back as a result with the refused
   * record; only answers without a decision (bad request, unauthenticated, key conflict) throw.
   */
  async submit(request: Omit<CommandRequest, 'dryRun'>): Promise<SubmitResult> {
    const response = await this.call('write', 'POST', '/commands', undefined, request);
    const body = response.body as { command?: CommandRecord; verdicts?: Verdict[]; duplicate?: boolean } | undefined;
    if (body?.command && Array.isArray(body.verdicts)) {
      const retryAfter = Number(response.headers?.['retry-after']);
      return {
        httpStatus: response.status,
        command: body.command,
        verdicts: body.verdicts,
        duplicate: body.duplicate === true,
        retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
      };
    }
    throw errorOf(response);
  }

  async review(id: string, verdict: 'approve' | 'reject', reason: string): Promise<CommandRecord> {
    const response = await this.call('write', 'POST', `/commands/${encodeURIComponent(id)}/${verdict}`, undefined, {
      reason,
    });
    const body = response.body as { command?: CommandRecord } | undefined;
    if (response.status === 200 && body?.command) {
      return body.command;
    }
    throw errorOf(response);
  }

  getKillSwitches(): Promise<KillSwitchState[]> {
    return this.read('/kill-switch');
  }

  async setKillSwitch(change: { assetClass?: string; engaged: boolean; reason: string }): Promise<KillSwitchState> {
    const response = await this.call('write', 'PUT', '/kill-switch', undefined, change);
    if (response.status === 200) {
      return response.body as KillSwitchState;
    }
    throw errorOf(response);
  }

  readAudit(query: { command?: string; after?: number; limit?: number } = {}): Promise<AuditEntry[]> {
    return this.read('/audit', query);
  }

  verifyAudit(): Promise<AuditVerification> {
    return this.read('/audit/verify');
  }
}
