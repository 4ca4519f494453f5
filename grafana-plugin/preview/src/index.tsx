/**
 * The preview host's page: the plugin's own pages (TwinRoutes) and panels, with the real
 * @grafana/ui, inside a small frame standing in for Grafana's (navigation from plugin.json's
 * includes, the signed-in user and a user switcher). The services are built exactly as the app
 * builds them in Grafana (grafanaClient over the app's proxy routes for the user's org role);
 * only the base URL of the links differs (/preview instead of /a/<plugin id>).
 */
import React, { useEffect, useMemo, type MouseEvent } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { initPluginTranslations } from '@grafana/i18n';
import { config, setBackendSrv } from '@grafana/runtime';
import { Alert, Button, GlobalStyles, PortalContainer, ThemeContext, useStyles2 } from '@grafana/ui';
import pluginJson from '../../src/plugin.json';
import { appLinks, type TwinServices } from '../../src/api/context';
import { grafanaClient, grafanaPrometheus, type AppSettings } from '../../src/api/grafana';
import { TwinRoutes } from '../../src/components/App/App';
import { previewBackendSrv } from './backendSrv';
import { PanelsPage } from './PanelsPage';
import { PageTitleContext } from './runtime';

export const PREVIEW_BASE = '/preview';

type OrgRole = 'Viewer' | 'Editor' | 'Admin';

/** What the preview server writes next to window.grafanaBootData. */
interface PreviewBoot {
  users: Array<{ login: string; role: OrgRole }>;
  /** The app's settings as Grafana hands them to the app: jsonData, and which secrets are set. */
  settings: AppSettings;
}

declare global {
  interface Window {
    twinopsPreview?: PreviewBoot;
  }
}

const boot: PreviewBoot = window.twinopsPreview ?? { users: [], settings: {} };
const user = config.bootData.user as { login?: string; orgRole?: string };
const rank: Record<string, number> = { None: 0, Viewer: 1, Editor: 2, Admin: 3 };

/** The app's pages as plugin.json lists them (Grafana builds its navigation from the same). */
const pages = pluginJson.includes
  .filter((i) => i.type === 'page' && i.path?.startsWith('/a/') && i.addToNav)
  .map((i) => ({ name: i.name, slug: i.path!.split('/').pop()!, role: i.role ?? 'Viewer' }));
const nav = [...pages, { name: 'Panels', slug: 'panels', role: 'Viewer' }];
const titleOf = (slug: string) => nav.find((p) => p.slug === slug)?.name ?? (slug === 'asset' ? 'Asset' : 'twinops');

const getStyles = (theme: GrafanaTheme2) => ({
  skip: css({
    position: 'absolute',
    left: -10000,
    '&:focus': { left: theme.spacing(1), top: theme.spacing(1), zIndex: theme.zIndex.modal, padding: theme.spacing(1) },
    background: theme.colors.background.primary,
  }),
  bar: css({
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(3),
    padding: theme.spacing(1, 2),
    background: theme.colors.background.primary,
    borderBottom: `1px solid ${theme.colors.border.weak}`,
  }),
  brand: css({ fontWeight: theme.typography.fontWeightBold, margin: 0, fontSize: theme.typography.h4.fontSize }),
  navList: css({ display: 'flex', gap: theme.spacing(2), listStyle: 'none', margin: 0, padding: 0 }),
  navLink: css({
    color: theme.colors.text.primary,
    padding: theme.spacing(0.5, 0),
    '&[aria-current="page"]': { borderBottom: `2px solid ${theme.colors.primary.main}` },
    '&:hover': { color: theme.colors.text.maxContrast },
    '&:focus-visible': { outline: `2px solid ${theme.colors.primary.main}`, outlineOffset: 2 },
  }),
  who: css({ marginLeft: 'auto', display: 'flex', alignItems: 'center', gap: theme.spacing(1) }),
  select: css({
    background: theme.components.input.background,
    color: theme.components.input.text,
    border: `1px solid ${theme.components.input.borderColor}`,
    borderRadius: theme.shape.radius.default,
    height: theme.spacing(theme.components.height.md),
    padding: theme.spacing(0, 1),
  }),
  main: css({ padding: theme.spacing(2, 3), maxWidth: 1600 }),
});

