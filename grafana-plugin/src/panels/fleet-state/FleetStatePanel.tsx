import React from 'react';
import type { PanelProps } from '@grafana/data';
import { css } from '@emotion/css';
import { appLinks } from '../../api/context';
import { loadGrafanaClient } from '../../api/grafana';
import { ErrorAlert } from '../../components/common/ErrorAlert';
import { useAsync } from '../../components/common/useAsync';
import { fleetQuery } from '../../components/Fleet/query';
import { FleetStateGrid } from './FleetStateGrid';
import type { FleetStateOptions } from './types';

/** Reads the fleet straight from the twin API (through the app's routes), not from panel queries. */
export function FleetStatePanel({ options, width, height, timeRange }: PanelProps<FleetStateOptions>) {
  const limit = Math.min(500, Math.max(1, options.limit ?? 200));
  const query = fleetQuery({ assetClass: options.assetClass, site: options.site, status: options.status }, 1, limit);
  const page = useAsync(
    async () => (await loadGrafanaClient()).listAssets(query),
    // The dashboard's refresh moves the time range: reload with it.
    [JSON.stringify(query), timeRange.to.valueOf()],
    (options.refreshSeconds ?? 0) * 1000
  );
  const links = appLinks();
  return (
    <div className={css({ width, height, overflow: 'auto' })}>
      {page.error !== undefined && <ErrorAlert title="Could not load the fleet" error={page.error} />}
      {page.value && <FleetStateGrid assets={page.value.items} total={page.value.total} href={links.asset} />}
    </div>
  );
}
