import { chromium, type Browser } from 'playwright-core';
import { installDebianPackages } from './system.js';

export const chromiumBinary = '/usr/bin/chromium';

/** Debian's Chromium; playwright-core drives it (no browser download). */
export function installChromium(): Promise<void> {
  return installDebianPackages('chromium', [{ name: 'chromium', provides: chromiumBinary }]);
}

/**
 * Headless Chromium with a fresh profile. The flags keep it off the network: this machine allows
 * only loopback, and background services would otherwise retry connections forever.
 */
export async function launchBrowser(): Promise<Browser> {
  await installChromium();
  return chromium.launch({
    executablePath: chromiumBinary,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
