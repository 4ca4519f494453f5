import type { DataQuery, DataSourceJsonData } from '@grafana/schema';
import type { CommandStatus } from '../api/types';

export type TwinQueryType = 'assets' | 'state' | 'history' | 'commands';

export interface TwinQuery extends DataQuery {
  queryType?: TwinQueryType;
  /** assets */
  assetClass?: string;
  site?: string;
  status?: 'all' | 'stale' | 'diverged' | 'healthy';
  /** assets, commands: at most 500 */
  limit?: number;
  /** state, history, commands (optional for commands) */
  assetId?: string;
  /** history */
  property?: string;
  /** commands */
  commandStatus?: CommandStatus;
}

export const defaultQuery: Partial<TwinQuery> = { queryType: 'assets', status: 'all', limit: 100 };

/** Nothing to configure: the datasource reaches the exporter through the twinops app's routes. */
export interface TwinDataSourceOptions extends DataSourceJsonData {}
