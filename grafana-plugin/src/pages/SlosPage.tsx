import React from 'react';
import { PluginPage } from '@grafana/runtime';
import { SloStatus } from '../components/Slos';

export default function SlosPage() {
  return (
    <PluginPage subTitle="Is the twin telling the truth: SLO status and error budgets">
      <SloStatus />
    </PluginPage>
  );
}
