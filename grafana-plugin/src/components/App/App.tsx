import React, { Suspense, lazy, useMemo } from 'react';
import { Navigate, Route, Routes } from 'react-router-dom';
import type { AppRootProps } from '@grafana/data';
import { PluginPage } from '@grafana/runtime';
import { Alert, LinkButton, LoadingPlaceholder } from '@grafana/ui';
import { appLinks, TwinServicesProvider, type TwinServices } from '../../api/context';
import { grafanaClient, grafanaPrometheus, type AppJsonData } from '../../api/grafana';
import { PLUGIN_ID, ROUTES } from '../../constants';

const FleetPage = lazy(() => import('../../pages/FleetPage'));
const AssetPage = lazy(() => import('../../pages/AssetPage'));
const CommandsPage = lazy(() => import('../../pages/CommandsPage'));
const ApprovalsPage = lazy(() => import('../../pages/ApprovalsPage'));
const AuditPage = lazy(() => import('../../pages/AuditPage'));
const SlosPage = lazy(() => import('../../pages/SlosPage'));

/** The app's pages for any host: Grafana (below) or the preview host, given their services. */
export function TwinRoutes({ services }: { services: TwinServices }) {
  return (
    <TwinServicesProvider services={services}>
      <Suspense fallback={<LoadingPlaceholder text="Loading…" />}>
        <Routes>
          <Route path={ROUTES.Fleet} element={<FleetPage />} />
          <Route path={ROUTES.Asset} element={<AssetPage />} />
          <Route path={`${ROUTES.Asset}/:id`} element={<AssetPage />} />
          <Route path={ROUTES.Commands} element={<CommandsPage />} />
          <Route path={ROUTES.Approvals} element={<ApprovalsPage />} />
          <Route path={ROUTES.Audit} element={<AuditPage />} />
          <Route path={ROUTES.Slos} element={<SlosPage />} />
          <Route path="*" element={<Navigate to={ROUTES.Fleet} replace />} />
        </Routes>
      </Suspense>
    </TwinServicesProvider>
  );
}

function App(props: AppRootProps<AppJsonData>) {
  const { jsonData, secureJsonFields } = props.meta;
  const services = useMemo<TwinServices>(
    () => ({
      client: grafanaClient({ jsonData, secureJsonFields }),
      links: appLinks(),
      slo: jsonData?.prometheusUid ? grafanaPrometheus(jsonData.prometheusUid) : undefined,
    }),
    [jsonData, secureJsonFields]
  );
  if (!jsonData?.exporterUrl) {
    return (
      <PluginPage>
        <Alert severity="warning" title="twinops is not configured yet">
          An administrator sets the exporter URL and the proxy secret on the app&apos;s configuration page.
        </Alert>
        <LinkButton href={`/plugins/${PLUGIN_ID}`} icon="cog">
          Configuration
        </LinkButton>
      </PluginPage>
    );
  }
  return <TwinRoutes services={services} />;
}

export default App;
