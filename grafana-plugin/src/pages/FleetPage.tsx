import React from 'react';
import { useSearchParams } from 'react-router-dom';
import { PluginPage } from '@grafana/runtime';
import { FleetTable, fleetFiltersFromParams } from '../components/Fleet';

export default function FleetPage() {
  const [params] = useSearchParams();
  return (
    <PluginPage subTitle="Every twin: freshness, divergence and the last command">
      <FleetTable initialFilters={fleetFiltersFromParams(params)} />
    </PluginPage>
  );
}
