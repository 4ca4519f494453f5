import React from 'react';
import { useSearchParams } from 'react-router-dom';
import { PluginPage } from '@grafana/runtime';
import { AuditLog } from '../components/Audit';

export default function AuditPage() {
  const [params] = useSearchParams();
  return (
    <PluginPage subTitle="Every attempt, approval and kill-switch change, hash-chained">
      <AuditLog initialCommand={params.get('command') ?? ''} />
    </PluginPage>
  );
}
