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

const statuses: readonly StatusFilter[] = ['all', 'stale', 'diverged', 'healthy'];

/** What a dashboard variable set to "All" renders as: no filter. */
const everything = new Set(['', '.*', '$__all', 'All']);

/**
 * Filters from the page's URL (`?class=&site=&status=`), as the dashboards' links send them: a
 * variable at "All" means no filter, and an unknown status is ignored.
 */
export function fleetFiltersFromParams(params: URLSearchParams): FleetFilters {
  const text = (name: string): string | undefined => {
    const value = params.get(name)?.trim() ?? '';
    return everything.has(value) ? undefined : value;
  };
  const status = params.get('status') as StatusFilter | null;
  return {
    assetClass: text('class'),
    site: text('site'),
    status: status !== null && statuses.includes(status) ? status : undefined,
  };
}
