import React from 'react';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { CommandComposer, DRY_RUN_REASON } from './CommandComposer';
import { followSteps } from './CommandFollow';
import { orderVerdicts } from './GuardVerdicts';
import { FakeExporter, assetView, catalog, command, property, NOW } from '../../testing/fakeExporter';
import { renderWith } from '../../testing/render';
import { testIds } from '../testIds';
import type { CommandRecord, Verdict } from '../../api/types';

const pass = (guard: Verdict['guard'], message = 'ok'): Verdict => ({ guard, pass: true, message });

const belt = assetView('belt-1', {
  properties: [
    property('speed', { physical: { value: 1.2, sourceTimeMs: NOW - 2_000, receivedMs: NOW - 1_900, ageMs: 2_000 } }),
    property('mode', { physical: { value: 'run', sourceTimeMs: NOW - 2_000, receivedMs: NOW - 1_900, ageMs: 2_000 } }),
  ],
});

/** Dry runs judge mps like the exporter's envelope would: above 1.7 is more than maxStep 0.5 from 1.2. */
function exporter() {
  return new FakeExporter()
    .on('GET', '/api/v1/catalog', catalog)
    .on('GET', '/api/v1/assets/belt-1', belt)
    .on('POST', '/api/v1/commands', ({ body }) => {
      const request = body as { params: { mps?: number; mode?: string }; name: string; dryRun?: boolean };
      const step = request.params.mps !== undefined && Math.abs(request.params.mps - 1.2) > 0.5;
      const verdicts: Verdict[] = [
        // deliberately out of order: the UI orders by the architecture's chain
        step
          ? {
              guard: 'safety_envelope',
              pass: false,
              code: 'step_too_large',
              message: `mps ${request.params.mps} is more than 0.5 from 1.2`,
            }
          : pass('safety_envelope', 'within 0..3, step ≤ 0.5'),
        pass('authentication', 'alice via grafana-proxy'),
        pass('authorization', 'alice may submit medium-risk commands as operator'),
        pass('schema'),
        request.name === 'purge'
          ? {
              guard: 'approval',
              pass: false,
              code: 'approval_required',
              message: 'high risk: a second person must approve',
            }
          : pass('approval', 'not needed'),
      ];
      const decision = step ? 'refused' : request.name === 'purge' ? 'pending_approval' : 'accepted';
      if (request.dryRun) {
        return { status: 200, body: { dryRun: true, decision, verdicts } };
      }
      const record = command('cmd-1', {
        name: request.name,
        params: request.params,
        status: decision,
        verdicts,
        risk: request.name === 'purge' ? 'high' : 'medium',
      });
      return {
        status: decision === 'accepted' ? 200 : decision === 'pending_approval' ? 202 : 422,
        body: { command: record, verdicts, duplicate: false },
      };
    });
}

async function chooseAndFill(user: ReturnType<typeof userEvent.setup>, mps: string) {
  await user.click(await screen.findByLabelText('setSpeed'));
  const input = await screen.findByLabelText(/^Mps/);
  await user.clear(input);
  await user.type(input, mps);
}

describe('orderVerdicts', () => {
  it('puts verdicts in the guard chain order', () => {
    const ordered = orderVerdicts([pass('approval'), pass('schema'), pass('authentication')]).map((v) => v.guard);
    expect(ordered).toEqual(['authentication', 'schema', 'approval']);
  });
});

