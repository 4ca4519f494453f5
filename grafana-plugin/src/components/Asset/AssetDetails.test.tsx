import React from 'react';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { AssetDetails, isStaleObservation } from './AssetDetails';
import { FakeExporter, NOW, assetView, command, property } from '../../testing/fakeExporter';
import { renderWith } from '../../testing/render';
import { testIds } from '../testIds';

const staleAsset = assetView('belt-1', {
  stale: true,
  newestPhysicalMs: NOW - 90_000,
  staleAfterMs: 60_000,
  properties: [
    property('speed', {
      physical: { value: 1.25, sourceTimeMs: NOW - 90_000, receivedMs: NOW - 89_000, ageMs: 90_000 },
      twin: { value: 2, sourceTimeMs: NOW - 4_000, receivedMs: NOW - 3_900, ageMs: 4_000 },
      divergence: {
        comparable: true,
        differsSinceMs: NOW - 80_000,
        graceFromMs: NOW - 79_000,
        diverged: true,
        tolerance: { kind: 'absolute', epsilon: 0.1 },
        graceMs: 30_000,
      },
    }),
    property('mode', {
      physical: { value: 'run', sourceTimeMs: NOW - 5_000, receivedMs: NOW - 4_900, ageMs: 5_000 },
      twin: null,
      divergence: {
        comparable: false,
        differsSinceMs: null,
        graceFromMs: null,
        diverged: false,
        tolerance: { kind: 'exact' },
        graceMs: 30_000,
      },
    }),
  ],
});

function exporterFor(asset = staleAsset) {
  return new FakeExporter()
    .on('GET', '/api/v1/assets/belt-1', asset)
    .on('GET', '/api/v1/assets/belt-1/properties/speed/history', [
      { source: 'physical', sourceTimeMs: NOW - 120_000, value: 1.0 },
      { source: 'twin', sourceTimeMs: NOW - 100_000, value: 2 },
      { source: 'physical', sourceTimeMs: NOW - 90_000, value: 1.25 },
    ])
    .on('GET', '/api/v1/assets/belt-1/properties/mode/history', [])
    .on('GET', '/api/v1/commands', [
      command('c1', {
        status: 'refused',
        verdicts: [{ guard: 'freshness', pass: false, code: 'stale_twin', message: 'the twin is 90 s old' }],
      }),
    ])
    .on('GET', '/api/v1/models/thermal/predictions', [
      {
        assetId: 'belt-1',
        property: 'speed',
        predicted: 1.3,
        actual: 1.25,
        targetTimeMs: NOW - 90_000,
        actualTimeMs: NOW - 90_000,
        error: 0.05,
        good: true,
        model: 'thermal',
        modelVersion: '3.2.0',
      },
    ]);
}

describe('isStaleObservation', () => {
  it('is stale only past the class staleAfter', () => {
    const obs = { value: 1, sourceTimeMs: 0, receivedMs: 0, ageMs: 60_001 };
    expect(isStaleObservation(obs, 60_000)).toBe(true);
    expect(isStaleObservation({ ...obs, ageMs: 60_000 }, 60_000)).toBe(false);
    expect(isStaleObservation(null, 60_000)).toBe(false);
  });
});

describe('AssetDetails', () => {
  it('shows physical vs twin per property with ages, and marks stale physical values', async () => {
    renderWith(<AssetDetails assetId="belt-1" refreshMs={0} />, exporterFor().client());
    const rows = await screen.findAllByTestId(testIds.asset.property);
    const speed = rows.find((r) => within(r).queryByRole('rowheader', { name: 'speed' }))!;
    const [physical, twin, divergence] = within(speed).getAllByRole('cell');
    expect(physical).toHaveTextContent('1.25');
    expect(physical).toHaveTextContent('1 min 30 s old');
    expect(within(physical).getByText('stale')).toBeInTheDocument();
    expect(twin).toHaveTextContent('2');
    expect(twin).toHaveTextContent('4 s old');
    expect(within(twin).queryByText('stale')).not.toBeInTheDocument();
    expect(divergence).toHaveTextContent(/diverged since/);

    const mode = rows.find((r) => within(r).queryByRole('rowheader', { name: 'mode' }))!;
    expect(within(mode).queryByText('stale')).not.toBeInTheDocument();
    expect(within(mode).getByText('no value')).toBeInTheDocument();
    expect(within(mode).getByText('not comparable')).toBeInTheDocument();

    const banner = screen.getByTestId(testIds.asset.staleBanner);
    expect(banner).toHaveTextContent('The newest physical value is 1 min 30 s old; this class is stale after 1 min.');
  });

  it('shows no stale marks on a fresh asset', async () => {
    renderWith(<AssetDetails assetId="belt-1" refreshMs={0} />, exporterFor(assetView('belt-1')).client());
    await screen.findAllByTestId(testIds.asset.property);
    expect(screen.queryByTestId(testIds.asset.staleBanner)).not.toBeInTheDocument();
    expect(screen.queryByText('stale')).not.toBeInTheDocument();
  });

  it('shows history per property, newest first, and predictions vs actuals of a model', async () => {
    const exporter = exporterFor();
    renderWith(<AssetDetails assetId="belt-1" refreshMs={0} />, exporter.client());
    const history = await screen.findByRole('table', { name: 'History of speed' });
    const cells = within(history)
      .getAllByRole('row')
      .slice(1)
      .map((r) =>
        within(r)
          .getAllByRole('cell')
          .map((c) => c.textContent)
      );
    expect(cells.map((c) => [c[1], c[2]])).toEqual([
      ['physical', '1.25'],
      ['twin', '2'],
      ['physical', '1'],
    ]);
    await userEvent.click(screen.getByLabelText('mode'));
    expect(await screen.findByText('No history kept for this property.')).toBeInTheDocument();

    await userEvent.type(screen.getByLabelText(/^Model/), 'thermal');
    await userEvent.click(screen.getByRole('button', { name: 'Show predictions' }));
    const predictions = await screen.findByRole('table', { name: 'Predictions' });
    expect(within(predictions).getByText('3.2.0')).toBeInTheDocument();
    expect(within(predictions).getByText('yes')).toBeInTheDocument();
    expect(exporter.calls('GET', '/api/v1/models/thermal/predictions')[0].query.get('asset')).toBe('belt-1');
  });

  it('lists the asset’s commands with why a refused one was refused', async () => {
    const exporter = exporterFor();
    renderWith(<AssetDetails assetId="belt-1" refreshMs={0} />, exporter.client());
    const list = await screen.findByTestId(testIds.asset.commands);
    expect(await within(list).findByText(/stale_twin: the twin is 90 s old/)).toBeInTheDocument();
    expect(within(list).getByText('refused')).toBeInTheDocument();
    expect(within(list).getByRole('link', { name: 'New command' })).toHaveAttribute(
      'href',
      '/a/test/commands?asset=belt-1'
    );
    expect(exporter.calls('GET', '/api/v1/commands')[0].query.get('asset')).toBe('belt-1');
  });

  it('says so when the asset is unknown', async () => {
    const exporter = new FakeExporter().on('GET', '/api/v1/assets/nope', () => ({
      status: 404,
      body: { error: 'no asset "nope"' },
    }));
    renderWith(<AssetDetails assetId="nope" refreshMs={0} />, exporter.client());
    expect(await screen.findByText(/no asset "nope"/)).toBeInTheDocument();
  });
});
