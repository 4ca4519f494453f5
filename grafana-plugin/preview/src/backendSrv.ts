/**
 * The part of Grafana's BackendSrv the plugin uses (fetch, get), over the browser's fetch, with
 * Grafana's contract: an Observable of FetchResponse, and a FetchError ({ status, data }) for any
 * answer outside 2xx. The requests go to the preview server, which answers Grafana's URLs
 * (/api/plugin-proxy/…, /api/plugins/…/settings, /api/datasources/proxy/…) as Grafana would.
 */
import { Observable } from 'rxjs';
import type { BackendSrv, BackendSrvRequest, FetchError, FetchResponse } from '@grafana/runtime';

function urlWithParams(url: string, params: Record<string, unknown> | undefined): string {
  if (!params) {
    return url;
  }
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null) {
      search.append(key, String(value));
    }
  }
  const text = search.toString();
  return text === '' ? url : `${url}${url.includes('?') ? '&' : '?'}${text}`;
}

async function send<T>(options: BackendSrvRequest, signal: AbortSignal): Promise<FetchResponse<T>> {
  const hasBody = options.data !== undefined;
  const response = await fetch(urlWithParams(options.url, options.params), {
    method: options.method ?? 'GET',
    credentials: 'same-origin',
    signal,
    headers: {
      Accept: 'application/json, text/plain, */*',
      ...(hasBody ? { 'Content-Type': 'application/json' } : {}),
      ...options.headers,
    },
    body: hasBody ? JSON.stringify(options.data) : undefined,
  });
  const text = await response.text();
  let data: unknown = text;
  if (text !== '' && (options.responseType ?? 'json') === 'json') {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!response.ok) {
    const error: FetchError = {
      status: response.status,
      statusText: response.statusText,
      data,
      message:
        typeof (data as { message?: unknown })?.message === 'string' ? (data as { message: string }).message : '',
      config: options,
    };
    throw error;
  }
  return {
    data: data as T,
    status: response.status,
    statusText: response.statusText,
    ok: response.ok,
    headers: response.headers,
    redirected: response.redirected,
    type: response.type,
    url: response.url,
    config: options,
  };
}

function fetchObservable<T>(options: BackendSrvRequest): Observable<FetchResponse<T>> {
  return new Observable((subscriber) => {
    const abort = new AbortController();
    send<T>(options, abort.signal).then(
      (response) => {
        subscriber.next(response);
        subscriber.complete();
      },
      (error) => subscriber.error(error)
    );
    return () => abort.abort();
  });
}

async function request<T>(options: BackendSrvRequest): Promise<T> {
  return (await send<T>(options, new AbortController().signal)).data;
}

const unsupported = (what: string) => () => {
  throw new Error(`the twinops preview host does not provide BackendSrv.${what}`);
};

export const previewBackendSrv: BackendSrv = {
  fetch: fetchObservable,
  request,
  get: (url, params) => request({ url, params, method: 'GET' }),
  post: (url, data) => request({ url, data, method: 'POST' }),
  put: (url, data) => request({ url, data, method: 'PUT' }),
  patch: (url, data) => request({ url, data, method: 'PATCH' }),
  delete: (url, data) => request({ url, data, method: 'DELETE' }),
  datasourceRequest: (options) => send(options, new AbortController().signal),
  chunked: unsupported('chunked'),
};
