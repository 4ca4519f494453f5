import React, { useState, type ChangeEvent } from 'react';
import { lastValueFrom } from 'rxjs';
import type { AppPluginMeta, PluginConfigPageProps, PluginMeta } from '@grafana/data';
import { getBackendSrv } from '@grafana/runtime';
import { Alert, Button, Field, FieldSet, Input, SecretInput, Stack } from '@grafana/ui';
import { grafanaClient, type AppJsonData, type AppSecureJsonData, type AppSettings } from '../../api/grafana';
import { describeError } from '../common/ErrorAlert';
import { testIds } from '../testIds';

export interface AppConfigProps extends PluginConfigPageProps<AppPluginMeta<AppJsonData>> {}

type SecretKey = keyof AppSecureJsonData;

interface SecretState {
  /** Set on the server (secureJsonFields): shown as "configured", never read back. */
  configured: boolean;
  value: string;
}

/** What to send: only secrets the admin typed or reset; an untouched secret is left as stored. */
export function secureJsonDataToSend(
  secrets: Record<SecretKey, SecretState>,
  initial: Record<SecretKey, boolean>
): Partial<AppSecureJsonData> | undefined {
  const out: Partial<AppSecureJsonData> = {};
  for (const key of Object.keys(secrets) as SecretKey[]) {
    const s = secrets[key];
    if (s.value !== '') {
      out[key] = s.value;
    } else if (initial[key] && !s.configured) {
      out[key] = ''; // reset and left empty: clear it
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export function isValidUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * The app's settings: where Grafana's server reaches the exporter, the shared proxy secret (user
 * identity for commands), an optional read-only API token, and the Prometheus datasource of the
 * SLOs. Secrets go to secureJsonData: the page only ever learns whether they are set.
 */
const AppConfig = ({ plugin }: AppConfigProps) => {
  const { jsonData, secureJsonFields } = plugin.meta;
  const initial: Record<SecretKey, boolean> = {
    proxySecret: Boolean(secureJsonFields?.proxySecret),
    apiToken: Boolean(secureJsonFields?.apiToken),
  };
  const [exporterUrl, setExporterUrl] = useState(jsonData?.exporterUrl ?? '');
  const [prometheusUid, setPrometheusUid] = useState(jsonData?.prometheusUid ?? '');
  const [secrets, setSecrets] = useState<Record<SecretKey, SecretState>>({
    proxySecret: { configured: initial.proxySecret, value: '' },
    apiToken: { configured: initial.apiToken, value: '' },
  });
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string>();
  const [test, setTest] = useState<{ ok: boolean; message: string }>();

  const urlValid = isValidUrl(exporterUrl.trim());
  const hasCredentials =
    secrets.proxySecret.configured ||
    secrets.proxySecret.value !== '' ||
    secrets.apiToken.configured ||
    secrets.apiToken.value !== '';
  const canSave = urlValid && hasCredentials && !saving;

  const setSecret = (key: SecretKey) => (event: ChangeEvent<HTMLInputElement>) => {
    const value = event.currentTarget.value;
    setSecrets((s) => ({ ...s, [key]: { ...s[key], value } }));
  };
  const resetSecret = (key: SecretKey) => () => setSecrets((s) => ({ ...s, [key]: { configured: false, value: '' } }));

  const onSubmit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!canSave) {
      return;
    }
    setSaving(true);
    setError(undefined);
    try {
      await updatePlugin(plugin.meta.id, {
        enabled: true,
        pinned: true,
        jsonData: {
          exporterUrl: exporterUrl.trim().replace(/\/+$/, ''),
          prometheusUid: prometheusUid.trim() || undefined,
        },
        secureJsonData: secureJsonDataToSend(secrets, initial),
      });
      // The proxy reads the new settings on the next request; the page reloads to pick them up.
      window.location.reload();
    } catch (e) {
      setError(describeError(e).message);
      setSaving(false);
    }
  };

  const onTest = async () => {
    setTest(undefined);
    const settings: AppSettings = {
      jsonData,
      secureJsonFields: { proxySecret: initial.proxySecret, apiToken: initial.apiToken },
    };
    try {
      const page = await grafanaClient(settings).listAssets({ limit: 1 });
      setTest({ ok: true, message: `Connected: the exporter knows ${page.total} assets.` });
    } catch (e) {
      const d = describeError(e);
      setTest({ ok: false, message: `${d.message}${d.code ? ` (${d.code})` : ''}` });
    }
  };

  return (
    <form onSubmit={onSubmit}>
      <FieldSet label="Exporter connection">
        <Field
          label="Exporter URL"
          description="Where Grafana's server reaches the twin API (port 8787), e.g. http://twinops-exporter:8787. Requests go through Grafana's proxy, never from the browser."
          invalid={exporterUrl !== '' && !urlValid}
          error={exporterUrl !== '' && !urlValid ? 'An http:// or https:// URL' : undefined}
          required
        >
          <Input
            width={60}
            id="config-exporter-url"
            data-testid={testIds.appConfig.exporterUrl}
            value={exporterUrl}
            placeholder="http://twinops-exporter:8787"
            onChange={(e) => setExporterUrl(e.currentTarget.value)}
          />
        </Field>
        <Field
          label="Proxy secret"
          description="The exporter's TWINOPS_PROXY_SECRET. With it the exporter trusts the user and org role Grafana sends, so commands are made, approved and audited as the signed-in user."
        >
          <SecretInput
            width={60}
            id="config-proxy-secret"
            data-testid={testIds.appConfig.proxySecret}
            value={secrets.proxySecret.value}
            isConfigured={secrets.proxySecret.configured}
            placeholder="shared secret"
            onChange={setSecret('proxySecret')}
            onReset={resetSecret('proxySecret')}
          />
        </Field>
        <Field
          label="API token (read only)"
          description="Optional: a bearer token of a viewer in the exporter's commands.auth.tokens, used for reads when no proxy secret is set. Commands always need the proxy secret."
        >
          <SecretInput
            width={60}
            id="config-api-token"
            data-testid={testIds.appConfig.apiToken}
            value={secrets.apiToken.value}
            isConfigured={secrets.apiToken.configured}
            placeholder="token"
            onChange={setSecret('apiToken')}
            onReset={resetSecret('apiToken')}
          />
        </Field>
      </FieldSet>
      <FieldSet label="SLOs">
        <Field
          label="Prometheus datasource UID"
          description="The Prometheus holding the twinops SLO recording rules (alerts/), for the SLOs page."
        >
          <Input
            width={60}
            id="config-prometheus-uid"
            data-testid={testIds.appConfig.prometheusUid}
            value={prometheusUid}
            placeholder="prometheus"
            onChange={(e) => setPrometheusUid(e.currentTarget.value)}
          />
        </Field>
      </FieldSet>
      {!hasCredentials && (
        <Alert severity="info" title="Credentials needed">
          Set the proxy secret (for commands) or an API token (read only).
        </Alert>
      )}
      {error && (
        <Alert severity="error" title="Not saved">
          {error}
        </Alert>
      )}
      {test && (
        <Alert severity={test.ok ? 'success' : 'error'} title={test.ok ? 'Connection works' : 'Connection failed'}>
          {test.message}
        </Alert>
      )}
      <Stack>
        <Button type="submit" data-testid={testIds.appConfig.submit} disabled={!canSave}>
          Save settings
        </Button>
        <Button type="button" variant="secondary" onClick={onTest} disabled={!jsonData?.exporterUrl}>
          Test saved connection
        </Button>
      </Stack>
    </form>
  );
};

export default AppConfig;

async function updatePlugin(
  pluginId: string,
  data: Partial<PluginMeta<AppJsonData>> & { secureJsonData?: Partial<AppSecureJsonData> }
) {
  return lastValueFrom(getBackendSrv().fetch({ url: `/api/plugins/${pluginId}/settings`, method: 'POST', data }));
}
