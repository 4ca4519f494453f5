/** Test ids, in one place for the unit tests and the preview host's browser tests. */
export const testIds = {
  appConfig: {
    exporterUrl: 'data-testid ac-exporter-url',
    proxySecret: 'data-testid ac-proxy-secret',
    apiToken: 'data-testid ac-api-token',
    prometheusUid: 'data-testid ac-prometheus-uid',
    submit: 'data-testid ac-submit-form',
  },
  fleet: {
    container: 'data-testid fleet',
    table: 'data-testid fleet-table',
    row: 'data-testid fleet-row',
    summary: 'data-testid fleet-summary',
  },
  asset: {
    container: 'data-testid asset',
    property: 'data-testid asset-property',
    staleBanner: 'data-testid asset-stale',
    history: 'data-testid asset-history',
    predictions: 'data-testid asset-predictions',
    commands: 'data-testid asset-commands',
  },
  composer: {
    container: 'data-testid composer',
    verdicts: 'data-testid composer-verdicts',
    verdict: 'data-testid composer-verdict',
    decision: 'data-testid composer-decision',
    review: 'data-testid composer-review',
    confirm: 'data-testid composer-confirm',
    follow: 'data-testid composer-follow',
    result: 'data-testid composer-result',
  },
  approvals: {
    container: 'data-testid approvals',
    row: 'data-testid approvals-row',
  },
  audit: {
    container: 'data-testid audit',
    chain: 'data-testid audit-chain',
    row: 'data-testid audit-row',
  },
  slos: {
    container: 'data-testid slos',
    row: 'data-testid slos-row',
  },
  killSwitch: {
    container: 'data-testid kill-switch',
  },
  panels: {
    fleetCell: 'data-testid fleet-state-cell',
    commandButton: 'data-testid command-panel-button',
  },
};
