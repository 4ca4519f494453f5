import React, { useEffect, useMemo, useRef, useState } from 'react';
import { Alert, Button, Field, Input, RadioButtonGroup, Stack, useStyles2 } from '@grafana/ui';
import { newIdempotencyKey } from '../../api/client';
import { useTwinServices } from '../../api/context';
import type { CommandSpec, DryRunResult, SubmitResult } from '../../api/types';
import {
  initialValues,
  schemaToFields,
  validateForm,
  valuesFromParams,
  type FormField,
  type RawValues,
} from '../../schemaForm/schemaForm';
import { SchemaForm } from '../../schemaForm/SchemaForm';
import { ErrorAlert, describeError } from '../common/ErrorAlert';
import { formatValue } from '../common/format';
import { getTableStyles } from '../common/styles';
import { useAsync, useDebounced } from '../common/useAsync';
import { testIds } from '../testIds';
import { CommandFollow } from './CommandFollow';
import { ConfirmCommand, RiskBadge } from './ConfirmCommand';
import { GuardVerdicts, decisionText } from './GuardVerdicts';

/** Dry runs are audited too; this says in the log what they were. */
export const DRY_RUN_REASON = 'dry run: twinops UI preview';
const MIN_REASON = 3;

export interface CommandComposerProps {
  /** Preselected asset; with `fixed` it cannot be changed (the command panel). */
  assetId?: string;
  command?: string;
  presetParams?: Record<string, unknown>;
  fixed?: boolean;
  /** Delay after the last edit before the dry run, ms. */
  dryRunDelayMs?: number;
  /** Follow-up polling period, ms. */
  pollMs?: number;
}

type DryRunState =
  | { state: 'idle' }
  | { state: 'running' }
  | { state: 'done'; result: DryRunResult }
  | { state: 'error'; error: unknown };

function envelopeHint(spec: CommandSpec): string | undefined {
  const e = spec.envelope;
  if (!e) {
    return undefined;
  }
  const parts: string[] = [];
  if (e.min !== undefined || e.max !== undefined) {
    parts.push(`${spec.sets.property} between ${e.min ?? '−∞'} and ${e.max ?? '∞'}`);
  }
  if (e.maxStep !== undefined) {
    parts.push(`at most ${e.maxStep} from the current value in one command`);
  }
  for (const f of e.forbiddenStates ?? []) {
    parts.push(`not while ${f.property} is ${f.values.map(String).join(' or ')}`);
  }
  return parts.length > 0 ? `Safety envelope: ${parts.join('; ')}.` : undefined;
}

/**
 * Compose a guarded command from the asset class's catalog: a form generated from the parameter
 * schema, a live dry run showing every guard's verdict, a confirmation with current vs commanded
 * values (typed for high risk), then the command followed until its fate is known.
 */
