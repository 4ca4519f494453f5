import { DataSourcePlugin } from '@grafana/data';
import { ConfigEditor } from './ConfigEditor';
import { TwinDataSource } from './datasource';
import { QueryEditor } from './QueryEditor';
import type { TwinDataSourceOptions, TwinQuery } from './types';

export const plugin = new DataSourcePlugin<TwinDataSource, TwinQuery, TwinDataSourceOptions>(TwinDataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
