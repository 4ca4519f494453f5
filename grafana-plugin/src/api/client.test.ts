import { TwinClient, type HttpRequest } from './client';
import { appLinks } from './context';
import { grafanaClient } from './grafana';

jest.mock('@grafana/runtime', () => ({ config: { bootData: { user: { orgRole: 'Editor' } } } }));

/** Asset ids are free strings up to 256 characters. */
const odd = 'site a/pump:1#2 50%?é';

/**
 * What Grafana's plugin proxy does to the path it forwards: the escaped path becomes the
 * upstream's unescaped path, so every `%` is escaped once more (pkg/api/pluginproxy); the query
 * is forwarded as it came.
 */
function throughGrafana(url: string): URL {
  const parsed = new URL(url, 'http://grafana.test');
  return new URL(`${parsed.pathname.replace(/%/g, '%25')}${parsed.search}`, 'http://exporter.test');
}

function recorder() {
  const requests: HttpRequest[] = [];
  const client = new TwinClient({
    baseUrl: '/base',
    transport: async (request) => {
      requests.push(request);
      return { status: 200, body: [] };
    },
  });
  return { client, requests };
}

describe('TwinClient URLs', () => {
  it('puts asset ids, properties and model names in the query, never in the path', async () => {
    const { client, requests } = recorder();
    await client.getAsset(odd);
    await client.getHistory(odd, 'inlet/pressure');
    await client.getPredictions('thermal/v2', { version: '3.2.0', asset: odd });
    await client.listCommands({ asset: odd });
    expect(requests.map((r) => new URL(r.url, 'http://x').pathname)).toEqual([
      '/base/api/v1/asset',
      '/base/api/v1/asset/history',
      '/base/api/v1/predictions',
      '/base/api/v1/commands',
    ]);
    const queries = requests.map((r) => Object.fromEntries(new URL(r.url, 'http://x').searchParams));
    expect(queries).toEqual([
      { id: odd },
      { id: odd, property: 'inlet/pressure' },
      { model: 'thermal/v2', version: '3.2.0', asset: odd },
      { asset: odd },
    ]);
  });

  it('sends URLs whose names survive the extra escape of Grafana’s plugin proxy, on every route', async () => {
    const urls: string[] = [];
    for (const role of ['Viewer', 'Editor', 'Admin']) {
      const client = grafanaClient({ secureJsonFields: { proxySecret: true } }, role, async (request) => {
        urls.push(request.url);
        return { status: 200, body: [] };
      });
      await client.getAsset(odd);
      await client.getHistory(odd, 'a b/c');
      await client.getPredictions('m:1', { asset: odd, property: 'a b/c' });
    }
    expect(urls).toHaveLength(9);
    for (const url of urls) {
      expect(url).toMatch(/^\/api\/plugin-proxy\/twinops-twinops-app\/(viewer|editor|admin)\/api\/v1\//);
      // Nothing in the path to escape: the proxy's extra escape changes nothing.
      expect(new URL(url, 'http://x').pathname).not.toMatch(/%/);
      const arrived = throughGrafana(url);
      expect(arrived.pathname).toBe(new URL(url, 'http://x').pathname);
      const values = [...arrived.searchParams.values()];
      expect(values.every((v) => [odd, 'a b/c', 'm:1'].includes(v))).toBe(true);
    }
  });

  it('the path form would not have survived (why the query is used)', () => {
    const pathForm = `/api/v1/assets/${encodeURIComponent(odd)}`;
    const arrived = throughGrafana(pathForm);
    expect(decodeURIComponent(arrived.pathname.split('/').pop()!)).not.toBe(odd);
  });
});

describe('app links', () => {
  it('link an asset page by query, so any id survives Grafana’s routing', () => {
    const href = appLinks('/a/twinops-twinops-app').asset(odd);
    const url = new URL(href, 'http://grafana.test');
    expect(url.pathname).toBe('/a/twinops-twinops-app/asset');
    expect(url.searchParams.get('id')).toBe(odd);
    expect(appLinks('/a/x').commands(odd, 'setSpeed')).toBe(
      `/a/x/commands?${new URLSearchParams({ asset: odd, command: 'setSpeed' })}`
    );
  });
});
