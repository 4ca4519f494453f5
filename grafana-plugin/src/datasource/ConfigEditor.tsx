import React from 'react';
import type { DataSourcePluginOptionsEditorProps } from '@grafana/data';
import { Alert } from '@grafana/ui';
import { PLUGIN_ID } from '../constants';
import type { TwinDataSourceOptions } from './types';

/** Nothing to set here: the connection (URL, secrets) is the twinops app's. */
export function ConfigEditor(_props: DataSourcePluginOptionsEditorProps<TwinDataSourceOptions>) {
  return (
    <Alert severity="info" title="Uses the twinops app's connection">
      This datasource reads the exporter through the twinops app&apos;s proxy routes, as the signed-in user. Set the
      exporter URL and secrets on the <a href={`/plugins/${PLUGIN_ID}`}>twinops app configuration page</a>, then use
      Save &amp; test here.
    </Alert>
  );
}
