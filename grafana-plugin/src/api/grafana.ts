/**
 * The TwinClient as Grafana builds it: requests go through the app's proxy routes
 * (src/plugin.json), which add the exporter URL and the secrets server-side; the browser never
 * sees either. Which route: the one named after the user's org role, so the identity headers the
 * exporter receives are never more than Grafana's `reqRole` checked (see README: Routes and roles).
 */
import { lastValueFrom } from 'rxjs';
import { config, getBackendSrv, isFetchError } from '@grafana/runtime';
import { PLUGIN_ID } from '../constants';
import { TwinClient, type Capabilities, type Transport } from './client';
import type { SloSource, PromSample } from './slo';

export const proxyBase = `/api/plugin-proxy/${PLUGIN_ID}`;

/** The app's jsonData (readable by every user: nothing secret here). */
export interface AppJsonData {
  /** Where Grafana's server reaches the exporter's twin API, e.g. http://twinops-exporter:8787. */
  exporterUrl?: string;
  /** A Prometheus datasource holding the SLO recording rules (alerts/), for the SLOs page. */
  prometheusUid?: string;
}

/** The app's secureJsonData keys; the browser only ever learns whether each is set. */
export interface AppSecureJsonData {
  proxySecret?: string;
  apiToken?: string;
}

export interface AppSettings {
  jsonData?: AppJsonData;
  secureJsonFields?: Partial<Record<keyof AppSecureJsonData, boolean>>;
}

export type RouteTier = 'viewer' | 'editor' | 'admin' | 'token';

type Role = NonNullable<Capabilities['role']>;

export function tierForRole(role: string | undefined): 'viewer' | 'editor' | 'admin' | undefined {
  switch (role) {
    case 'Admin':
      return 'admin';
    case 'Editor':
      return 'editor';
    case 'Viewer':
      return 'viewer';
    default:
      return undefined;
  }
}

/**
 * Which routes this user's requests take. Reads: the role's identity route when the proxy secret
 * is set, else the read-only token route. Writes: only the identity routes of Editor and Admin
 * (the viewer route is GET-only), and only with the proxy secret, since the exporter must know
 * who is acting.
 */
export function routesFor(settings: AppSettings, role: string | undefined) {
  const proxy = Boolean(settings.secureJsonFields?.proxySecret);
  const token = Boolean(settings.secureJsonFields?.apiToken);
  const tier = tierForRole(role);
  const read: RouteTier = proxy && tier ? tier : token ? 'token' : (tier ?? 'viewer');
  let writeBlockedReason: string | undefined;
  if (!proxy) {
    writeBlockedReason =
      'Commands need the proxy secret: an administrator sets it on the twinops app configuration page.';
  } else if (tier === undefined || tier === 'viewer') {
    writeBlockedReason = `Your Grafana role (${role || 'none'}) cannot send commands: Editor or Admin is needed.`;
  }
  const write: RouteTier | undefined = writeBlockedReason === undefined ? tier : undefined;
  return { read, write, writeBlockedReason };
}

export const grafanaTransport: Transport = async ({ method, url, body }) => {
  try {
    const response = await lastValueFrom(
      getBackendSrv().fetch({ url, method, data: body, showErrorAlert: false, showSuccessAlert: false })
    );
    return {
      status: response.status,
      body: response.data,
      headers: { 'retry-after': response.headers?.get?.('retry-after') ?? undefined },
    };
  } catch (error) {
    if (isFetchError(error)) {
      return { status: error.status, body: error.data };
    }
    throw error;
  }
};

export function grafanaClient(
  settings: AppSettings,
  role: string | undefined = config.bootData?.user?.orgRole,
  transport: Transport = grafanaTransport
): TwinClient {
  const routes = routesFor(settings, role);
  return new TwinClient({
    baseUrl: (access) => `${proxyBase}/${access === 'write' && routes.write ? routes.write : routes.read}`,
    transport,
    capabilities: {
      write: routes.write !== undefined,
      writeBlockedReason: routes.writeBlockedReason,
      role: (role || 'None') as Role,
    },
  });
}

let settingsPromise: Promise<AppSettings> | undefined;

/** The app's settings, for code outside the app's pages (panels, the datasource). Cached. */
export function loadAppSettings(): Promise<AppSettings> {
  settingsPromise ??= getBackendSrv()
    .get<AppSettings>(`/api/plugins/${PLUGIN_ID}/settings`)
    .catch((error) => {
      settingsPromise = undefined;
      throw error;
    });
  return settingsPromise;
}

export async function loadGrafanaClient(): Promise<TwinClient> {
  return grafanaClient(await loadAppSettings());
}

/** Instant queries against a Prometheus datasource through Grafana's datasource proxy. */
export function grafanaPrometheus(uid: string): SloSource {
  return {
    async instant(expr: string): Promise<PromSample[]> {
      const response = await lastValueFrom(
        getBackendSrv().fetch<{
          data?: { result?: Array<{ metric: Record<string, string>; value: [number, string] }> };
        }>({
          url: `/api/datasources/proxy/uid/${encodeURIComponent(uid)}/api/v1/query`,
          method: 'GET',
          params: { query: expr },
          showErrorAlert: false,
        })
      );
      return (response.data.data?.result ?? []).map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
    },
  };
}
