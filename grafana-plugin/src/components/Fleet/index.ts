export { FleetTable } from './FleetTable';
export { fleetFiltersFromParams, fleetQuery, type FleetFilters, type StatusFilter } from './query';
