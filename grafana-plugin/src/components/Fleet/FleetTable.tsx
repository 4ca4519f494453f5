import React, { useMemo, useState } from 'react';
import { Badge, Button, Field, Input, Pagination, RadioButtonGroup, Stack, useStyles2 } from '@grafana/ui';
import { AppLink } from '../common/AppLink';
import { useTwinServices } from '../../api/context';
import type { CommandRecord } from '../../api/types';
import { fleetQuery, type FleetFilters, type StatusFilter } from './query';
import { ErrorAlert } from '../common/ErrorAlert';
import { formatAge } from '../common/format';
import { getTableStyles } from '../common/styles';
import { useAsync, useDebounced } from '../common/useAsync';
import { testIds } from '../testIds';

const statusOptions: Array<{ label: string; value: StatusFilter }> = [
  { label: 'All', value: 'all' },
  { label: 'Stale', value: 'stale' },
  { label: 'Diverged', value: 'diverged' },
  { label: 'Healthy', value: 'healthy' },
];

const pageSizes = [25, 50, 100, 200].map((n) => ({ label: String(n), value: n }));

export interface FleetTableProps {
  initialFilters?: FleetFilters;
  /** Debounce of the text filters (class, site), ms. */
  debounceMs?: number;
  /** Reload period, ms; 0 never. */
  refreshMs?: number;
}

/**
 * The fleet, one server-side page at a time (the API caps a page at 500), so thousands of assets
 * cost one page's rendering. Search narrows the page on screen; a full id opens the asset.
 */
export function FleetTable({ initialFilters = {}, debounceMs = 300, refreshMs = 10_000 }: FleetTableProps) {
  const { client, links, now = Date.now } = useTwinServices();
  const s = useStyles2(getTableStyles);
  const [assetClass, setAssetClass] = useState(initialFilters.assetClass ?? '');
  const [site, setSite] = useState(initialFilters.site ?? '');
  const [status, setStatus] = useState<StatusFilter>(initialFilters.status ?? 'all');
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(1);
  const [pageSize, setPageSize] = useState(50);
  const debouncedClass = useDebounced(assetClass, debounceMs);
  const debouncedSite = useDebounced(site, debounceMs);

  const query = fleetQuery({ assetClass: debouncedClass, site: debouncedSite, status }, page, pageSize);
  const assets = useAsync(() => client.listAssets(query), [JSON.stringify(query)], refreshMs);
  // The last command per asset, from the most recent commands (the asset list does not carry it).
  const commands = useAsync(() => client.listCommands({ limit: 500 }), [], refreshMs);
  const lastCommand = useMemo(() => {
    const map = new Map<string, CommandRecord>();
    for (const c of commands.value ?? []) {
      const seen = map.get(c.assetId);
      if (!seen || seen.submittedAtMs < c.submittedAtMs) {
        map.set(c.assetId, c);
      }
    }
    return map;
  }, [commands.value]);

  const resetPage =
    <T,>(set: (v: T) => void) =>
    (v: T) => {
      set(v);
      setPage(1);
    };

  const pageData = assets.value;
  const needle = search.trim().toLowerCase();
  const items = (pageData?.items ?? []).filter((a) => needle === '' || a.id.toLowerCase().includes(needle));
  const pages = pageData ? Math.max(1, Math.ceil(pageData.total / pageSize)) : 1;
  const nowMs = now();

  return (
    <div data-testid={testIds.fleet.container}>
      <div className={s.toolbar}>
        <Field label="Search asset id" description="Narrows this page; a full id opens the asset">
          <Input
            id="fleet-search"
            value={search}
            placeholder="pump-0042"
            onChange={(e) => setSearch(e.currentTarget.value)}
          />
        </Field>
        <Field label="Asset class">
          <Input
            id="fleet-class"
            value={assetClass}
            placeholder="any"
            onChange={(e) => resetPage(setAssetClass)(e.currentTarget.value)}
          />
        </Field>
        <Field label="Site">
          <Input
            id="fleet-site"
            value={site}
            placeholder="any"
            onChange={(e) => resetPage(setSite)(e.currentTarget.value)}
          />
        </Field>
        <Field label="Status">
          <RadioButtonGroup options={statusOptions} value={status} onChange={resetPage(setStatus)} />
        </Field>
        <Field label="Per page">
          <RadioButtonGroup options={pageSizes} value={pageSize} onChange={resetPage(setPageSize)} />
        </Field>
        <Button variant="secondary" icon="sync" onClick={assets.reload} aria-label="Refresh the fleet">
          Refresh
        </Button>
      </div>

      {assets.error !== undefined && <ErrorAlert title="Could not load the fleet" error={assets.error} />}

      <p className={s.muted} data-testid={testIds.fleet.summary} aria-live="polite">
        {pageData
          ? pageData.total === 0
            ? 'No assets match these filters.'
            : `Assets ${pageData.offset + 1}–${pageData.offset + pageData.items.length} of ${pageData.total}`
          : assets.loading
            ? 'Loading…'
            : ''}
      </p>

      {needle !== '' && pageData && items.length === 0 && (
        <p>
          No asset on this page matches.{' '}
          <AppLink href={links.asset(search.trim())}>Open asset “{search.trim()}”</AppLink>
        </p>
      )}

      <table className={s.table} data-testid={testIds.fleet.table} aria-label="Assets">
        <thead>
          <tr>
            <th scope="col">Asset</th>
            <th scope="col">Class</th>
            <th scope="col">Site</th>
            <th scope="col">Freshness</th>
            <th scope="col">Divergence</th>
            <th scope="col">Last command</th>
          </tr>
        </thead>
        <tbody>
          {items.map((asset) => {
            const last = lastCommand.get(asset.id);
            return (
              <tr key={asset.id} data-testid={testIds.fleet.row}>
                <td>
                  <AppLink href={links.asset(asset.id)}>{asset.id}</AppLink>
                </td>
                <td>{asset.assetClass}</td>
                <td>{asset.site ?? '—'}</td>
                <td>
                  {asset.stale ? (
                    <Badge
                      color="orange"
                      icon="exclamation-triangle"
                      text={`stale · ${formatAge(nowMs - asset.lastSeenMs)}`}
                    />
                  ) : (
                    <span className={s.good}>fresh · {formatAge(nowMs - asset.lastSeenMs)}</span>
                  )}
                </td>
                <td>
                  {asset.diverged ? (
                    <Badge color="red" icon="exclamation-circle" text="diverged" />
                  ) : (
                    <span className={s.good}>in sync</span>
                  )}
                </td>
                <td>
                  {last ? (
                    <span>
                      {last.name} · {last.status.replace(/_/g, ' ')}
                    </span>
                  ) : (
                    <span className={s.muted}>—</span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>

      {pages > 1 && (
        <Stack justifyContent="center">
          <Pagination currentPage={page} numberOfPages={pages} onNavigate={setPage} showSmallVersion={pages > 20} />
        </Stack>
      )}
    </div>
  );
}
