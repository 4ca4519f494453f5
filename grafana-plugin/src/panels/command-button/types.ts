export interface CommandPanelOptions {
  /** May hold a dashboard variable, e.g. $asset. */
  assetId?: string;
  command?: string;
  /** Preset parameters as JSON, e.g. {"mps": 1.5}; the operator can still change them. */
  params?: string;
  label?: string;
}
