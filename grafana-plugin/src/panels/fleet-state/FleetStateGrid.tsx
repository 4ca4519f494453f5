import React from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';
import type { AssetSummary } from '../../api/types';
import { testIds } from '../../components/testIds';

export type CellState = 'ok' | 'diverged' | 'stale';

/** Stale first: a stale twin's divergence verdict is itself out of date. */
export function cellState(asset: Pick<AssetSummary, 'stale' | 'diverged'>): CellState {
  return asset.stale ? 'stale' : asset.diverged ? 'diverged' : 'ok';
}

const label: Record<CellState, string> = { ok: 'fresh and in sync', diverged: 'diverged', stale: 'stale' };

const getStyles = (theme: GrafanaTheme2) => ({
  grid: css({
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fill, minmax(14px, 1fr))',
    gap: 3,
    listStyle: 'none',
    margin: 0,
    padding: 0,
  }),
  cell: css({
    display: 'block',
    aspectRatio: '1',
    borderRadius: theme.shape.radius.default,
    '&:focus-visible': { outline: `2px solid ${theme.colors.text.maxContrast}`, outlineOffset: 1 },
  }),
  ok: css({ background: theme.colors.success.main }),
  diverged: css({ background: theme.colors.error.main }),
  stale: css({ background: theme.colors.warning.main }),
  legend: css({
    display: 'flex',
    gap: theme.spacing(2),
    fontSize: theme.typography.bodySmall.fontSize,
    marginBottom: theme.spacing(1),
  }),
  swatch: css({ display: 'inline-block', width: 10, height: 10, borderRadius: 2, marginRight: 4 }),
});

/** One link per asset, coloured by theme (never hard-coded), named for screen readers. */
export function FleetStateGrid({
  assets,
  total,
  href,
}: {
  assets: AssetSummary[];
  total: number;
  href: (id: string) => string;
}) {
  const s = useStyles2(getStyles);
  const counts = { ok: 0, diverged: 0, stale: 0 };
  for (const a of assets) {
    counts[cellState(a)]++;
  }
  return (
    <div>
      <div className={s.legend} aria-hidden>
        {(['ok', 'diverged', 'stale'] as const).map((state) => (
          <span key={state}>
            <span className={`${s.swatch} ${s[state]}`} />
            {label[state]}: {counts[state]}
          </span>
        ))}
        {total > assets.length && (
          <span>
            showing {assets.length} of {total}
          </span>
        )}
      </div>
      <ul
        className={s.grid}
        aria-label={`Fleet: ${counts.ok} fresh and in sync, ${counts.diverged} diverged, ${counts.stale} stale`}
      >
        {assets.map((a) => {
          const state = cellState(a);
          return (
            <li key={a.id}>
              <a
                href={href(a.id)}
                className={`${s.cell} ${s[state]}`}
                title={`${a.id} (${a.assetClass}${a.site ? `, ${a.site}` : ''}): ${label[state]}`}
                aria-label={`${a.id}: ${label[state]}`}
                data-testid={testIds.panels.fleetCell}
                data-state={state}
              />
            </li>
          );
        })}
      </ul>
    </div>
  );
}
