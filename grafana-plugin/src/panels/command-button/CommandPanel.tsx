import React, { useMemo, useState } from 'react';
import { css } from '@emotion/css';
import type { PanelProps } from '@grafana/data';
import { Alert, Button, Modal } from '@grafana/ui';
import type { TwinClient } from '../../api/client';
import { appLinks, TwinServicesProvider } from '../../api/context';
import { loadGrafanaClient } from '../../api/grafana';
import { CommandComposer } from '../../components/Commands/CommandComposer';
import { ErrorAlert } from '../../components/common/ErrorAlert';
import { useAsync } from '../../components/common/useAsync';
import { testIds } from '../../components/testIds';
import type { CommandPanelOptions } from './types';

export function parsePreset(text: string | undefined): { params?: Record<string, unknown>; error?: string } {
  if (!text || text.trim() === '') {
    return {};
  }
  try {
    const value = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return { error: 'Preset parameters must be a JSON object, e.g. {"mps": 1.5}' };
    }
    return { params: value as Record<string, unknown> };
  } catch {
    return { error: 'Preset parameters are not valid JSON' };
  }
}

export interface CommandPanelProps extends PanelProps<CommandPanelOptions> {
  /** Tests pass their own; in Grafana the app's client. */
  clientFactory?: () => Promise<TwinClient>;
}

/**
 * One button; it opens the same composer as the Commands page (dry run, every guard, the
 * current-vs-commanded confirmation, typed for high risk, then the follow-up), fixed to the
 * panel's asset and command.
 */
export function CommandPanel({
  options,
  replaceVariables,
  width,
  height,
  clientFactory = loadGrafanaClient,
}: CommandPanelProps) {
  const [open, setOpen] = useState(false);
  const client = useAsync(clientFactory, []);
  const assetId = replaceVariables(options.assetId ?? '').trim();
  const command = (options.command ?? '').trim();
  const preset = useMemo(() => parsePreset(options.params), [options.params]);
  const label = options.label?.trim() || `${command || 'Command'} ${assetId}`.trim();

  if (!assetId || !command) {
    return <Alert severity="info" title="Choose an asset and a command in the panel options" />;
  }
  return (
    <div className={css({ width, height, display: 'flex', alignItems: 'center', justifyContent: 'center' })}>
      {preset.error && <Alert severity="error" title={preset.error} />}
      {client.error !== undefined && <ErrorAlert title="twinops is not reachable" error={client.error} />}
      <Button
        icon="bolt"
        size="lg"
        disabled={!client.value || preset.error !== undefined}
        onClick={() => setOpen(true)}
        data-testid={testIds.panels.commandButton}
      >
        {label}
      </Button>
      {open && client.value && (
        <Modal title={`${command} on ${assetId}`} isOpen onDismiss={() => setOpen(false)}>
          <TwinServicesProvider services={{ client: client.value, links: appLinks() }}>
            <CommandComposer assetId={assetId} command={command} presetParams={preset.params} fixed />
          </TwinServicesProvider>
        </Modal>
      )}
    </div>
  );
}
