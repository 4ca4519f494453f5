import React from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Icon, useStyles2 } from '@grafana/ui';
import { guardOrder, type Decision, type Verdict } from '../../api/types';
import { testIds } from '../testIds';

const guardLabels: Record<string, string> = {
  authentication: 'Authentication',
  authorization: 'Authorization',
  schema: 'Parameters',
  kill_switch: 'Kill switch',
  safety_envelope: 'Safety envelope',
  freshness: 'Freshness interlock',
  divergence: 'Divergence interlock',
  simulation: 'Simulation',
  precondition: 'Precondition (state version)',
  conflict: 'Conflict',
  rate_limit: 'Rate limit and cooldown',
  approval: 'Approval',
};

/** Verdicts in the architecture's guard order (unknown guards last, as they came). */
export function orderVerdicts(verdicts: Verdict[]): Verdict[] {
  const rank = (v: Verdict) => {
    const i = guardOrder.indexOf(v.guard);
    return i < 0 ? guardOrder.length : i;
  };
  return verdicts
    .map((v, i) => ({ v, i }))
    .sort((a, b) => rank(a.v) - rank(b.v) || a.i - b.i)
    .map(({ v }) => v);
}

/** A hold for approval is not a failure: it is the approval guard doing its job. */
export function verdictState(v: Verdict): 'pass' | 'hold' | 'fail' {
  if (v.pass) {
    return 'pass';
  }
  return v.code === 'approval_required' ? 'hold' : 'fail';
}

const getStyles = (theme: GrafanaTheme2) => ({
  list: css({ listStyle: 'none', padding: 0, margin: theme.spacing(1, 0) }),
  item: css({ display: 'flex', gap: theme.spacing(1), padding: theme.spacing(0.5, 0), alignItems: 'baseline' }),
  pass: css({ color: theme.colors.success.text }),
  hold: css({ color: theme.colors.warning.text }),
  fail: css({ color: theme.colors.error.text }),
  code: css({ fontFamily: theme.typography.fontFamilyMonospace, color: theme.colors.text.secondary }),
  message: css({ color: theme.colors.text.secondary }),
});

export function decisionText(decision: Decision, verdicts: Verdict[]): string {
  switch (decision) {
    case 'accepted':
      return 'Every guard passes: the command would be sent.';
    case 'pending_approval':
      return 'The guards pass; this risk needs a second person’s approval before it is sent.';
    default: {
      const first = orderVerdicts(verdicts).find((v) => verdictState(v) === 'fail');
      return first ? `Refused by ${guardLabels[first.guard] ?? first.guard}: ${first.message}` : 'Refused.';
    }
  }
}

export function GuardVerdicts({ verdicts, title = 'Guard verdicts' }: { verdicts: Verdict[]; title?: string }) {
  const s = useStyles2(getStyles);
  return (
    <ol className={s.list} aria-label={title} data-testid={testIds.composer.verdicts}>
      {orderVerdicts(verdicts).map((v, i) => {
        const state = verdictState(v);
        return (
          <li key={`${v.guard}-${i}`} className={s.item} data-testid={testIds.composer.verdict} data-state={state}>
            <Icon
              name={state === 'pass' ? 'check' : state === 'hold' ? 'clock-nine' : 'times'}
              className={s[state]}
              aria-hidden
            />
            <span className={s[state]}>
              {guardLabels[v.guard] ?? v.guard}: {state === 'pass' ? 'pass' : state === 'hold' ? 'hold' : 'fail'}
            </span>
            {v.code && <span className={s.code}>{v.code}</span>}
            <span className={s.message}>{v.message}</span>
          </li>
        );
      })}
    </ol>
  );
}