function UserSwitcher() {
  const s = useStyles2(getStyles);
  const location = useLocation();
  return (
    <form className={s.who} method="get" action={`${PREVIEW_BASE}/login`}>
      <label htmlFor="preview-user">Signed in as</label>
      <select id="preview-user" name="user" defaultValue={user.login} className={s.select}>
        {boot.users.map((u) => (
          <option key={u.login} value={u.login}>
            {u.login} ({u.role})
          </option>
        ))}
      </select>
      <input type="hidden" name="next" value={`${PREVIEW_BASE}${location.pathname}${location.search}`} />
      <Button type="submit" variant="secondary" size="sm">
        Switch user
      </Button>
    </form>
  );
}

function Frame() {
  const s = useStyles2(getStyles);
  const location = useLocation();
  const navigate = useNavigate();
  const slug = location.pathname.split('/')[1] || 'fleet';
  const current = nav.find((p) => p.slug === slug);
  const title = titleOf(slug);
  const allowed = !current || rank[user.orgRole ?? 'None'] >= rank[current.role];
  const settings = boot.settings;
  const services = useMemo<TwinServices>(
    () => ({
      client: grafanaClient(settings, user.orgRole),
      links: appLinks(PREVIEW_BASE),
      slo: settings.jsonData?.prometheusUid ? grafanaPrometheus(settings.jsonData.prometheusUid) : undefined,
    }),
    [settings]
  );

  useEffect(() => {
    document.title = `${title} · twinops preview`;
  }, [title]);

  // Grafana turns clicks on same-origin links into in-app navigation; so does the preview.
  const onClick = (event: MouseEvent) => {
    const anchor = (event.target as HTMLElement).closest('a');
    if (!anchor || event.defaultPrevented || event.button !== 0 || anchor.target) {
      return;
    }
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    const url = new URL(anchor.href, window.location.href);
    if (url.origin === window.location.origin && url.pathname.startsWith(`${PREVIEW_BASE}/`)) {
      event.preventDefault();
      navigate(`${url.pathname.slice(PREVIEW_BASE.length)}${url.search}`);
    }
  };

  return (
    // eslint-disable-next-line jsx-a11y/click-events-have-key-events, jsx-a11y/no-static-element-interactions
    <div onClick={onClick}>
      <a className={s.skip} href="#main">
        Skip to the page
      </a>
      <header className={s.bar}>
        <p className={s.brand}>twinops</p>
        <nav aria-label="twinops pages">
          <ul className={s.navList}>
            {nav
              .filter((p) => rank[user.orgRole ?? 'None'] >= rank[p.role])
              .map((p) => (
                <li key={p.slug}>
                  <a
                    className={s.navLink}
                    href={`${PREVIEW_BASE}/${p.slug}`}
                    aria-current={p.slug === slug ? 'page' : undefined}
                  >
                    {p.name}
                  </a>
                </li>
              ))}
          </ul>
        </nav>
        <UserSwitcher />
      </header>
      <main id="main" className={s.main} tabIndex={-1}>
        <PageTitleContext.Provider value={title}>
          {!settings.jsonData?.exporterUrl ? (
            <Alert severity="warning" title="twinops is not configured yet">
              Start the preview host with --exporter URL (the twin API as the server reaches it).
            </Alert>
          ) : !allowed ? (
            <Alert severity="warning" title="Access denied">
              The {title} page needs the {current?.role} role; {user.login} is {user.orgRole}.
            </Alert>
          ) : (
            <Routes>
              <Route path="panels" element={<PanelsPage />} />
              <Route path="*" element={<TwinRoutes services={services} />} />
            </Routes>
          )}
        </PageTitleContext.Provider>
      </main>
    </div>
  );
}

function PreviewApp() {
  return (
    <ThemeContext.Provider value={config.theme2}>
      <GlobalStyles />
      <BrowserRouter basename={PREVIEW_BASE}>
        <Frame />
      </BrowserRouter>
      <PortalContainer />
    </ThemeContext.Provider>
  );
}

async function start() {
  setBackendSrv(previewBackendSrv);
  await initPluginTranslations(pluginJson.id);
  const root = document.getElementById('root');
  if (root) {
    createRoot(root).render(<PreviewApp />);
  }
}

void start();
