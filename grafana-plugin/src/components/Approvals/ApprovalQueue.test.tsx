import React from 'react';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApprovalQueue } from './ApprovalQueue';
import { KillSwitchPanel } from './KillSwitch';
import { FakeExporter, NOW, command } from '../../testing/fakeExporter';
import { renderWith } from '../../testing/render';
import { testIds } from '../testIds';

const held = command('cmd-9', {
  name: 'purge',
  risk: 'high',
  status: 'pending_approval',
  user: 'alice',
  params: { mode: 'hard' },
  reason: 'clogged',
  submittedAtMs: NOW - 120_000,
});

describe('ApprovalQueue', () => {
  it('lists pending commands and shows the server’s refusal of a self-approval', async () => {
    const user = userEvent.setup();
    const fake = new FakeExporter()
      .on('GET', '/api/v1/commands', [held])
      .on('POST', '/api/v1/commands/cmd-9/approve', () => ({
        status: 403,
        body: {
          error: 'alice submitted this command and may not approve it: a second person must',
          code: 'self_approval',
        },
      }));
    renderWith(<ApprovalQueue refreshMs={0} />, fake.client());
    const row = await screen.findByTestId(testIds.approvals.row);
    expect(row).toHaveTextContent('2 min');
    expect(row).toHaveTextContent('mode=hard');
    expect(row).toHaveTextContent('high risk');
    expect(fake.calls('GET', '/api/v1/commands')[0].query.get('status')).toBe('pending_approval');

    await user.click(within(row).getByRole('button', { name: 'Approve purge on belt-1 by alice' }));
    const dialog = await screen.findByRole('dialog');
    const approve = within(dialog).getByRole('button', { name: 'Approve' });
    expect(approve).toBeDisabled();
    await user.type(within(dialog).getByLabelText(/^Reason/), 'looks right');
    await user.click(approve);
    expect(await within(dialog).findByText('Not approved (self_approval)')).toBeInTheDocument();
    expect(
      within(dialog).getByText('alice submitted this command and may not approve it: a second person must')
    ).toBeInTheDocument();
    expect(fake.calls('POST', '/api/v1/commands/cmd-9/approve')[0].body).toEqual({ reason: 'looks right' });
  });

  it('rejects with a reason and reloads the queue', async () => {
    const user = userEvent.setup();
    let queue = [held];
    const fake = new FakeExporter()
      .on('GET', '/api/v1/commands', () => ({ status: 200, body: queue }))
      .on('POST', '/api/v1/commands/cmd-9/reject', () => {
        queue = [];
        return { status: 200, body: { command: { ...held, status: 'approval_rejected', rejectedBy: 'bob' } } };
      });
    renderWith(<ApprovalQueue refreshMs={0} />, fake.client());
    await user.click(await screen.findByRole('button', { name: /^Reject purge/ }));
    const dialog = await screen.findByRole('dialog');
    await user.type(within(dialog).getByLabelText(/^Reason/), 'not during shift change');
    await user.click(within(dialog).getByRole('button', { name: 'Reject' }));
    expect(await screen.findByText('purge on belt-1 rejected.')).toBeInTheDocument();
    expect(await screen.findByText('Nothing waits for approval.')).toBeInTheDocument();
    expect(fake.calls('POST', '/api/v1/commands/cmd-9/reject')[0].body).toEqual({ reason: 'not during shift change' });
  });

  it('disables review when the connection is read only', async () => {
    const fake = new FakeExporter().on('GET', '/api/v1/commands', [held]);
    renderWith(
      <ApprovalQueue refreshMs={0} />,
      fake.client({ write: false, writeBlockedReason: 'Commands need the proxy secret.' })
    );
    const row = await screen.findByTestId(testIds.approvals.row);
    expect(within(row).getByRole('button', { name: /^Approve/ })).toBeDisabled();
    expect(screen.getByText('Commands need the proxy secret.')).toBeInTheDocument();
  });
});

describe('KillSwitchPanel', () => {
  it('shows engaged switches and engages one for a class with a reason', async () => {
    const user = userEvent.setup();
    let switches = [{ scope: 'global', engaged: false, actor: 'root', reason: 'test over', changedAtMs: NOW }];
    const fake = new FakeExporter()
      .on('GET', '/api/v1/kill-switch', () => ({ status: 200, body: switches }))
      .on('PUT', '/api/v1/kill-switch', ({ body }) => {
        const b = body as { assetClass: string; reason: string };
        switches = [
          ...switches,
          {
            scope: { assetClass: b.assetClass } as never,
            engaged: true,
            actor: 'root',
            reason: b.reason,
            changedAtMs: NOW,
          },
        ];
        return { status: 200, body: switches.at(-1) };
      });
    renderWith(<KillSwitchPanel refreshMs={0} />, fake.client());
    expect(await screen.findByText('No kill switch engaged')).toBeInTheDocument();
    await user.type(screen.getByLabelText(/^Asset class/), 'conveyor');
    await user.type(screen.getByLabelText(/^Reason/), 'belt fire drill');
    await user.click(screen.getByRole('button', { name: 'Engage' }));
    expect(await screen.findByText('Kill switch engaged for class conveyor')).toBeInTheDocument();
    expect(fake.calls('PUT', '/api/v1/kill-switch')[0].body).toEqual({
      assetClass: 'conveyor',
      engaged: true,
      reason: 'belt fire drill',
    });
    await waitFor(() => expect(screen.getByLabelText(/^Reason/)).toHaveValue(''));
  });
});
