import { describe, expect, it } from 'vitest';
import { guardOrder } from './guards.js';
import { runGuardChain } from './chain.js';
import { bob, guardContext } from '../../../test/commands/guards/fixtures.js';

const highRisk = { request: { name: 'setPressure', params: { bar: 5 } } };

describe('runGuardChain', () => {
  it('accepts when every guard passes, having run all of them in order', () => {
    const { verdicts, decision } = runGuardChain(guardContext(), { dryRun: false });
    expect(decision).toBe('accept');
    expect(verdicts.map((v) => v.guard)).toEqual(guardOrder);
    expect(verdicts.every((v) => v.pass)).toBe(true);
  });

  it('stops at the first refusal on a real submission', () => {
    // Out of bounds (safety envelope) and diverged (later) at once: only the first is reported.
    const ctx = guardContext({ request: { params: { value: 1600 } }, asset: { diverged: true } });
    const { verdicts, decision } = runGuardChain(ctx, { dryRun: false });
    expect(decision).toBe('refuse');
    expect(verdicts.map((v) => v.guard)).toEqual([
      'authentication',
      'authorization',
      'schema',
      'kill_switch',
      'safety_envelope',
    ]);
    expect(verdicts.at(-1)).toMatchObject({ pass: false, code: 'out_of_bounds' });
  });

  it('returns every verdict in a dry run, each refusal with its code', () => {
    const ctx = guardContext({
      request: { params: { value: 1600 }, expectedVersion: 3 },
      asset: { diverged: true },
      killSwitch: { global: true, classes: [] },
    });
    const { verdicts, decision } = runGuardChain(ctx, { dryRun: true });
    expect(decision).toBe('refuse');
    expect(verdicts.map((v) => v.guard)).toEqual(guardOrder);
    const codes = Object.fromEntries(verdicts.map((v) => [v.guard, v.code]));
    expect(codes).toEqual({
      authentication: undefined,
      authorization: undefined,
      schema: undefined,
      kill_switch: 'kill_switch_engaged',
      safety_envelope: 'out_of_bounds',
      freshness: undefined,
      divergence: 'diverged_twin',
      simulation: 'simulation_out_of_envelope',
      precondition: 'version_mismatch',
      conflict: undefined,
      rate_limit: undefined,
      approval: undefined,
    });
  });

  it('refuses an unauthenticated caller before any other guard on submit', () => {
    const principal = {
      guard: 'authentication' as const,
      pass: false,
      code: 'unauthenticated' as const,
      message: 'no credentials',
    };
    const { verdicts, decision } = runGuardChain(guardContext({ principal }), { dryRun: false });
    expect(decision).toBe('refuse');
    expect(verdicts).toEqual([principal]);
  });

  it('holds a high-risk command for approval once everything else passes', () => {
    const { verdicts, decision } = runGuardChain(guardContext(highRisk), { dryRun: false });
    expect(decision).toBe('hold_for_approval');
    expect(verdicts).toHaveLength(guardOrder.length);
    expect(verdicts.at(-1)).toMatchObject({
      guard: 'approval',
      pass: false,
      code: 'approval_required',
    });
  });

  it('refuses rather than holds when a dry run finds both a refusal and a needed approval', () => {
    const ctx = guardContext({ ...highRisk, asset: { stale: true } });
    const { verdicts, decision } = runGuardChain(ctx, { dryRun: true });
    expect(decision).toBe('refuse');
    expect(verdicts.at(-1)).toMatchObject({ code: 'approval_required' });
  });

  it('accepts a high-risk command approved by someone else, refuses one approved by the submitter', () => {
    const approved = guardContext({ ...highRisk, approval: { approvedBy: bob.user } });
    expect(runGuardChain(approved, { dryRun: false }).decision).toBe('accept');
    const selfApproved = guardContext({ ...highRisk, approval: { approvedBy: 'alice' } });
    const result = runGuardChain(selfApproved, { dryRun: false });
    expect(result.decision).toBe('refuse');
    expect(result.verdicts.at(-1)).toMatchObject({ code: 'self_approval' });
  });

  it('refuses an unknown asset at the schema guard, and in a dry run no later guard vouches for it', () => {
    const ctx = guardContext({ asset: null, request: { assetId: 'pump-9' } });
    expect(runGuardChain(ctx, { dryRun: false }).verdicts.at(-1)).toMatchObject({
      guard: 'schema',
      code: 'unknown_asset',
    });
    const dry = runGuardChain(ctx, { dryRun: true });
    const vouched = dry.verdicts.filter((v) =>
      ['safety_envelope', 'freshness', 'divergence', 'simulation'].includes(v.guard),
    );
    expect(vouched.map((v) => [v.pass, v.code])).toEqual(Array(4).fill([false, 'unknown_asset']));
  });
});
