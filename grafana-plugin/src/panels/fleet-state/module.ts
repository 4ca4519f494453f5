import { PanelPlugin } from '@grafana/data';
import { FleetStatePanel } from './FleetStatePanel';
import type { FleetStateOptions } from './types';

export const plugin = new PanelPlugin<FleetStateOptions>(FleetStatePanel).setPanelOptions((builder) =>
  builder
    .addTextInput({
      path: 'assetClass',
      name: 'Asset class',
      description: 'Only this class (empty: all)',
      defaultValue: '',
    })
    .addTextInput({ path: 'site', name: 'Site', description: 'Only this site (empty: all)', defaultValue: '' })
    .addRadio({
      path: 'status',
      name: 'Status',
      defaultValue: 'all',
      settings: {
        options: [
          { value: 'all', label: 'All' },
          { value: 'stale', label: 'Stale' },
          { value: 'diverged', label: 'Diverged' },
          { value: 'healthy', label: 'Healthy' },
        ],
      },
    })
    .addNumberInput({
      path: 'limit',
      name: 'Assets shown',
      description: 'At most 500',
      defaultValue: 200,
      settings: { min: 1, max: 500, integer: true },
    })
    .addNumberInput({
      path: 'refreshSeconds',
      name: 'Reload every (s)',
      description: '0: with the dashboard refresh only',
      defaultValue: 10,
      settings: { min: 0, integer: true },
    })
);