describe('CommandComposer', () => {
  it('generates the form from the catalog schema and validates it before any dry run', async () => {
    const user = userEvent.setup();
    const fake = exporter();
    renderWith(<CommandComposer assetId="belt-1" dryRunDelayMs={0} />, fake.client());
    await user.click(await screen.findByLabelText('setSpeed'));
    const input = screen.getByLabelText(/^Mps/);
    expect(input).toHaveAttribute('type', 'number');
    expect(input).toHaveAttribute('min', '0');
    expect(input).toHaveAttribute('max', '3');
    expect(input).toBeRequired();
    await user.type(input, '7');
    expect(await screen.findByText('Mps must be at most 3')).toBeInTheDocument();
    expect(fake.calls('POST', '/api/v1/commands')).toHaveLength(0);
    expect(screen.getByTestId(testIds.composer.review)).toBeDisabled();
  });

  it('shows each guard’s verdict of a live dry run, in chain order, and blocks review when refused', async () => {
    const user = userEvent.setup();
    const fake = exporter();
    renderWith(<CommandComposer assetId="belt-1" dryRunDelayMs={0} />, fake.client());
    await chooseAndFill(user, '2.5');

    await waitFor(() =>
      expect(screen.getByTestId(testIds.composer.decision)).toHaveAttribute('data-decision', 'refused')
    );
    expect(screen.getByTestId(testIds.composer.decision)).toHaveTextContent(
      'Refused by Safety envelope: mps 2.5 is more than 0.5 from 1.2'
    );
    const verdicts = within(screen.getByRole('list', { name: 'Dry run verdicts' })).getAllByRole('listitem');
    expect(verdicts.map((v) => v.getAttribute('data-state'))).toEqual(['pass', 'pass', 'pass', 'fail', 'pass']);
    expect(verdicts[0]).toHaveTextContent('Authentication: pass');
    expect(verdicts[3]).toHaveTextContent('Safety envelope: fail');
    expect(verdicts[3]).toHaveTextContent('step_too_large');

    const dryRuns = fake.calls('POST', '/api/v1/commands');
    const last = dryRuns.at(-1)!.body as Record<string, unknown>;
    expect(last).toMatchObject({
      assetId: 'belt-1',
      name: 'setSpeed',
      params: { mps: 2.5 },
      dryRun: true,
      reason: DRY_RUN_REASON,
      expectedVersion: 7,
    });

    await user.type(screen.getByLabelText(/^Reason/), 'line speed-up');
    expect(screen.getByTestId(testIds.composer.review)).toBeDisabled();
    expect(screen.getByText('The guards refuse this command; change it or wait.')).toBeInTheDocument();

    // Within the step: the guards pass, review opens.
    const input = screen.getByLabelText(/^Mps/);
    await user.clear(input);
    await user.type(input, '1.5');
    await waitFor(() =>
      expect(screen.getByTestId(testIds.composer.decision)).toHaveAttribute('data-decision', 'accepted')
    );
    expect(screen.getByTestId(testIds.composer.review)).toBeEnabled();
  });

  it('confirms with current vs commanded values, sends once, and follows dispatched → acked → applied', async () => {
    const user = userEvent.setup();
    const fake = exporter();
    const states: Array<Partial<CommandRecord>> = [
      { status: 'dispatched', dispatchedAtMs: NOW + 100 },
      { status: 'acked', dispatchedAtMs: NOW + 100, ackedAtMs: NOW + 300 },
      {
        status: 'applied',
        dispatchedAtMs: NOW + 100,
        ackedAtMs: NOW + 300,
        outcome: 'applied',
        outcomeAtMs: NOW + 900,
        outcomeMessage: 'speed reported 1.5',
      },
    ];
    let polls = 0;
    fake.on('GET', '/api/v1/commands/cmd-1', () => ({
      status: 200,
      body: command('cmd-1', { params: { mps: 1.5 }, ...states[Math.min(polls++, states.length - 1)] }),
    }));
    renderWith(<CommandComposer assetId="belt-1" dryRunDelayMs={0} pollMs={10} />, fake.client());
    await chooseAndFill(user, '1.5');
    await user.type(screen.getByLabelText(/^Reason/), 'line speed-up');
    await waitFor(() => expect(screen.getByTestId(testIds.composer.review)).toBeEnabled());
    await user.click(screen.getByTestId(testIds.composer.review));

    const dialog = await screen.findByRole('dialog');
    const table = within(dialog).getByRole('table', { name: 'Current and commanded values' });
    const cells = within(table)
      .getAllByRole('cell')
      .map((c) => c.textContent);
    expect(cells).toEqual(['1.2 (2 s old)', '1.2', '1.5']);
    expect(within(dialog).getByText('line speed-up')).toBeInTheDocument();
    expect(within(dialog).queryByLabelText(/Type the asset id/)).not.toBeInTheDocument();
    await user.click(within(dialog).getByRole('button', { name: 'Send command' }));

    const follow = await screen.findByTestId(testIds.composer.follow);
    const submits = fake.calls('POST', '/api/v1/commands').filter((r) => !(r.body as { dryRun?: boolean }).dryRun);
    expect(submits).toHaveLength(1);
    expect(submits[0].body).toMatchObject({
      assetId: 'belt-1',
      name: 'setSpeed',
      params: { mps: 1.5 },
      reason: 'line speed-up',
      expectedVersion: 7,
    });
    expect((submits[0].body as { idempotencyKey: string }).idempotencyKey).toMatch(/^[A-Za-z0-9._:-]{8,128}$/);

    expect(await within(follow).findByText('Final: applied')).toBeInTheDocument();
    const steps = within(within(follow).getByRole('list', { name: 'Command progress' })).getAllByRole('listitem');
    expect(steps.map((s) => s.getAttribute('data-state'))).toEqual(['done', 'done', 'done', 'done']);
    expect(within(follow).getByText('speed reported 1.5')).toBeInTheDocument();
    const pollsAtEnd = polls;
    await act(() => new Promise((r) => setTimeout(r, 50)));
    expect(polls).toBe(pollsAtEnd); // stops polling once final
  });

  it('asks a high-risk command to be confirmed by typing the asset id, then waits for approval', async () => {
    const user = userEvent.setup();
    const fake = exporter();
    fake.on('GET', '/api/v1/commands/cmd-1', () => ({
      status: 200,
      body: command('cmd-1', { name: 'purge', risk: 'high', status: 'pending_approval' }),
    }));
    renderWith(<CommandComposer assetId="belt-1" dryRunDelayMs={0} pollMs={20} />, fake.client());
    await user.click(await screen.findByLabelText('purge'));
    // enum → select
    const select = screen.getByLabelText(/^Mode/);
    await user.click(select);
    await user.click(await screen.findByText('hard'));
    await user.type(screen.getByLabelText(/^Reason/), 'clogged');
    await waitFor(() =>
      expect(screen.getByTestId(testIds.composer.decision)).toHaveAttribute('data-decision', 'pending_approval')
    );
    const approval = within(screen.getByRole('list', { name: 'Dry run verdicts' }))
      .getAllByRole('listitem')
      .at(-1)!;
    expect(approval).toHaveAttribute('data-state', 'hold');
    await user.click(screen.getByTestId(testIds.composer.review));

    const dialog = await screen.findByRole('dialog');
    const send = within(dialog).getByRole('button', { name: 'Submit for approval' });
    expect(send).toBeDisabled();
    await user.type(within(dialog).getByLabelText(/Type the asset id \(belt-1\) to confirm/), 'belt-2');
    expect(send).toBeDisabled();
    await user.clear(within(dialog).getByLabelText(/Type the asset id/));
    await user.type(within(dialog).getByLabelText(/Type the asset id/), 'belt-1');
    expect(send).toBeEnabled();
    await user.click(send);

    const follow = await screen.findByTestId(testIds.composer.follow);
    const steps = within(follow).getAllByRole('listitem');
    expect(steps[0]).toHaveTextContent('Waiting for approval');
    expect(steps[0]).toHaveAttribute('data-state', 'current');
    const submit = fake.calls('POST', '/api/v1/commands').find((r) => !(r.body as { dryRun?: boolean }).dryRun)!;
    expect(submit.body).toMatchObject({ name: 'purge', params: { mode: 'hard' } });
  });

  it('shows a refusal of the real submission with its code, and keeps the form', async () => {
    const user = userEvent.setup();
    const fake = exporter();
    const refusal: Verdict = {
      guard: 'rate_limit',
      pass: false,
      code: 'cooldown',
      message: 'setSpeed on belt-1 again in 8 s',
      retryAfterMs: 8_000,
    };
    fake.on('POST', '/api/v1/commands', ({ body }) =>
      (body as { dryRun?: boolean }).dryRun
        ? { status: 200, body: { dryRun: true, decision: 'accepted', verdicts: [pass('authentication')] } }
        : {
            status: 429,
            headers: { 'retry-after': '8' },
            body: {
              command: command('cmd-2', { status: 'refused', verdicts: [pass('authentication'), refusal] }),
              verdicts: [pass('authentication'), refusal],
              duplicate: false,
            },
          }
    );
    renderWith(<CommandComposer assetId="belt-1" dryRunDelayMs={0} />, fake.client());
    await chooseAndFill(user, '1.4');
    await user.type(screen.getByLabelText(/^Reason/), 'again');
    await waitFor(() => expect(screen.getByTestId(testIds.composer.review)).toBeEnabled());
    await user.click(screen.getByTestId(testIds.composer.review));
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Send command' }));
    const result = await screen.findByTestId(testIds.composer.result);
    expect(result).toHaveTextContent('Refused (cooldown)');
    expect(result).toHaveTextContent('setSpeed on belt-1 again in 8 s Try again in 8 s.');
    expect(screen.getByLabelText(/^Mps/)).toHaveValue(1.4);
  });

  it('is read-only, with the reason, when the connection cannot send commands', async () => {
    const fake = exporter();
    renderWith(
      <CommandComposer assetId="belt-1" dryRunDelayMs={0} />,
      fake.client({
        write: false,
        writeBlockedReason: 'Your Grafana role (Viewer) cannot send commands: Editor or Admin is needed.',
      })
    );
    expect(
      await screen.findByText('Your Grafana role (Viewer) cannot send commands: Editor or Admin is needed.')
    ).toBeInTheDocument();
    await userEvent.click(await screen.findByLabelText('setSpeed'));
    await userEvent.type(screen.getByLabelText(/^Mps/), '1.5');
    expect(screen.getByTestId(testIds.composer.review)).toBeDisabled();
    expect(fake.calls('POST', '/api/v1/commands')).toHaveLength(0);
  });
});

describe('followSteps', () => {
  it('marks the step where a command failed', () => {
    const timedOut = followSteps(command('c', { status: 'timed_out', outcome: 'timed_out', dispatchedAtMs: NOW }));
    expect(timedOut.map((s) => s.state)).toEqual(['done', 'done', 'failed', 'todo']);
    const diverged = followSteps(
      command('c', { status: 'diverged_after_ack', outcome: 'diverged_after_ack', dispatchedAtMs: NOW, ackedAtMs: NOW })
    );
    expect(diverged.map((s) => s.state)).toEqual(['done', 'done', 'done', 'failed']);
  });
});
