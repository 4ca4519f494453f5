import { type Browser } from 'playwright-core';
export declare const chromiumBinary = '/usr/bin/chromium';
/** Debian's Chromium; playwright-core drives it (no browser download). */
export declare function installChromium(): Promise<void>;
/**
 * Headless Chromium with a fresh profile. The flags keep it off the network: this machine allows
 * only loopback, and background services would otherwise retry connections forever.
 */
export declare function launchBrowser(): Promise<Browser>;
