import React from 'react';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { FleetTable } from './FleetTable';
import { fleetFiltersFromParams, fleetQuery } from './query';
import { FakeExporter, NOW, command, summary } from '../../testing/fakeExporter';
import { renderWith } from '../../testing/render';
import { testIds } from '../testIds';

function fleet(total: number) {
  return Array.from({ length: total }, (_, i) =>
    summary(`belt-${String(i + 1).padStart(4, '0')}`, {
      assetClass: i % 2 === 0 ? 'conveyor' : 'pump',
      stale: i % 5 === 0,
      diverged: i % 7 === 0,
      lastSeenMs: NOW - (i % 5 === 0 ? 120_000 : 3_000),
    })
  );
}

/** The exporter's own paging and filtering, so the table is tested against real semantics. */
function withFleet(all: ReturnType<typeof fleet>) {
  return new FakeExporter()
    .on('GET', '/api/v1/assets', ({ query }) => {
      let items = all;
      if (query.get('class')) {
        items = items.filter((a) => a.assetClass === query.get('class'));
      }
      if (query.get('stale')) {
        items = items.filter((a) => String(a.stale) === query.get('stale'));
      }
      if (query.get('diverged')) {
        items = items.filter((a) => String(a.diverged) === query.get('diverged'));
      }
      const offset = Number(query.get('offset') ?? 0);
      const limit = Number(query.get('limit') ?? 100);
      return { status: 200, body: { total: items.length, offset, limit, items: items.slice(offset, offset + limit) } };
    })
    .on('GET', '/api/v1/commands', [command('c1', { assetId: 'belt-0002', name: 'setSpeed', status: 'applied' })]);
}

describe('fleetQuery', () => {
  it('maps status filters onto the API stale/diverged flags and pages by offset', () => {
    expect(fleetQuery({ status: 'healthy' }, 3, 50)).toEqual({
      assetClass: undefined,
      site: undefined,
      stale: false,
      diverged: false,
      offset: 100,
      limit: 50,
    });
    expect(fleetQuery({ status: 'stale', assetClass: ' pump ' }, 1, 25)).toMatchObject({
      stale: true,
      diverged: undefined,
      assetClass: 'pump',
    });
  });
});

describe('fleetFiltersFromParams', () => {
  it('reads class, site and status from the URL, treating a dashboard "All" as no filter', () => {
    expect(fleetFiltersFromParams(new URLSearchParams('class=pump&site=north&status=stale'))).toEqual({
      assetClass: 'pump',
      site: 'north',
      status: 'stale',
    });
    expect(fleetFiltersFromParams(new URLSearchParams('class=.*&site=$__all&status=bogus'))).toEqual({
      assetClass: undefined,
      site: undefined,
      status: undefined,
    });
    expect(fleetFiltersFromParams(new URLSearchParams(''))).toEqual({
      assetClass: undefined,
      site: undefined,
      status: undefined,
    });
  });
});

describe('FleetTable', () => {
  it('shows one server page with freshness, divergence and the last command, and pages on the server', async () => {
    const exporter = withFleet(fleet(120));
    renderWith(<FleetTable debounceMs={0} refreshMs={0} />, exporter.client());

    expect(await screen.findByText('Assets 1–50 of 120')).toBeInTheDocument();
    const rows = screen.getAllByTestId(testIds.fleet.row);
    expect(rows).toHaveLength(50);
    // belt-0001 is stale (i = 0) and diverged; belt-0002 fresh, in sync, with an applied command.
    expect(within(rows[0]).getByText('stale · 2 min')).toBeInTheDocument();
    expect(within(rows[0]).getByText('diverged')).toBeInTheDocument();
    expect(within(rows[1]).getByText('fresh · 3 s')).toBeInTheDocument();
    expect(within(rows[1]).getByText('in sync')).toBeInTheDocument();
    expect(within(rows[1]).getByText('setSpeed · applied')).toBeInTheDocument();
    expect(within(rows[0]).getByRole('link', { name: 'belt-0001' })).toHaveAttribute(
      'href',
      '/a/test/asset?id=belt-0001'
    );

    await userEvent.click(screen.getByRole('button', { name: '3' }));
    expect(await screen.findByText('Assets 101–120 of 120')).toBeInTheDocument();
    expect(screen.getAllByTestId(testIds.fleet.row)).toHaveLength(20);
    const last = exporter.calls('GET', '/api/v1/assets').at(-1)!;
    expect(last.query.get('offset')).toBe('100');
    expect(last.query.get('limit')).toBe('50');
  });

  it('filters by class and status on the server, back on page one', async () => {
    const exporter = withFleet(fleet(120));
    renderWith(<FleetTable debounceMs={0} refreshMs={0} />, exporter.client());
    await screen.findByText('Assets 1–50 of 120');
    await userEvent.click(screen.getByRole('button', { name: '2' }));
    await screen.findByText('Assets 51–100 of 120');

    await userEvent.type(screen.getByLabelText('Asset class'), 'pump');
    await userEvent.click(screen.getByLabelText('Stale'));
    // pumps are odd i; stale is i % 5 == 0 → i = 5, 15, …, 115: 12 assets
    expect(await screen.findByText('Assets 1–12 of 12')).toBeInTheDocument();
    const last = exporter.calls('GET', '/api/v1/assets').at(-1)!;
    expect(last.query.get('class')).toBe('pump');
    expect(last.query.get('stale')).toBe('true');
    expect(last.query.get('offset')).toBe('0');
    for (const row of screen.getAllByTestId(testIds.fleet.row)) {
      expect(within(row).getByText('pump')).toBeInTheDocument();
      expect(within(row).getByText(/^stale ·/)).toBeInTheDocument();
    }
  });

  it('search narrows the page, and offers to open an id that is not on it', async () => {
    const exporter = withFleet(fleet(30));
    renderWith(<FleetTable debounceMs={0} refreshMs={0} />, exporter.client());
    await screen.findByText('Assets 1–30 of 30');
    await userEvent.type(screen.getByLabelText(/Search asset id/), '0012');
    expect(screen.getAllByTestId(testIds.fleet.row)).toHaveLength(1);
    await userEvent.clear(screen.getByLabelText(/Search asset id/));
    await userEvent.type(screen.getByLabelText(/Search asset id/), 'belt-9999');
    expect(screen.queryAllByTestId(testIds.fleet.row)).toHaveLength(0);
    expect(screen.getByRole('link', { name: /Open asset “belt-9999”/ })).toHaveAttribute(
      'href',
      '/a/test/asset?id=belt-9999'
    );
  });

  it('shows the exporter’s error when the fleet cannot be read', async () => {
    const exporter = new FakeExporter().on('GET', '/api/v1/assets', { status: 0 }).on('GET', '/api/v1/assets', () => ({
      status: 401,
      body: { error: 'the proxy secret is wrong', code: 'unauthenticated' },
    }));
    renderWith(<FleetTable debounceMs={0} refreshMs={0} />, exporter.client());
    expect(await screen.findByText(/the proxy secret is wrong \(unauthenticated\)/)).toBeInTheDocument();
  });
});
