import React from 'react';
import { act, screen, within } from '@testing-library/react';
import { SloStatus } from './SloStatus';
import { loadSloRows, type SloSource } from '../../api/slo';
import { FakeExporter } from '../../testing/fakeExporter';
import { renderWith } from '../../testing/render';
import { testIds } from '../testIds';

const series: Record<string, Array<{ labels: Record<string, string>; value: number }>> = {
  'twinops_slo:objective:ratio': [
    { labels: { slo: 'freshness' }, value: 0.99 },
    { labels: { slo: 'sync-latency' }, value: 0.99 },
  ],
  'twinops_slo:sli_error:ratio_rate30d': [
    { labels: { slo: 'freshness', asset_class: 'pump' }, value: 0.012 },
    { labels: { slo: 'freshness', asset_class: 'valve' }, value: 0.001 },
    { labels: { slo: 'sync-latency', asset_class: 'pump' }, value: 0 },
  ],
  'twinops_slo:error_budget_remaining:ratio': [
    { labels: { slo: 'freshness', asset_class: 'pump' }, value: -0.2 },
    { labels: { slo: 'freshness', asset_class: 'valve' }, value: 0.9 },
    { labels: { slo: 'sync-latency', asset_class: 'pump' }, value: 1 },
  ],
  'twinops_slo:current_burn_rate:ratio': [{ labels: { slo: 'freshness', asset_class: 'pump' }, value: 14.4 }],
  'ALERTS{alertstate="firing", slo!=""}': [
    {
      labels: {
        alertname: 'TwinFreshnessBudgetBurn',
        alertstate: 'firing',
        severity: 'page',
        slo: 'freshness',
        asset_class: 'pump',
      },
      value: 1,
    },
  ],
};
const source: SloSource = { instant: async (expr) => series[expr] ?? [] };

describe('loadSloRows', () => {
  it('joins objective, error, budget, burn rate and firing alerts per SLO and scope', async () => {
    const rows = await loadSloRows(source);
    expect(rows).toEqual([
      {
        slo: 'freshness',
        scope: 'asset_class=pump',
        objective: 0.99,
        errorRatio: 0.012,
        budgetRemaining: -0.2,
        burnRate: 14.4,
        firing: ['TwinFreshnessBudgetBurn'],
      },
      {
        slo: 'freshness',
        scope: 'asset_class=valve',
        objective: 0.99,
        errorRatio: 0.001,
        budgetRemaining: 0.9,
        firing: [],
      },
      {
        slo: 'sync-latency',
        scope: 'asset_class=pump',
        objective: 0.99,
        errorRatio: 0,
        budgetRemaining: 1,
        firing: [],
      },
    ]);
  });
});

describe('SloStatus', () => {
  it('shows budgets, marking a spent one, and firing alerts', async () => {
    renderWith(<SloStatus refreshMs={0} />, new FakeExporter().client(), { slo: source });
    const rows = await screen.findAllByTestId(testIds.slos.row);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toHaveTextContent('-20% (spent)');
    expect(within(rows[0]).getByText('TwinFreshnessBudgetBurn')).toBeInTheDocument();
    expect(rows[1]).toHaveTextContent('90%');
  });

  it('explains what to configure without a Prometheus datasource', async () => {
    renderWith(<SloStatus refreshMs={0} />, new FakeExporter().client());
    await act(async () => {});
    expect(screen.getByText(/Set the Prometheus datasource UID/)).toBeInTheDocument();
  });
});
