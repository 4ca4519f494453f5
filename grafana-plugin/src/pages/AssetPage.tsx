import React from 'react';
import { useParams } from 'react-router-dom';
import { PluginPage } from '@grafana/runtime';
import { AssetView } from '../components/Asset';

export default function AssetPage() {
  const { id = '' } = useParams<{ id: string }>();
  return (
    <PluginPage pageNav={{ text: id }} subTitle="Physical vs twin, history, predictions and commands">
      <AssetView key={id} assetId={id} />
    </PluginPage>
  );
}
