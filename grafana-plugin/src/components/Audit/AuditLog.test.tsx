import React from 'react';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { AuditLog } from './AuditLog';
import { FakeExporter, NOW } from '../../testing/fakeExporter';
import { renderWith } from '../../testing/render';
import { testIds } from '../testIds';
import type { AuditEntry } from '../../api/types';

function entries(n: number, start = 1): AuditEntry[] {
  return Array.from({ length: n }, (_, i) => ({
    seq: start + i,
    atMs: NOW + i * 1000,
    actor: i % 3 === 0 ? 'alice' : 'system',
    action: i % 3 === 0 ? 'command.accepted' : 'command.dispatched',
    commandId: `cmd-${start + i}`,
    assetId: `belt-${(start + i) % 4}`,
    details: { note: `n${start + i}` },
    prevHash: 'a'.repeat(64),
    hash: 'b'.repeat(64),
  }));
}

describe('AuditLog', () => {
  it('shows a verified chain, searches the page, and pages forward by seq', async () => {
    const user = userEvent.setup();
    const fake = new FakeExporter()
      .on('GET', '/api/v1/audit/verify', { ok: true, entries: 130 })
      .on('GET', '/api/v1/audit', ({ query }) => ({
        status: 200,
        body: Number(query.get('after')) === 100 ? entries(30, 101) : entries(100, 1),
      }));
    renderWith(<AuditLog />, fake.client());
    expect(await screen.findByText('Hash chain verified')).toBeInTheDocument();
    expect(screen.getByText('130 entries, each linked to the one before.')).toBeInTheDocument();
    expect(await screen.findAllByTestId(testIds.audit.row)).toHaveLength(100);

    await user.type(screen.getByLabelText(/^Search/), 'alice');
    const rows = screen.getAllByTestId(testIds.audit.row);
    expect(rows).toHaveLength(34);
    for (const row of rows) {
      expect(within(row).getByText('alice')).toBeInTheDocument();
    }
    await user.clear(screen.getByLabelText(/^Search/));

    await user.click(screen.getByRole('button', { name: 'Next' }));
    expect(await screen.findByText('130')).toBeInTheDocument();
    expect(screen.getAllByTestId(testIds.audit.row)).toHaveLength(30);
    expect(fake.calls('GET', '/api/v1/audit').at(-1)!.query.get('after')).toBe('100');
    expect(screen.getByRole('button', { name: 'Next' })).toBeDisabled();
  });

  it('names the first bad row when the chain is broken', async () => {
    const fake = new FakeExporter()
      .on('GET', '/api/v1/audit/verify', { ok: false, seq: 42, reason: 'row 42 hash does not match its contents' })
      .on('GET', '/api/v1/audit', entries(3));
    renderWith(<AuditLog />, fake.client());
    expect(await screen.findByText('Audit chain broken at row 42')).toBeInTheDocument();
    expect(screen.getByText(/row 42 hash does not match its contents/)).toBeInTheDocument();
  });

  it('asks the server for one command’s entries', async () => {
    const fake = new FakeExporter()
      .on('GET', '/api/v1/audit/verify', { ok: true, entries: 3 })
      .on('GET', '/api/v1/audit', entries(3));
    renderWith(<AuditLog initialCommand="cmd-2" />, fake.client());
    await screen.findAllByTestId(testIds.audit.row);
    expect(fake.calls('GET', '/api/v1/audit')[0].query.get('command')).toBe('cmd-2');
  });
});