export function CommandComposer({
  assetId: initialAsset = '',
  command: initialCommand,
  presetParams,
  fixed = false,
  dryRunDelayMs = 400,
  pollMs = 1_000,
}: CommandComposerProps) {
  const { client } = useTwinServices();
  const s = useStyles2(getTableStyles);
  const [assetInput, setAssetInput] = useState(initialAsset);
  const assetId = useDebounced(assetInput.trim(), fixed ? 0 : 400);
  const catalog = useAsync(() => client.getCatalog(), []);
  const asset = useAsync(() => (assetId ? client.getAsset(assetId) : Promise.resolve(undefined)), [assetId]);
  const [commandName, setCommandName] = useState<string | undefined>(initialCommand);
  // The form belongs to the fields it was made for: another command starts from its own defaults.
  const [form0, setForm] = useState<{ fields?: FormField[]; values: RawValues; touched: boolean }>({
    values: {},
    touched: false,
  });
  const [reason, setReason] = useState('');
  const [reasonTouched, setReasonTouched] = useState(false);
  const [dryRunOf, setDryRun] = useState<{ key: string; run: DryRunState }>({ key: '', run: { state: 'idle' } });
  const [confirming, setConfirming] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const [submitError, setSubmitError] = useState<unknown>();
  const [submitted, setSubmitted] = useState<SubmitResult | undefined>();
  const idempotencyKey = useRef<string>('');

  const view = asset.value;
  const commands = view ? catalog.value?.[view.assetClass] : undefined;
  const spec = commandName ? commands?.[commandName] : undefined;
  const fields = useMemo(() => (spec ? schemaToFields(spec.params) : []), [spec]);

  const startValues = () => (presetParams ? valuesFromParams(fields, presetParams) : initialValues(fields));
  const current = form0.fields === fields ? form0 : { fields, values: startValues(), touched: false };
  const values = current.values;
  const touched = current.touched;
  const setValues = (v: RawValues, touch = true) => setForm({ fields, values: v, touched: touch || touched });
  const setTouched = (touch: boolean) => setForm({ fields, values, touched: touch });

  const form = validateForm(fields, values);
  const reasonValid = reason.trim().length >= MIN_REASON;
  const expectedVersion = view?.versions?.reportedVersion ?? undefined;
  const dryRunKey =
    spec && view && form.valid ? JSON.stringify([view.id, commandName, form.params, expectedVersion]) : '';

  // Verdicts are shown only for the inputs they judged.
  const dryRun: DryRunState = dryRunKey !== '' && dryRunOf.key === dryRunKey ? dryRunOf.run : { state: 'idle' };

  useEffect(() => {
    if (!dryRunKey || !view || !commandName || !client.capabilities.write) {
      return;
    }
    let alive = true;
    const key = dryRunKey;
    const [, , params] = JSON.parse(key) as [string, string, Record<string, unknown>];
    const setRun = (run: DryRunState) => setDryRun({ key, run });
    const timer = setTimeout(() => {
      setRun({ state: 'running' });
      client
        .dryRun({
          idempotencyKey: newIdempotencyKey(),
          assetId: view.id,
          name: commandName,
          params,
          reason: DRY_RUN_REASON,
          ...(expectedVersion !== undefined ? { expectedVersion } : {}),
        })
        .then(
          (result) => alive && setRun({ state: 'done', result }),
          (error: unknown) => alive && setRun({ state: 'error', error })
        );
    }, dryRunDelayMs);
    return () => {
      alive = false;
      clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [dryRunKey, dryRunDelayMs, client]);

  const reset = () => {
    setSubmitted(undefined);
    setSubmitError(undefined);
    setReason('');
    setReasonTouched(false);
    setForm({ fields, values: startValues(), touched: false });
    asset.reload();
  };

  const openConfirmation = () => {
    setTouched(true);
    setReasonTouched(true);
    if (!form.valid || !reasonValid) {
      return;
    }
    // One key per confirmation: a double submit is answered as a duplicate, never sent twice.
    idempotencyKey.current = newIdempotencyKey();
    setSubmitError(undefined);
    setConfirming(true);
  };

  const send = async () => {
    if (!view || !commandName) {
      return;
    }
    setSubmitting(true);
    try {
      const result = await client.submit({
        idempotencyKey: idempotencyKey.current,
        assetId: view.id,
        name: commandName,
        params: form.params,
        reason: reason.trim(),
        ...(expectedVersion !== undefined ? { expectedVersion } : {}),
      });
      setSubmitted(result);
      setConfirming(false);
    } catch (error) {
      setSubmitError(error);
      setConfirming(false);
    } finally {
      setSubmitting(false);
    }
  };

  if (submitted && submitted.command.status !== 'refused') {
    return (
      <div data-testid={testIds.composer.container}>
        {submitted.duplicate && (
          <Alert severity="info" title="Already submitted">
            This confirmation was already recorded; nothing new was sent.
          </Alert>
        )}
        <CommandFollow initial={submitted.command} pollMs={pollMs} />
        <Button variant="secondary" onClick={reset}>
          New command
        </Button>
      </div>
    );
  }

  const decision = dryRun.state === 'done' ? dryRun.result.decision : undefined;
  const reviewBlocked = !client.capabilities.write
    ? (client.capabilities.writeBlockedReason ?? 'This connection cannot send commands.')
    : !spec
      ? 'Choose a command.'
      : !form.valid
        ? 'Fix the parameters first.'
        : !reasonValid
          ? `Give a reason (at least ${MIN_REASON} characters).`
          : dryRun.state === 'running' || dryRun.state === 'idle'
            ? 'Waiting for the dry run…'
            : dryRun.state === 'error'
              ? 'The dry run failed; see above.'
              : decision === 'refused'
                ? 'The guards refuse this command; change it or wait.'
                : undefined;

  return (
    <div data-testid={testIds.composer.container}>
      {!client.capabilities.write && (
        <Alert severity="info" title="Read only">
          {client.capabilities.writeBlockedReason}
        </Alert>
      )}
      {!fixed && (
        <Field label="Asset id" description="The asset to command" required>
          <Input
            id="composer-asset"
            value={assetInput}
            placeholder="belt-0042"
            onChange={(e) => setAssetInput(e.currentTarget.value)}
          />
        </Field>
      )}
      {asset.error !== undefined && <ErrorAlert title={`Could not load asset “${assetId}”`} error={asset.error} />}
      {catalog.error !== undefined && (
        <ErrorAlert title="Could not load the command catalog (GET /api/v1/catalog)" error={catalog.error} />
      )}
      {view && catalog.value && !commands && (
        <Alert severity="info" title="No commands">
          The catalog has no commands for asset class “{view.assetClass}”.
        </Alert>
      )}
      {view && commands && (
        <>
          <p>
            <strong>{view.id}</strong> · class {view.assetClass}
            {expectedVersion !== undefined && (
              <span className={s.muted}> · based on state version {expectedVersion}</span>
            )}
          </p>
          {fixed && initialCommand && !spec && (
            <Alert severity="warning" title="Unknown command">
              The catalog of class “{view.assetClass}” has no command “{initialCommand}”.
            </Alert>
          )}
          {!fixed && (
            <Field label="Command">
              <RadioButtonGroup
                options={Object.keys(commands).map((name) => ({
                  label: name,
                  value: name,
                  description: commands[name].description,
                }))}
                value={commandName}
                onChange={setCommandName}
              />
            </Field>
          )}
        </>
      )}
      {view && spec && commandName && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            openConfirmation();
          }}
          aria-label={`Parameters of ${commandName}`}
        >
          <div className={s.section}>
            <RiskBadge risk={spec.risk} /> {spec.description} <span className={s.muted}>{envelopeHint(spec)}</span>
          </div>
          <SchemaForm
            fields={fields}
            values={values}
            errors={form.errors}
            showErrors={touched}
            idPrefix={`cmd-${commandName}`}
            onChange={(v) => setValues(v)}
          />
          <Field
            label="Reason"
            description="Why: recorded in the audit log with the command"
            required
            invalid={reasonTouched && !reasonValid}
            error={reasonTouched && !reasonValid ? `Reason must be at least ${MIN_REASON} characters` : undefined}
          >
            <Input
              id="composer-reason"
              value={reason}
              maxLength={1024}
              onChange={(e) => setReason(e.currentTarget.value)}
              onBlur={() => setReasonTouched(true)}
            />
          </Field>

          <section aria-labelledby="dry-run-title" className={s.section}>
            <h4 id="dry-run-title">Dry run</h4>
            <div aria-live="polite">
              {dryRun.state === 'idle' && (
                <p className={s.muted}>
                  {form.valid ? 'Starting…' : 'Fill in valid parameters to see what the guards say.'}
                </p>
              )}
              {dryRun.state === 'running' && <p className={s.muted}>Asking the guards…</p>}
              {dryRun.state === 'error' && <ErrorAlert title="The dry run failed" error={dryRun.error} />}
              {dryRun.state === 'done' && (
                <>
                  <p data-testid={testIds.composer.decision} data-decision={dryRun.result.decision}>
                    {decisionText(dryRun.result.decision, dryRun.result.verdicts)}
                  </p>
                  <GuardVerdicts verdicts={dryRun.result.verdicts} title="Dry run verdicts" />
                </>
              )}
            </div>
          </section>

          {submitted && (
            <div data-testid={testIds.composer.result}>
              <Alert
                severity="error"
                title={`Refused (${submitted.command.verdicts.find((v) => !v.pass)?.code ?? submitted.httpStatus})`}
              >
                {submitted.command.verdicts.find((v) => !v.pass)?.message}
                {submitted.retryAfterSeconds !== undefined && ` Try again in ${submitted.retryAfterSeconds} s.`}
              </Alert>
              <GuardVerdicts verdicts={submitted.verdicts} title="Verdicts of the submission" />
            </div>
          )}
          {submitError !== undefined && (
            <div data-testid={testIds.composer.result}>
              <Alert severity="error" title="Not submitted">
                {describeError(submitError).message}
              </Alert>
            </div>
          )}

          <Stack alignItems="center">
            <Button
              type="submit"
              icon="bolt"
              disabled={reviewBlocked !== undefined}
              data-testid={testIds.composer.review}
            >
              Review and send…
            </Button>
            {reviewBlocked && <span className={s.muted}>{reviewBlocked}</span>}
          </Stack>
          {spec.sets.param in form.params && (
            <p className={s.muted}>
              Sets {spec.sets.property} to {formatValue(form.params[spec.sets.param])}.
            </p>
          )}
        </form>
      )}
      {confirming && view && spec && commandName && (
        <ConfirmCommand
          asset={view}
          name={commandName}
          spec={spec}
          params={form.params}
          reason={reason.trim()}
          decision={decision}
          submitting={submitting}
          onConfirm={send}
          onDismiss={() => setConfirming(false)}
        />
      )}
    </div>
  );
}
