export { FleetTable } from './FleetTable';
export { fleetQuery, type FleetFilters, type StatusFilter } from './query';
