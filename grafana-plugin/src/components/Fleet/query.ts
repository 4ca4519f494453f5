import type { AssetQuery } from '../../api/types';

export type StatusFilter = 'all' | 'stale' | 'diverged' | 'healthy';

export interface FleetFilters {
  assetClass?: string;
  site?: string;
  status?: StatusFilter;
}

/** Filters → the twin API's query: paging and filtering happen on the server. */
export function fleetQuery(filters: FleetFilters, page: number, pageSize: number): AssetQuery {
  const status = filters.status ?? 'all';
  return {
    assetClass: filters.assetClass?.trim() || undefined,
    site: filters.site?.trim() || undefined,
    stale: status === 'stale' ? true : status === 'healthy' ? false : undefined,
    diverged: status === 'diverged' ? true : status === 'healthy' ? false : undefined,
    offset: (page - 1) * pageSize,
    limit: pageSize,
  };
}
