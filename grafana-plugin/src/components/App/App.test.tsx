import React from 'react';
import { MemoryRouter } from 'react-router-dom';
import { type AppRootProps, PluginType } from '@grafana/data';
import { render, screen } from '@testing-library/react';
import App, { TwinRoutes } from './App';
import { appLinks } from '../../api/context';
import { FakeExporter, NOW, summary } from '../../testing/fakeExporter';

function props(jsonData: Record<string, unknown>): AppRootProps {
  return {
    basename: 'a/twinops-twinops-app',
    meta: { id: 'twinops-twinops-app', name: 'twinops', type: PluginType.app, enabled: true, jsonData },
    query: {},
    path: '',
    onNavChanged: jest.fn(),
  } as unknown as AppRootProps;
}

describe('App', () => {
  it('asks for configuration before the exporter URL is set', () => {
    render(
      <MemoryRouter>
        <App {...props({})} />
      </MemoryRouter>
    );
    expect(screen.getByText('twinops is not configured yet')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /Configuration/ })).toHaveAttribute('href', '/plugins/twinops-twinops-app');
  });

  it('routes to the fleet page by default', async () => {
    const fake = new FakeExporter()
      .on('GET', '/api/v1/assets', { total: 1, offset: 0, limit: 50, items: [summary('belt-1')] })
      .on('GET', '/api/v1/commands', []);
    render(
      <MemoryRouter initialEntries={['/']}>
        <TwinRoutes services={{ client: fake.client(), links: appLinks('/a/test'), now: () => NOW }} />
      </MemoryRouter>
    );
    expect(await screen.findByRole('link', { name: 'belt-1' }, { timeout: 5000 })).toBeInTheDocument();
  });
});

describe('the asset page', () => {
  it.each([
    ['by query (what the app links to)', `/asset?${new URLSearchParams({ id: 'site a/pump:1#2' })}`],
    ['by path, for a plain id', '/asset/belt-1'],
  ])(
    'opens %s',
    async (_, entry) => {
      const id = entry.includes('?') ? 'site a/pump:1#2' : 'belt-1';
      const fake = new FakeExporter()
        .on('GET', `/api/v1/assets/${id}`, () => ({ status: 404, body: { error: `no asset "${id}"` } }))
        .on('GET', '/api/v1/commands', []);
      render(
        <MemoryRouter initialEntries={[entry]}>
          <TwinRoutes services={{ client: fake.client(), links: appLinks('/a/test'), now: () => NOW }} />
        </MemoryRouter>
      );
      const shown = new RegExp(`no asset "${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`);
      expect(await screen.findByText(shown, {}, { timeout: 10_000 })).toBeInTheDocument();
      expect(fake.calls('GET', `/api/v1/assets/${id}`)[0]?.url).toBe(
        `/base/api/v1/asset?${new URLSearchParams({ id })}`
      );
    },
    20_000
  );
});
