import React from 'react';
import { of } from 'rxjs';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { PluginType } from '@grafana/data';
import AppConfig, { secureJsonDataToSend, type AppConfigProps } from './AppConfig';
import { testIds } from '../testIds';

const fetch = jest.fn();
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: () => ({ fetch }),
}));

const reload = jest.fn();
Object.defineProperty(window, 'location', { value: { ...window.location, reload }, writable: true });

function props(meta: Partial<AppConfigProps['plugin']['meta']> = {}): AppConfigProps {
  return {
    plugin: {
      meta: { id: 'twinops-twinops-app', name: 'twinops', type: PluginType.app, enabled: false, jsonData: {}, ...meta },
    },
    query: {},
  } as unknown as AppConfigProps;
}

describe('AppConfig', () => {
  beforeEach(() => {
    fetch.mockReset().mockReturnValue(of({ status: 200, data: {} }));
    reload.mockReset();
  });

  it('never echoes a configured secret: shows it as configured with a reset', () => {
    render(
      <AppConfig
        {...props({ jsonData: { exporterUrl: 'http://exporter:8787' }, secureJsonFields: { proxySecret: true } })}
      />
    );
    const secret = screen.getByTestId(testIds.appConfig.proxySecret);
    expect(secret).toHaveValue('configured');
    expect(secret).toBeDisabled();
    expect(screen.getAllByRole('button', { name: 'Reset' })).toHaveLength(1);
    expect(screen.getByLabelText(/^Exporter URL/)).toHaveValue('http://exporter:8787');
  });

  it('saves the URL in jsonData and only the secrets that were typed', async () => {
    const user = userEvent.setup();
    render(<AppConfig {...props({ secureJsonFields: { apiToken: true } })} />);
    const save = screen.getByRole('button', { name: 'Save settings' });
    await user.type(screen.getByLabelText(/^Exporter URL/), 'not a url');
    expect(screen.getByText('An http:// or https:// URL')).toBeInTheDocument();
    expect(save).toBeDisabled();
    await user.clear(screen.getByLabelText(/^Exporter URL/));
    await user.type(screen.getByLabelText(/^Exporter URL/), 'http://exporter:8787/');
    await user.type(screen.getByTestId(testIds.appConfig.proxySecret), 's3cret');
    await user.click(save);
    await waitFor(() => expect(fetch).toHaveBeenCalledTimes(1));
    expect(fetch.mock.calls[0][0]).toEqual({
      url: '/api/plugins/twinops-twinops-app/settings',
      method: 'POST',
      data: {
        enabled: true,
        pinned: true,
        jsonData: { exporterUrl: 'http://exporter:8787', prometheusUid: undefined },
        secureJsonData: { proxySecret: 's3cret' },
      },
    });
    expect(reload).toHaveBeenCalled();
  });

  it('needs some credential before saving', async () => {
    render(<AppConfig {...props()} />);
    await userEvent.type(screen.getByLabelText(/^Exporter URL/), 'http://exporter:8787');
    expect(screen.getByRole('button', { name: 'Save settings' })).toBeDisabled();
    expect(screen.getByText(/Set the proxy secret/)).toBeInTheDocument();
  });
});

describe('secureJsonDataToSend', () => {
  it('sends typed secrets, clears reset ones, and leaves untouched ones alone', () => {
    expect(
      secureJsonDataToSend(
        { proxySecret: { configured: true, value: '' }, apiToken: { configured: false, value: '' } },
        { proxySecret: true, apiToken: true }
      )
    ).toEqual({ apiToken: '' });
    expect(
      secureJsonDataToSend(
        { proxySecret: { configured: true, value: '' }, apiToken: { configured: false, value: '' } },
        { proxySecret: true, apiToken: false }
      )
    ).toBeUndefined();
  });
});
