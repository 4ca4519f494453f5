import { describe, expect, it } from 'vitest';
import type { AssetView, PropertyView } from '../../twin/reads.js';
import { lookupCommand, guardedAssetOf } from './context.js';
import { testCommandsConfig } from '../../../test/commands/guards/fixtures.js';

function property(name: string, physical: number | string | null): PropertyView {
  return {
    property: name,
    physical:
      physical === null ? null : { value: physical, sourceTimeMs: 100, receivedMs: 110, ageMs: 5 },
    twin: null,
    divergence: {
      comparable: false,
      differsSinceMs: null,
      graceFromMs: null,
      diverged: false,
      tolerance: null,
      graceMs: 0,
    },
    pendingPredictions: 0,
  };
}

const view: AssetView = {
  id: 'pump-1',
  assetClass: 'pump',
  site: null,
  lastSeenMs: 100,
  newestPhysicalMs: 100,
  staleAfterMs: 30_000,
  stale: false,
  diverged: true,
  dark: false,
  versions: {
    desiredVersion: 9,
    desiredTimeMs: 90,
    reportedVersion: 8,
    reportedTimeMs: 95,
    unconvergedChanges: 1,
    oldestUnconvergedAgeSeconds: 0,
  },
  properties: [property('speed', 1000), property('mode', 'auto'), property('pressure', null)],
};

describe('guardedAssetOf', () => {
  it('takes the physical side, the reported value of the commanded property and the reported version', () => {
    const snapshot = guardedAssetOf(view, 'speed');
    expect(snapshot).toMatchObject({
      id: 'pump-1',
      assetClass: 'pump',
      reported: { value: 1000, sourceTimeMs: 100 },
      stale: false,
      diverged: true,
      stateVersion: 8,
    });
    expect({ ...snapshot.properties }).toEqual({ speed: 1000, mode: 'auto' });
  });

  it('has no reported value for a property without a physical side', () => {
    expect(guardedAssetOf(view, 'pressure').reported).toBeNull();
    expect(guardedAssetOf({ ...view, versions: null }, 'speed').stateVersion).toBeNull();
  });
});

describe('lookupCommand', () => {
  it('finds own catalog entries only', () => {
    const { catalog } = testCommandsConfig;
    expect(lookupCommand(catalog, 'pump', 'setSpeed')?.risk).toBe('medium');
    expect(lookupCommand(catalog, 'pump', 'constructor')).toBeUndefined();
    expect(lookupCommand(catalog, '__proto__', 'setSpeed')).toBeUndefined();
  });
});
