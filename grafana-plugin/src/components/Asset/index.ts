export { AssetDetails, isStaleObservation } from './AssetDetails';
