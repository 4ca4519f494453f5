import React, { useState } from 'react';
import { Alert, Badge, Button, Field, Input, Stack, useStyles2 } from '@grafana/ui';
import { useTwinServices } from '../../api/context';
import { ErrorAlert, describeError } from '../common/ErrorAlert';
import { formatTime } from '../common/format';
import { getTableStyles } from '../common/styles';
import { useAsync } from '../common/useAsync';
import { testIds } from '../testIds';

/** The global and per-class kill switches; only admins may flip them (the exporter decides). */
export function KillSwitchPanel({ refreshMs = 10_000 }: { refreshMs?: number }) {
  const { client } = useTwinServices();
  const s = useStyles2(getTableStyles);
  const switches = useAsync(() => client.getKillSwitches(), [], refreshMs);
  const [assetClass, setAssetClass] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const engaged = (switches.value ?? []).filter((k) => k.engaged);

  const flip = async (engage: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      await client.setKillSwitch({
        ...(assetClass.trim() ? { assetClass: assetClass.trim() } : {}),
        engaged: engage,
        reason: reason.trim(),
      });
      setReason('');
      switches.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section data-testid={testIds.killSwitch.container} aria-labelledby="kill-switch-title" className={s.section}>
      <h3 id="kill-switch-title">Kill switch</h3>
      {switches.error !== undefined && <ErrorAlert title="Could not read the kill switches" error={switches.error} />}
      {switches.value && engaged.length === 0 && <Badge color="green" text="No kill switch engaged" />}
      {engaged.map((k) => (
        <Alert
          key={k.scope === 'global' ? 'global' : k.scope.assetClass}
          severity="error"
          title={
            k.scope === 'global' ? 'Global kill switch engaged' : `Kill switch engaged for class ${k.scope.assetClass}`
          }
        >
          by {k.actor} at {formatTime(k.changedAtMs)}: {k.reason}
        </Alert>
      ))}
      <Stack alignItems="flex-end" wrap="wrap">
        <Field label="Asset class" description="Empty: the global switch">
          <Input id="kill-switch-class" value={assetClass} onChange={(e) => setAssetClass(e.currentTarget.value)} />
        </Field>
        <Field label="Reason" required>
          <Input id="kill-switch-reason" value={reason} onChange={(e) => setReason(e.currentTarget.value)} />
        </Field>
        <Button
          variant="destructive"
          icon="power"
          disabled={busy || reason.trim().length < 3 || !client.capabilities.write}
          onClick={() => flip(true)}
        >
          Engage
        </Button>
        <Button
          variant="secondary"
          disabled={busy || reason.trim().length < 3 || !client.capabilities.write}
          onClick={() => flip(false)}
        >
          Release
        </Button>
      </Stack>
      {error !== undefined && (
        <Alert severity="error" title="Not changed">
          {describeError(error).message}
        </Alert>
      )}
    </section>
  );
}
