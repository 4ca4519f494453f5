export { CommandComposer, DRY_RUN_REASON, type CommandComposerProps } from './CommandComposer';
export { CommandList, CommandStatusBadge } from './CommandList';
export { CommandFollow, followSteps } from './CommandFollow';
export { GuardVerdicts, orderVerdicts, verdictState, decisionText } from './GuardVerdicts';
export { ConfirmCommand, needsTypedConfirmation, RiskBadge } from './ConfirmCommand';
