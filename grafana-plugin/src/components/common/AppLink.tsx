import React, { type ReactNode } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';

// Underlined, not told by colour alone: links sit in text (a table cell's detail, a sentence),
// where colour is not enough to tell them from it (WCAG 1.4.1, axe link-in-text-block).
const getStyles = (theme: GrafanaTheme2) =>
  css({
    color: theme.colors.text.link,
    textDecoration: 'underline',
    textUnderlineOffset: 2,
    '&:hover': { textDecorationThickness: 2 },
    '&:focus-visible': { outline: `2px solid ${theme.colors.primary.main}`, outlineOffset: 2 },
  });

/**
 * A plain anchor: Grafana turns clicks on same-origin links into in-app navigation, and the
 * preview host needs no router at all, so the pages never depend on a router context.
 */
export function AppLink({ href, children, ...rest }: { href: string; children: ReactNode; 'aria-label'?: string }) {
  const className = useStyles2(getStyles);
  return (
    <a href={href} className={className} {...rest}>
      {children}
    </a>
  );
}
