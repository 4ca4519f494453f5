export type * from './types.js';
export {
  ConfigError,
  applyEnvironment,
  configFromDocument,
  defaultConfig,
  loadConfigFile,
} from './load.js';
export { parseDuration } from './duration.js';
