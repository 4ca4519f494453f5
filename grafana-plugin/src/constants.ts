import pluginJson from './plugin.json';

export const PLUGIN_ID = pluginJson.id;
export const PLUGIN_BASE_URL = `/a/${pluginJson.id}`;

/** The app's pages, relative to PLUGIN_BASE_URL. */
export enum ROUTES {
  Fleet = 'fleet',
  Asset = 'asset',
  Commands = 'commands',
  Approvals = 'approvals',
  Audit = 'audit',
  Slos = 'slos',
}
