import React, { useEffect, useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Alert, Icon, useStyles2 } from '@grafana/ui';
import { useTwinServices } from '../../api/context';
import { isFinal, type CommandRecord } from '../../api/types';
import { AppLink } from '../common/AppLink';
import { describeError } from '../common/ErrorAlert';
import { formatTime } from '../common/format';
import { testIds } from '../testIds';
import { CommandStatusBadge } from './CommandList';

type StepState = 'done' | 'current' | 'todo' | 'failed';

interface Step {
  label: string;
  state: StepState;
  atMs?: number;
}

/** The command's life as steps: (approval →) accepted → dispatched → acked → applied. */
export function followSteps(r: CommandRecord): Step[] {
  const steps: Step[] = [];
  const failedOutcome = r.outcome !== undefined && r.outcome !== 'applied';
  if (
    r.risk === 'high' ||
    r.approvedAtMs !== undefined ||
    r.status === 'pending_approval' ||
    r.status === 'approval_rejected'
  ) {
    steps.push({
      label:
        r.status === 'approval_rejected'
          ? `Approval rejected by ${r.rejectedBy ?? 'a reviewer'}`
          : r.approvedBy
            ? `Approved by ${r.approvedBy}`
            : 'Waiting for approval',
      state:
        r.status === 'approval_rejected'
          ? 'failed'
          : r.approvedAtMs !== undefined
            ? 'done'
            : r.status === 'pending_approval'
              ? 'current'
              : 'done',
      atMs: r.approvedAtMs ?? r.rejectedAtMs,
    });
  }
  const reached = (at: number | undefined) => at !== undefined;
  const accepted = !['refused', 'pending_approval', 'approval_rejected'].includes(r.status);
  steps.push({
    label: 'Accepted',
    state: accepted ? 'done' : r.status === 'refused' ? 'failed' : 'todo',
    atMs: accepted ? (r.approvedAtMs ?? r.submittedAtMs) : undefined,
  });
  steps.push({
    label: 'Dispatched',
    state: reached(r.dispatchedAtMs)
      ? 'done'
      : accepted && !failedOutcome
        ? 'current'
        : failedOutcome
          ? 'failed'
          : 'todo',
    atMs: r.dispatchedAtMs,
  });
  steps.push({
    label: 'Acked by the device',
    state: reached(r.ackedAtMs)
      ? 'done'
      : reached(r.dispatchedAtMs) && !failedOutcome
        ? 'current'
        : failedOutcome && reached(r.dispatchedAtMs)
          ? 'failed'
          : 'todo',
    atMs: r.ackedAtMs,
  });
  steps.push({
    label: 'Applied (the asset reports the commanded value)',
    state:
      r.outcome === 'applied' || r.status === 'applied'
        ? 'done'
        : failedOutcome && reached(r.ackedAtMs)
          ? 'failed'
          : reached(r.ackedAtMs)
            ? 'current'
            : 'todo',
    atMs: r.outcome === 'applied' ? r.outcomeAtMs : undefined,
  });
  return steps;
}

const getStyles = (theme: GrafanaTheme2) => ({
  steps: css({ listStyle: 'none', padding: 0, margin: theme.spacing(1, 0) }),
  step: css({ display: 'flex', gap: theme.spacing(1), padding: theme.spacing(0.5, 0) }),
  done: css({ color: theme.colors.success.text }),
  current: css({ color: theme.colors.info.text }),
  todo: css({ color: theme.colors.text.disabled }),
  failed: css({ color: theme.colors.error.text }),
  visuallyHidden: css({
    position: 'absolute',
    width: 1,
    height: 1,
    overflow: 'hidden',
    clipPath: 'inset(50%)',
    whiteSpace: 'nowrap',
  }),
});

const icons: Record<StepState, 'check' | 'fa fa-spinner' | 'circle' | 'times'> = {
  done: 'check',
  current: 'fa fa-spinner',
  todo: 'circle',
  failed: 'times',
};

/** Polls GET /api/v1/commands/:id until the command's fate is final, and shows the steps. */
export function CommandFollow({ initial, pollMs = 1_000 }: { initial: CommandRecord; pollMs?: number }) {
  const { client, links } = useTwinServices();
  const s = useStyles2(getStyles);
  const [record, setRecord] = useState(initial);
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    if (isFinal(record)) {
      return;
    }
    let alive = true;
    const timer = setTimeout(() => {
      client.getCommand(record.id).then(
        (next) => {
          if (alive) {
            setError(undefined);
            setRecord(next);
          }
        },
        (e: unknown) => {
          if (alive) {
            setError(e);
            // Keep polling: a blip of the proxy is not the command's fate.
            setRecord((r) => ({ ...r }));
          }
        }
      );
    }, pollMs);
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, [client, record, pollMs]);

  const final = isFinal(record);
  return (
    <div data-testid={testIds.composer.follow} aria-live="polite">
      <div>
        Command <code>{record.id}</code> · <CommandStatusBadge record={record} />{' '}
        <AppLink href={links.audit(record.id)}>audit trail</AppLink>
      </div>
      <ol className={s.steps} aria-label="Command progress">
        {followSteps(record).map((step) => (
          <li key={step.label} className={`${s.step} ${s[step.state]}`} data-state={step.state}>
            <Icon name={icons[step.state] as never} aria-hidden />
            <span>
              {step.label}
              {step.atMs !== undefined && ` · ${formatTime(step.atMs)}`}
              <span className={s.visuallyHidden}>{` (${step.state})`}</span>
            </span>
          </li>
        ))}
      </ol>
      {final && (
        <div data-testid={testIds.composer.result}>
          <Alert
            severity={
              record.outcome === 'applied' || record.status === 'applied'
                ? 'success'
                : record.outcome === 'acked'
                  ? 'info'
                  : 'error'
            }
            title={`Final: ${(record.outcome ?? record.status).replace(/_/g, ' ')}`}
          >
            {record.outcomeMessage ??
              (record.status === 'approval_rejected' ? `${record.rejectedBy}: ${record.rejectionReason}` : undefined) ??
              record.verdicts.find((v) => !v.pass)?.message ??
              ''}
          </Alert>
        </div>
      )}
      {error !== undefined && !final && (
        <p role="status">Could not refresh the command: {describeError(error).message}; retrying.</p>
      )}
    </div>
  );
}
