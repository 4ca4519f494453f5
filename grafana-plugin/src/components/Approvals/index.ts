export { ApprovalQueue } from './ApprovalQueue';
export { KillSwitchPanel } from './KillSwitch';
