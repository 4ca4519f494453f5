export { SloStatus } from './SloStatus';
