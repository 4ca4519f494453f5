import React, { useState } from 'react';
import { Alert, Button, Field, Input, Modal, Stack, useStyles2 } from '@grafana/ui';
import { useTwinServices } from '../../api/context';
import type { CommandRecord } from '../../api/types';
import { AppLink } from '../common/AppLink';
import { ErrorAlert, describeError } from '../common/ErrorAlert';
import { formatAge, formatParams, formatTime } from '../common/format';
import { getTableStyles } from '../common/styles';
import { useAsync } from '../common/useAsync';
import { RiskBadge } from '../Commands/ConfirmCommand';
import { testIds } from '../testIds';

type Verdict = 'approve' | 'reject';

function ReviewModal({
  record,
  verdict,
  onDone,
  onDismiss,
}: {
  record: CommandRecord;
  verdict: Verdict;
  onDone: (r: CommandRecord) => void;
  onDismiss: () => void;
}) {
  const { client } = useTwinServices();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const valid = reason.trim().length >= 3;
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      onDone(await client.review(record.id, verdict, reason.trim()));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const verb = verdict === 'approve' ? 'Approve' : 'Reject';
  const problem = error === undefined ? undefined : describeError(error);
  return (
    <Modal title={`${verb} ${record.name} on ${record.assetId}`} isOpen onDismiss={onDismiss}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (valid && !busy) {
            void submit();
          }
        }}
      >
        <p>
          Submitted by <strong>{record.user}</strong>: {formatParams(record.params)} — “{record.reason}”.
          {verdict === 'approve' && ' Every guard judges the command again, now, before it is sent.'}
        </p>
        <Field label="Reason" description="Recorded in the audit log" required>
          <Input id="review-reason" value={reason} onChange={(e) => setReason(e.currentTarget.value)} />
        </Field>
        {problem && (
          <Alert
            severity="error"
            title={`Not ${verdict === 'approve' ? 'approved' : 'rejected'}${problem.code ? ` (${problem.code})` : ''}`}
          >
            {problem.message}
          </Alert>
        )}
        <Modal.ButtonRow>
          <Button variant="secondary" fill="outline" onClick={onDismiss}>
            Cancel
          </Button>
          <Button type="submit" variant={verdict === 'approve' ? 'primary' : 'destructive'} disabled={!valid || busy}>
            {verb}
          </Button>
        </Modal.ButtonRow>
      </form>
    </Modal>
  );
}

/**
 * Commands held for a second person. The exporter refuses a submitter's own approval (and says
 * so); the page shows its message rather than guessing identities in the browser.
 */
export function ApprovalQueue({ refreshMs = 5_000 }: { refreshMs?: number }) {
  const { client, links, now = Date.now } = useTwinServices();
  const s = useStyles2(getTableStyles);
  const pending = useAsync(() => client.listCommands({ status: 'pending_approval', limit: 100 }), [], refreshMs);
  const [review, setReview] = useState<{ record: CommandRecord; verdict: Verdict }>();
  const [done, setDone] = useState<string>();
  const rows = [...(pending.value ?? [])].sort((a, b) => a.submittedAtMs - b.submittedAtMs);
  const nowMs = now();

  return (
    <div data-testid={testIds.approvals.container}>
      {!client.capabilities.write && (
        <Alert severity="info" title="Read only">
          {client.capabilities.writeBlockedReason}
        </Alert>
      )}
      {done && (
        <Alert severity="success" title="Done" onRemove={() => setDone(undefined)}>
          {done}
        </Alert>
      )}
      {pending.error !== undefined && <ErrorAlert title="Could not load the approval queue" error={pending.error} />}
      {pending.value && rows.length === 0 && <p className={s.muted}>Nothing waits for approval.</p>}
      {rows.length > 0 && (
        <table className={s.table} aria-label="Commands waiting for approval">
          <thead>
            <tr>
              <th scope="col">Waiting</th>
              <th scope="col">Asset</th>
              <th scope="col">Command</th>
              <th scope="col">Risk</th>
              <th scope="col">Submitted by</th>
              <th scope="col">Reason</th>
              <th scope="col">Review</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-testid={testIds.approvals.row}>
                <td title={formatTime(r.submittedAtMs)}>{formatAge(nowMs - r.submittedAtMs)}</td>
                <td>
                  <AppLink href={links.asset(r.assetId)}>{r.assetId}</AppLink>
                </td>
                <td>
                  {r.name}
                  <div className={s.muted}>{formatParams(r.params)}</div>
                </td>
                <td>{r.risk ? <RiskBadge risk={r.risk} /> : '—'}</td>
                <td>{r.user}</td>
                <td>{r.reason}</td>
                <td>
                  <Stack gap={1}>
                    <Button
                      size="sm"
                      disabled={!client.capabilities.write}
                      onClick={() => setReview({ record: r, verdict: 'approve' })}
                      aria-label={`Approve ${r.name} on ${r.assetId} by ${r.user}`}
                    >
                      Approve
                    </Button>
                    <Button
                      size="sm"
                      variant="destructive"
                      fill="outline"
                      disabled={!client.capabilities.write}
                      onClick={() => setReview({ record: r, verdict: 'reject' })}
                      aria-label={`Reject ${r.name} on ${r.assetId} by ${r.user}`}
                    >
                      Reject
                    </Button>
                  </Stack>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {review && (
        <ReviewModal
          record={review.record}
          verdict={review.verdict}
          onDismiss={() => setReview(undefined)}
          onDone={(record) => {
            setReview(undefined);
            setDone(
              review.verdict === 'approve'
                ? `${record.name} on ${record.assetId} approved: ${record.status.replace(/_/g, ' ')}.`
                : `${record.name} on ${record.assetId} rejected.`
            );
            pending.reload();
          }}
        />
      )}
    </div>
  );
}
