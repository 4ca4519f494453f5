import React from 'react';
import { useParams, useSearchParams } from 'react-router-dom';
import { PluginPage } from '@grafana/runtime';
import { AssetDetails } from '../components/Asset';

export default function AssetPage() {
  // `asset?id=…` (what the app links to: any id), or `asset/<id>` for a plain id in an older link.
  const [search] = useSearchParams();
  const { id: pathId = '' } = useParams<{ id: string }>();
  const id = search.get('id') ?? pathId;
  return (
    <PluginPage pageNav={{ text: id }} subTitle="Physical vs twin, history, predictions and commands">
      <AssetDetails key={id} assetId={id} />
    </PluginPage>
  );
}
