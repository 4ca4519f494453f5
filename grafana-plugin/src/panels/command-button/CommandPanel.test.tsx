import React from 'react';
import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { PanelProps } from '@grafana/data';
import { CommandPanel, parsePreset } from './CommandPanel';
import type { CommandPanelOptions } from './types';
import { FakeExporter, assetView, catalog } from '../../testing/fakeExporter';
import { testIds } from '../../components/testIds';

function props(options: CommandPanelOptions, vars: Record<string, string> = {}): PanelProps<CommandPanelOptions> {
  return {
    options,
    width: 300,
    height: 100,
    replaceVariables: (s: string) => s.replace(/\$(\w+)/g, (_, n) => vars[n] ?? ''),
  } as unknown as PanelProps<CommandPanelOptions>;
}

describe('parsePreset', () => {
  it('accepts a JSON object only', () => {
    expect(parsePreset('{"mps": 1.5}')).toEqual({ params: { mps: 1.5 } });
    expect(parsePreset('')).toEqual({});
    expect(parsePreset('[1]').error).toMatch(/JSON object/);
    expect(parsePreset('{').error).toMatch(/not valid JSON/);
  });
});

describe('CommandPanel', () => {
  it('opens the guarded composer for the panel’s asset and command, with the preset and a dry run', async () => {
    const user = userEvent.setup();
    const fake = new FakeExporter()
      .on('GET', '/api/v1/catalog', catalog)
      .on('GET', '/api/v1/assets/belt-7', assetView('belt-7'))
      .on('POST', '/api/v1/commands', {
        dryRun: true,
        decision: 'accepted',
        verdicts: [{ guard: 'authentication', pass: true, message: 'ok' }],
      });
    render(
      <CommandPanel
        {...props(
          { assetId: '$asset', command: 'setSpeed', params: '{"mps": 1.5}', label: 'Speed up' },
          { asset: 'belt-7' }
        )}
        clientFactory={async () => fake.client()}
      />
    );
    const button = await screen.findByTestId(testIds.panels.commandButton);
    await waitFor(() => expect(button).toBeEnabled());
    expect(button).toHaveTextContent('Speed up');
    await user.click(button);
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).queryByLabelText('Asset id')).not.toBeInTheDocument();
    expect(await within(dialog).findByLabelText(/^Mps/)).toHaveValue(1.5);
    await waitFor(
      () => expect(within(dialog).getByTestId(testIds.composer.decision)).toHaveAttribute('data-decision', 'accepted'),
      { timeout: 3000 }
    );
    expect(fake.calls('POST', '/api/v1/commands')[0].body).toMatchObject({
      assetId: 'belt-7',
      name: 'setSpeed',
      params: { mps: 1.5 },
      dryRun: true,
    });
  });

  it('asks for an asset and a command when unset', async () => {
    render(<CommandPanel {...props({})} clientFactory={async () => new FakeExporter().client()} />);
    await act(async () => {});
    expect(screen.getByText('Choose an asset and a command in the panel options')).toBeInTheDocument();
  });
});
