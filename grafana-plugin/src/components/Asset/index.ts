export { AssetView, isStaleObservation } from './AssetView';
