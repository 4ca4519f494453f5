import React from 'react';
import { Badge, type BadgeColor, useStyles2 } from '@grafana/ui';
import type { CommandRecord, CommandStatus } from '../../api/types';
import { AppLink } from '../common/AppLink';
import { formatParams, formatTime } from '../common/format';
import { getTableStyles } from '../common/styles';
import { useTwinServices } from '../../api/context';

const statusColor: Record<CommandStatus, BadgeColor> = {
  refused: 'red',
  pending_approval: 'purple',
  accepted: 'blue',
  dispatched: 'blue',
  acked: 'blue',
  applied: 'green',
  rejected_by_device: 'red',
  timed_out: 'orange',
  diverged_after_ack: 'orange',
  approval_rejected: 'red',
};

export function CommandStatusBadge({ record }: { record: Pick<CommandRecord, 'status' | 'outcome'> }) {
  const status = record.outcome ?? record.status;
  return <Badge color={statusColor[status] ?? 'blue'} text={status.replace(/_/g, ' ')} />;
}

/** Commands with their fate, newest first; the first refusal's code says why a refused one was. */
export function CommandList({ commands, showAsset = true }: { commands: CommandRecord[]; showAsset?: boolean }) {
  const s = useStyles2(getTableStyles);
  const { links } = useTwinServices();
  if (commands.length === 0) {
    return <p className={s.muted}>No commands yet.</p>;
  }
  const sorted = [...commands].sort((a, b) => b.submittedAtMs - a.submittedAtMs);
  return (
    <table className={s.table} aria-label="Commands">
      <thead>
        <tr>
          <th scope="col">Submitted</th>
          {showAsset && <th scope="col">Asset</th>}
          <th scope="col">Command</th>
          <th scope="col">By</th>
          <th scope="col">Status</th>
          <th scope="col">Detail</th>
        </tr>
      </thead>
      <tbody>
        {sorted.map((c) => {
          const refusal = c.verdicts.find((v) => !v.pass);
          return (
            <tr key={c.id}>
              <td>{formatTime(c.submittedAtMs)}</td>
              {showAsset && (
                <td>
                  <AppLink href={links.asset(c.assetId)}>{c.assetId}</AppLink>
                </td>
              )}
              <td>
                {c.name}
                <div className={s.muted}>{formatParams(c.params)}</div>
              </td>
              <td>{c.user}</td>
              <td>
                <CommandStatusBadge record={c} />
              </td>
              <td>
                {c.outcomeMessage ??
                  (c.status === 'approval_rejected'
                    ? `rejected by ${c.rejectedBy}: ${c.rejectionReason}`
                    : undefined) ??
                  (refusal ? `${refusal.code ?? refusal.guard}: ${refusal.message}` : '')}{' '}
                <AppLink href={links.audit(c.id)} aria-label={`Audit trail of command ${c.id}`}>
                  audit
                </AppLink>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
