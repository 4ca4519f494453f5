/** The guard chain: context, guards, chain, approval and the params validators. */
export { checkApproval, type HeldCommand } from './approval.js';
export { isRefusal, runGuardChain, type ChainDecision, type ChainResult } from './chain.js';
export {
  coveredByKillSwitch,
  engagedKillSwitches,
  guardedAssetOf,
  lookupCommand,
  type EngagedKillSwitches,
  type GuardContext,
  type GuardedAsset,
  type InFlightCommand,
} from './context.js';
export { guardOrder, guards, type Guard } from './guards.js';
export {
  compileCatalog,
  compileParams,
  type CatalogValidators,
  type ParamsValidator,
} from './params.js';
