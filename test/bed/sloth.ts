import { goInstall } from './go.js';
import { cachePath } from '../../tools/paths.js';

export const SLOTH_VERSION = 'v0.16.0';

/** Builds Sloth (the SLO rule generator alerts/ is compared with) once per version; returns its path. */
export function installSloth(): Promise<string> {
  return goInstall(
    'sloth',
    `github.com/slok/sloth/cmd/sloth@${SLOTH_VERSION}`,
    cachePath('sloth', SLOTH_VERSION),
    'sloth',
    'about 2 minutes on 2 cores',
  );
}
