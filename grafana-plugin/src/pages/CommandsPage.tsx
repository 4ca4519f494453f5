import React from 'react';
import { useSearchParams } from 'react-router-dom';
import { PluginPage } from '@grafana/runtime';
import { useTwinServices } from '../api/context';
import { CommandComposer, CommandList } from '../components/Commands';
import { ErrorAlert } from '../components/common/ErrorAlert';
import { useAsync } from '../components/common/useAsync';

export default function CommandsPage() {
  const [params] = useSearchParams();
  const { client } = useTwinServices();
  const asset = params.get('asset') ?? '';
  const recent = useAsync(() => client.listCommands({ limit: 50 }), [], 5_000);
  return (
    <PluginPage subTitle="Guarded commands: dry run, confirm, follow">
      <CommandComposer key={asset} assetId={asset} command={params.get('command') ?? undefined} />
      <h3>Recent commands</h3>
      {recent.error !== undefined ? (
        <ErrorAlert title="Could not load commands" error={recent.error} />
      ) : (
        <CommandList commands={recent.value ?? []} />
      )}
    </PluginPage>
  );
}
