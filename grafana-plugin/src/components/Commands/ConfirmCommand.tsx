import React, { useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Alert, Badge, Button, Field, Input, Modal, useStyles2 } from '@grafana/ui';
import type { AssetView, CommandSpec, Decision, Risk } from '../../api/types';
import { formatAge, formatValue } from '../common/format';
import { getTableStyles } from '../common/styles';
import { testIds } from '../testIds';

export interface ConfirmCommandProps {
  asset: AssetView;
  name: string;
  spec: CommandSpec;
  params: Record<string, unknown>;
  reason: string;
  decision?: Decision;
  submitting: boolean;
  onConfirm: () => void;
  onDismiss: () => void;
}

const riskColor: Record<Risk, 'green' | 'orange' | 'red'> = { low: 'green', medium: 'orange', high: 'red' };

export function RiskBadge({ risk }: { risk: Risk }) {
  return <Badge color={riskColor[risk]} text={`${risk} risk`} />;
}

const getStyles = (theme: GrafanaTheme2) => ({
  changed: css({ fontWeight: theme.typography.fontWeightBold, color: theme.colors.text.maxContrast }),
});

/** High risk asks for the asset id typed out: a deliberate act, not a reflex click. */
export function needsTypedConfirmation(risk: Risk): boolean {
  return risk === 'high';
}

/**
 * Current vs commanded, side by side, before anything is sent. The current value is the asset's
 * reported (physical) value, the one the safety envelope's max step is measured from.
 */
export function ConfirmCommand({
  asset,
  name,
  spec,
  params,
  reason,
  decision,
  submitting,
  onConfirm,
  onDismiss,
}: ConfirmCommandProps) {
  const t = useStyles2(getTableStyles);
  const s = useStyles2(getStyles);
  const [typed, setTyped] = useState('');
  const typedRequired = needsTypedConfirmation(spec.risk);
  const confirmed = !typedRequired || typed.trim() === asset.id;
  const target = asset.properties.find((p) => p.property === spec.sets.property);
  const others = Object.entries(params).filter(([k]) => k !== spec.sets.param);

  return (
    <Modal title={`Confirm ${name} on ${asset.id}`} isOpen onDismiss={onDismiss}>
      <div data-testid={testIds.composer.confirm}>
        <div>
          <RiskBadge risk={spec.risk} /> {spec.description}
        </div>
        <table className={t.table} aria-label="Current and commanded values">
          <thead>
            <tr>
              <th scope="col">Property</th>
              <th scope="col">Current (physical)</th>
              <th scope="col">Twin</th>
              <th scope="col">Commanded</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row">{spec.sets.property}</th>
              <td>
                {target?.physical
                  ? `${formatValue(target.physical.value)} (${formatAge(target.physical.ageMs)} old)`
                  : 'no value'}
              </td>
              <td>{target?.twin ? formatValue(target.twin.value) : 'no value'}</td>
              <td className={s.changed}>{formatValue(params[spec.sets.param])}</td>
            </tr>
          </tbody>
        </table>
        {others.length > 0 && <p>Other parameters: {others.map(([k, v]) => `${k} = ${formatValue(v)}`).join(', ')}</p>}
        <p>
          Reason (goes to the audit log): <em>{reason}</em>
        </p>
        {decision === 'pending_approval' && (
          <Alert severity="info" title="Needs a second person">
            This command will wait for approval by someone else before it is sent.
          </Alert>
        )}
        {typedRequired && (
          <Field
            label={`Type the asset id (${asset.id}) to confirm`}
            description="High-risk command: typing the id makes sure it goes to the asset you mean."
          >
            <Input
              id="confirm-asset-id"
              value={typed}
              autoComplete="off"
              onChange={(e) => setTyped(e.currentTarget.value)}
            />
          </Field>
        )}
      </div>
      <Modal.ButtonRow>
        <Button variant="secondary" fill="outline" onClick={onDismiss}>
          Cancel
        </Button>
        <Button
          variant={spec.risk === 'high' ? 'destructive' : 'primary'}
          disabled={!confirmed || submitting}
          onClick={onConfirm}
        >
          {submitting ? 'Sending…' : decision === 'pending_approval' ? 'Submit for approval' : 'Send command'}
        </Button>
      </Modal.ButtonRow>
    </Modal>
  );
}
