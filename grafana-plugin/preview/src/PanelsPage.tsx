import React from 'react';
import { useSearchParams } from 'react-router-dom';
import { dateTime, type PanelProps } from '@grafana/data';
import { PluginPage } from '@grafana/runtime';
import { PanelChrome, Stack } from '@grafana/ui';
import { CommandPanel } from '../../src/panels/command-button/CommandPanel';
import type { CommandPanelOptions } from '../../src/panels/command-button/types';
import { FleetStatePanel } from '../../src/panels/fleet-state/FleetStatePanel';
import type { FleetStateOptions } from '../../src/panels/fleet-state/types';

/**
 * What a dashboard gives a panel, for the few props the twinops panels read (options, size, time
 * range, variables). The panels load the app's settings and client themselves, as in Grafana.
 */
function panelProps<T>(options: T, width: number, height: number): PanelProps<T> {
  const now = dateTime();
  return {
    id: 1,
    options,
    width,
    height,
    timeRange: { from: dateTime(now).subtract(1, 'h'), to: now, raw: { from: 'now-1h', to: 'now' } },
    replaceVariables: (text: string) => text,
  } as unknown as PanelProps<T>;
}

/** The app's two panels in Grafana's own panel frame, as a dashboard would show them. */
export function PanelsPage() {
  const [params] = useSearchParams();
  const fleet: FleetStateOptions = { limit: 200, refreshSeconds: 10 };
  const command: CommandPanelOptions = {
    assetId: params.get('asset') ?? 'conveyor-1',
    command: params.get('command') ?? 'setSpeed',
  };
  return (
    <PluginPage subTitle="The twinops fleet state and command panels, as on a dashboard">
      <Stack direction="column" gap={2}>
        <PanelChrome title="twinops fleet state" width={900} height={260}>
          {(width, height) => <FleetStatePanel {...panelProps(fleet, width, height)} />}
        </PanelChrome>
        <PanelChrome title={`twinops command: ${command.command} on ${command.assetId}`} width={420} height={140}>
          {(width, height) => <CommandPanel {...panelProps(command, width, height)} />}
        </PanelChrome>
      </Stack>
    </PluginPage>
  );
}
