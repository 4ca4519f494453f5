// The fleet simulator: real OTLP from the OpenTelemetry JS SDK, with its ground truth.
export {
  runSimulation,
  startSimulation,
  type SimulationHandle,
  type SimulationOptions,
  type SimulationStats,
} from './simulator.js';
export {
  parseDuration,
  parseScenario,
  scenarioDefaults,
  scenarioKinds,
  type DriftScenario,
  type PartitionScenario,
  type RegressionScenario,
  type Scenario,
  type ScenarioKind,
  type ScenarioWindow,
  type SkewScenario,
} from './scenarios.js';
export {
  assetsHitBy,
  changedBy,
  countBy,
  msToNanoString,
  select,
  type ExportStats,
  type SimulationResult,
  type Source,
  type TruthPoint,
} from './truth.js';
export { defaultClasses, defaultSites, type AssetClassSpec, type PropertySpec } from './fleet.js';
export { createRng, mulberry32, type Rng } from './random.js';
