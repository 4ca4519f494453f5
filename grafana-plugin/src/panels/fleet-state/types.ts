import type { StatusFilter } from '../../components/Fleet/query';

export interface FleetStateOptions {
  assetClass?: string;
  site?: string;
  status?: StatusFilter;
  /** Cells shown (one API page: at most 500). */
  limit?: number;
  /** Reload period in seconds; 0 only with the dashboard's refresh. */
  refreshSeconds?: number;
}
