/** The guard chain: context, guards, chain, approval and the params validators. */
export { checkApproval, type HeldCommand } from './approval.js';
export { isRefusal, runGuardChain, type ChainResult, type Decision } from './chain.js';
export {
  lookupCommand,
  snapshotFromView,
  type AssetSnapshot,
  type GuardContext,
  type InFlightCommand,
  type KillSwitchState,
} from './context.js';
export { guardOrder, guards, type Guard } from './guards.js';
export {
  compileCatalog,
  compileParams,
  type CatalogValidators,
  type ParamsValidator,
} from './params.js';
