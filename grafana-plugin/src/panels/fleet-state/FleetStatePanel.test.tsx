import React from 'react';
import { render, screen } from '@testing-library/react';
import { dateTime, type PanelProps } from '@grafana/data';
import { FleetStatePanel } from './FleetStatePanel';
import { cellState } from './FleetStateGrid';
import type { FleetStateOptions } from './types';
import { FakeExporter, summary } from '../../testing/fakeExporter';
import { testIds } from '../../components/testIds';

const fake = new FakeExporter().on('GET', '/api/v1/assets', {
  total: 900,
  offset: 0,
  limit: 3,
  items: [summary('belt-1'), summary('belt-2', { diverged: true }), summary('belt-3', { stale: true, diverged: true })],
});
jest.mock('../../api/grafana', () => ({ loadGrafanaClient: async () => fake.client() }));

function props(options: FleetStateOptions): PanelProps<FleetStateOptions> {
  return {
    options,
    width: 400,
    height: 300,
    timeRange: { from: dateTime(0), to: dateTime(1000), raw: { from: 'now-1h', to: 'now' } },
    replaceVariables: (s: string) => s,
  } as unknown as PanelProps<FleetStateOptions>;
}

describe('cellState', () => {
  it('ranks stale over diverged over ok', () => {
    expect(cellState({ stale: true, diverged: true })).toBe('stale');
    expect(cellState({ stale: false, diverged: true })).toBe('diverged');
    expect(cellState({ stale: false, diverged: false })).toBe('ok');
  });
});

describe('FleetStatePanel', () => {
  it('draws one labelled link per asset, coloured by state, linking to the asset page', async () => {
    render(<FleetStatePanel {...props({ assetClass: 'conveyor', status: 'all', limit: 3 })} />);
    const cells = await screen.findAllByTestId(testIds.panels.fleetCell);
    expect(cells.map((c) => c.getAttribute('data-state'))).toEqual(['ok', 'diverged', 'stale']);
    expect(screen.getByRole('link', { name: 'belt-3: stale' })).toHaveAttribute(
      'href',
      '/a/twinops-twinops-app/asset?id=belt-3'
    );
    expect(screen.getByRole('list', { name: 'Fleet: 1 fresh and in sync, 1 diverged, 1 stale' })).toBeInTheDocument();
    expect(screen.getByText('showing 3 of 900')).toBeInTheDocument();
    const call = fake.calls('GET', '/api/v1/assets')[0];
    expect(call.query.get('class')).toBe('conveyor');
    expect(call.query.get('limit')).toBe('3');
  });
});
