import React from 'react';
import { PluginPage } from '@grafana/runtime';
import { ApprovalQueue, KillSwitchPanel } from '../components/Approvals';

export default function ApprovalsPage() {
  return (
    <PluginPage subTitle="High-risk commands wait here for a second person">
      <ApprovalQueue />
      <KillSwitchPanel />
    </PluginPage>
  );
}
