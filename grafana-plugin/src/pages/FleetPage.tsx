import React from 'react';
import { PluginPage } from '@grafana/runtime';
import { FleetTable } from '../components/Fleet';

export default function FleetPage() {
  return (
    <PluginPage subTitle="Every twin: freshness, divergence and the last command">
      <FleetTable />
    </PluginPage>
  );
}
