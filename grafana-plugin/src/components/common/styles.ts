import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';

/** Table and layout styles shared by the pages; colours come from the theme only. */
export const getTableStyles = (theme: GrafanaTheme2) => ({
  table: css({
    width: '100%',
    borderCollapse: 'collapse',
    'th, td': {
      padding: theme.spacing(0.75, 1),
      borderBottom: `1px solid ${theme.colors.border.weak}`,
      textAlign: 'left',
      verticalAlign: 'top',
    },
    th: {
      color: theme.colors.text.secondary,
      fontWeight: theme.typography.fontWeightMedium,
    },
  }),
  toolbar: css({
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(2),
    alignItems: 'flex-end',
    marginBottom: theme.spacing(2),
  }),
  muted: css({ color: theme.colors.text.secondary }),
  stale: css({ color: theme.colors.warning.text, fontWeight: theme.typography.fontWeightMedium }),
  bad: css({ color: theme.colors.error.text, fontWeight: theme.typography.fontWeightMedium }),
  good: css({ color: theme.colors.success.text }),
  section: css({ marginTop: theme.spacing(3) }),
  mono: css({ fontFamily: theme.typography.fontFamilyMonospace }),
});
