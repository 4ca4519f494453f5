import type { TwinPoint } from '../../exporter/src/model.js';

/** A synthetic fleet: asset i is `asset-i`, of one of eight classes and twenty sites. */
const classes = ['pump', 'valve', 'compressor', 'fan', 'chiller', 'boiler', 'meter', 'motor'];
const properties = ['temperature', 'pressure', 'speed'];

/** Every property of the assets, physical and twin, at time `t`: the points decoding gives. */
export function fleetPoints(
  ids: Iterable<number>,
  t: number,
  value: number | ((asset: number) => number),
): TwinPoint[] {
  const points: TwinPoint[] = [];
  for (const i of ids) {
    for (const property of properties) {
      for (const source of ['physical', 'twin'] as const) {
        points.push({
          assetId: `asset-${i}`,
          assetClass: classes[i % classes.length]!,
          site: `site-${i % 20}`,
          source,
          property,
          value: typeof value === 'number' ? value : value(i),
          sourceTimeMs: t,
          model: undefined,
          targetTimeMs: undefined,
          desiredVersion: undefined,
          reportedVersion: undefined,
        });
      }
    }
  }
  return points;
}

/** The ids from `from` up to `to` (excluded). */
export const idRange = (from: number, to: number): number[] =>
  Array.from({ length: to - from }, (_, k) => from + k);
