import React, { useState } from 'react';
import { Alert, Badge, Button, Field, Input, Stack, useStyles2 } from '@grafana/ui';
import { useTwinServices } from '../../api/context';
import type { AuditEntry } from '../../api/types';
import { AppLink } from '../common/AppLink';
import { ErrorAlert } from '../common/ErrorAlert';
import { formatTime } from '../common/format';
import { getTableStyles } from '../common/styles';
import { useAsync, useDebounced } from '../common/useAsync';
import { testIds } from '../testIds';

const PAGE = 100;

function matches(entry: AuditEntry, needle: string): boolean {
  if (needle === '') {
    return true;
  }
  const haystack = [
    entry.actor,
    entry.action,
    entry.assetId ?? '',
    entry.commandId ?? '',
    JSON.stringify(entry.details),
  ]
    .join(' ')
    .toLowerCase();
  return haystack.includes(needle);
}

/**
 * The append-only audit log, oldest first in pages of 100 (the API reads forward from a seq),
 * with the hash chain's verification. Search narrows the page; a command id asks the server.
 */
export function AuditLog({ initialCommand = '' }: { initialCommand?: string }) {
  const { client, links } = useTwinServices();
  const s = useStyles2(getTableStyles);
  const [commandId, setCommandId] = useState(initialCommand);
  const [search, setSearch] = useState('');
  const [after, setAfter] = useState<number[]>([0]);
  const command = useDebounced(commandId.trim(), 300);
  const from = after[after.length - 1];
  const entries = useAsync(
    () => client.readAudit({ command: command || undefined, after: from, limit: PAGE }),
    [command, from]
  );
  const verification = useAsync(() => client.verifyAudit(), []);
  const needle = search.trim().toLowerCase();
  const rows = (entries.value ?? []).filter((e) => matches(e, needle));
  const v = verification.value;

  return (
    <div data-testid={testIds.audit.container}>
      <div data-testid={testIds.audit.chain} aria-live="polite">
        {verification.error !== undefined && (
          <ErrorAlert title="Could not verify the audit chain" error={verification.error} />
        )}
        {v?.ok === true && (
          <Stack alignItems="center">
            <Badge color="green" icon="check" text="Hash chain verified" />
            <span className={s.muted}>{v.entries} entries, each linked to the one before.</span>
            <Button size="sm" variant="secondary" onClick={verification.reload}>
              Verify again
            </Button>
          </Stack>
        )}
        {v?.ok === false && (
          <Alert severity="error" title={`Audit chain broken at row ${v.seq}`}>
            {v.reason}. Rows from here on cannot be trusted; see the runbook.
          </Alert>
        )}
      </div>
      <div className={s.toolbar}>
        <Field label="Command id" description="Only this command’s entries (asked of the server)">
          <Input
            id="audit-command"
            value={commandId}
            onChange={(e) => {
              setCommandId(e.currentTarget.value);
              setAfter([0]);
            }}
          />
        </Field>
        <Field label="Search" description="Actor, action, asset or details, on this page">
          <Input id="audit-search" value={search} onChange={(e) => setSearch(e.currentTarget.value)} />
        </Field>
      </div>
      {entries.error !== undefined && <ErrorAlert title="Could not read the audit log" error={entries.error} />}
      {entries.value && rows.length === 0 && <p className={s.muted}>No entries.</p>}
      {rows.length > 0 && (
        <table className={s.table} aria-label="Audit log">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Time</th>
              <th scope="col">Actor</th>
              <th scope="col">Action</th>
              <th scope="col">Asset</th>
              <th scope="col">Command</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((e) => (
              <tr key={e.seq} data-testid={testIds.audit.row}>
                <td>{e.seq}</td>
                <td>{formatTime(e.atMs)}</td>
                <td>{e.actor}</td>
                <td>{e.action}</td>
                <td>{e.assetId ? <AppLink href={links.asset(e.assetId)}>{e.assetId}</AppLink> : '—'}</td>
                <td className={s.mono}>{e.commandId ?? '—'}</td>
                <td>
                  <details>
                    <summary>details</summary>
                    <pre className={s.mono}>{JSON.stringify(e.details, null, 2)}</pre>
                    <div className={s.muted}>
                      hash {e.hash.slice(0, 16)}… ← {e.prevHash.slice(0, 16)}…
                    </div>
                  </details>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Stack>
        <Button variant="secondary" disabled={after.length <= 1} onClick={() => setAfter((a) => a.slice(0, -1))}>
          Previous
        </Button>
        <Button
          variant="secondary"
          disabled={(entries.value?.length ?? 0) < PAGE}
          onClick={() => {
            const last = entries.value?.[entries.value.length - 1];
            if (last) {
              setAfter((a) => [...a, last.seq]);
            }
          }}
        >
          Next
        </Button>
      </Stack>
    </div>
  );
}
