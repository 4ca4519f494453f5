/**
 * @grafana/runtime as the preview host serves it (webpack points every other import of
 * @grafana/runtime here): the real package, except PluginPage. Grafana's app sets PluginPage to
 * its page frame (title, breadcrumb, sub title) through an internal setter plugins cannot reach;
 * outside Grafana the real one is a bare <div>, so the preview supplies its own frame.
 * Everything else is the real runtime: `config` reads window.grafanaBootData (which the preview
 * server writes, as Grafana does), and getBackendSrv() answers with the preview's BackendSrv
 * (set through the public setBackendSrv).
 */
import React, { createContext, useContext } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import type { PluginPageProps } from '@grafana/runtime';
import { useStyles2 } from '@grafana/ui';

export * from '@grafana/runtime';

/** The name of the app page being shown (from plugin.json's includes), for the heading. */
export const PageTitleContext = createContext<string>('twinops');

const getStyles = (theme: GrafanaTheme2) => ({
  header: css({ marginBottom: theme.spacing(2) }),
  title: css({ margin: 0, fontSize: theme.typography.h2.fontSize }),
  breadcrumb: css({ color: theme.colors.text.secondary, margin: 0 }),
  subTitle: css({ color: theme.colors.text.secondary, margin: theme.spacing(0.5, 0, 0) }),
});

export function PluginPage({ pageNav, subTitle, actions, info, children }: PluginPageProps) {
  const section = useContext(PageTitleContext);
  const s = useStyles2(getStyles);
  const title = pageNav?.text ?? section;
  return (
    <>
      <header className={s.header}>
        {pageNav && <p className={s.breadcrumb}>{section}</p>}
        <h1 className={s.title}>{title}</h1>
        {subTitle && <p className={s.subTitle}>{subTitle}</p>}
        {info?.map((item) => (
          <p key={item.label} className={s.subTitle}>
            {item.label}: {item.value}
          </p>
        ))}
        {actions}
      </header>
      {children}
    </>
  );
}
