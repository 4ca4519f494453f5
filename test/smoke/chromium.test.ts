import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchBrowser, serveHttp, type LoopbackServer } from '../bed/index.js';

const page = `<!doctype html><title>twinops smoke</title>
<button id="act" onclick="document.getElementById('out').textContent = 'acted on ' + location.port">act</button>
<p id="out">idle</p>`;

describe('Chromium (Debian, headless) driven by playwright-core', () => {
  let site: LoopbackServer;
  let browser: Browser;
  beforeAll(async () => {
    site = await serveHttp((_req, res) => {
      res.setHeader('Content-Type', 'text/html');
      res.end(page);
    });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  it('loads a loopback page, runs its script on a click and takes a screenshot', async () => {
    const tab = await browser.newPage();
    await tab.goto(site.url);
    expect(await tab.title()).toBe('twinops smoke');
    await tab.click('#act');
    expect(await tab.textContent('#out')).toBe(`acted on ${site.port}`);
    const png = await tab.screenshot();
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  });
});
