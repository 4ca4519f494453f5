/** A second person approves a held command: never the submitter, only a role allowed the risk, in time. */
import type { CommandsConfig } from '../../config/types.js';
import { authorize } from '../auth.js';
import type { Principal, Risk, Verdict } from '../model.js';
import { failed, passed, sameUser, seconds } from './format.js';

export interface HeldCommand {
  submittedBy: string;
  risk: Risk;
  submittedAtMs: number;
}

/**
 * Judges one approval. On a pass, the caller re-runs the chain with `approval` set, so the guards
 * judge the asset as it is now, not as it was at submission.
 */
export function checkApproval(
  approver: Principal,
  command: HeldCommand,
  nowMs: number,
  config: Pick<CommandsConfig, 'submit' | 'approve' | 'killSwitch' | 'approvalWithinMs'>,
): Verdict {
  if (sameUser(approver.user, command.submittedBy)) {
    return failed(
      'approval',
      'self_approval',
      `${approver.user} submitted this command and cannot also approve it; a second person must`,
    );
  }
  const allowed = authorize(approver, 'approve', command.risk, config);
  if (!allowed.pass) return { ...allowed, guard: 'approval' };
  const ageMs = nowMs - command.submittedAtMs;
  if (ageMs > config.approvalWithinMs) {
    return failed(
      'approval',
      'approval_expired',
      `the command was submitted ${seconds(ageMs)} ago, but approvals must come within ${seconds(config.approvalWithinMs)}; submit it again`,
    );
  }
  return passed('approval', `approved by ${approver.user}: ${allowed.message}`);
}
