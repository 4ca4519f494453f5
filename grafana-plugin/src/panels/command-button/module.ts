import { PanelPlugin } from '@grafana/data';
import { CommandPanel } from './CommandPanel';
import type { CommandPanelOptions } from './types';

export const plugin = new PanelPlugin<CommandPanelOptions>(CommandPanel).setPanelOptions((builder) =>
  builder
    .addTextInput({
      path: 'assetId',
      name: 'Asset id',
      description: 'The asset to command; dashboard variables work ($asset)',
      defaultValue: '',
    })
    .addTextInput({
      path: 'command',
      name: 'Command',
      description: "A command of the asset class's catalog, e.g. setSpeed",
      defaultValue: '',
    })
    .addTextInput({
      path: 'params',
      name: 'Preset parameters (JSON)',
      description: 'e.g. {"mps": 1.5}; the operator can change them',
      defaultValue: '',
      settings: { useTextarea: true },
    })
    .addTextInput({ path: 'label', name: 'Button label', defaultValue: '' })
);
