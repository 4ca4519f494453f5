import {
  DataSourceApi,
  type DataQueryRequest,
  type DataQueryResponse,
  type DataSourceInstanceSettings,
  type ScopedVars,
  type TestDataSourceResponse,
} from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';
import type { TwinClient } from '../api/client';
import { loadGrafanaClient } from '../api/grafana';
import { describeError } from '../components/common/ErrorAlert';
import { fleetQuery } from '../components/Fleet/query';
import { assetsFrame, commandsFrame, historyFrames, stateFrame } from './frames';
import { defaultQuery, type TwinDataSourceOptions, type TwinQuery } from './types';

const MAX_LIMIT = 500;

/**
 * The twin API as data frames: assets, one asset's state, a property's history, commands. It has
 * no connection of its own: requests take the twinops app's proxy routes, as the signed-in user.
 */
export class TwinDataSource extends DataSourceApi<TwinQuery, TwinDataSourceOptions> {
  constructor(
    instanceSettings: DataSourceInstanceSettings<TwinDataSourceOptions>,
    private readonly clientFactory: () => Promise<TwinClient> = loadGrafanaClient,
    private readonly interpolate: (text: string, vars?: ScopedVars) => string = (text, vars) =>
      getTemplateSrv().replace(text, vars)
  ) {
    super(instanceSettings);
  }

  getDefaultQuery(): Partial<TwinQuery> {
    return defaultQuery;
  }

  filterQuery(query: TwinQuery): boolean {
    if (query.hide) {
      return false;
    }
    switch (query.queryType ?? 'assets') {
      case 'state':
        return Boolean(query.assetId);
      case 'history':
        return Boolean(query.assetId && query.property);
      default:
        return true;
    }
  }

  /** Dashboard variables in every text field ($asset, ${site}, …). */
  applyTemplateVariables(query: TwinQuery, scopedVars: ScopedVars): TwinQuery {
    const t = (v: string | undefined) => (v === undefined ? undefined : this.interpolate(v, scopedVars));
    return {
      ...query,
      assetClass: t(query.assetClass),
      site: t(query.site),
      assetId: t(query.assetId),
      property: t(query.property),
    };
  }

  async query(request: DataQueryRequest<TwinQuery>): Promise<DataQueryResponse> {
    const client = await this.clientFactory();
    const targets = request.targets
      .filter((q) => this.filterQuery(q))
      .map((q) => this.applyTemplateVariables(q, request.scopedVars));
    const results = await Promise.all(targets.map((q) => this.run(client, q)));
    return { data: results.flat() };
  }

  private async run(client: TwinClient, q: TwinQuery) {
    const limit = Math.min(MAX_LIMIT, Math.max(1, Math.floor(q.limit ?? 100)));
    switch (q.queryType ?? 'assets') {
      case 'state':
        return [stateFrame(q.refId, await client.getAsset(q.assetId!))];
      case 'history':
        return historyFrames(q.refId, q.assetId!, q.property!, await client.getHistory(q.assetId!, q.property!));
      case 'commands':
        return [
          commandsFrame(
            q.refId,
            await client.listCommands({ asset: q.assetId || undefined, status: q.commandStatus, limit })
          ),
        ];
      default:
        return [
          assetsFrame(
            q.refId,
            await client.listAssets(fleetQuery({ assetClass: q.assetClass, site: q.site, status: q.status }, 1, limit))
          ),
        ];
    }
  }

  async testDatasource(): Promise<TestDataSourceResponse> {
    try {
      const page = await (await this.clientFactory()).listAssets({ limit: 1 });
      return {
        status: 'success',
        message: `Connected through the twinops app: the exporter knows ${page.total} assets.`,
      };
    } catch (error) {
      const d = describeError(error);
      return {
        status: 'error',
        message: `Not connected: ${d.message}${d.code ? ` (${d.code})` : ''}. Check the twinops app configuration.`,
      };
    }
  }
}
