import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../exporter/src/config/load.js';
import { assetsRequest } from '../support/acknowledged-load.js';
import { startExporterProcess, type ExporterProcess } from '../support/exporter-process.js';

/**
 * Work per byte is bounded before decoding: bodies that pack a JSON value (or a protobuf message)
 * into every two or three bytes cost the exporter's heap and event loop no more than their size
 * says. Found by an attack run: 8 MB of `[{},{},…]` blocked the event loop for 1.7–3 s, and 16
 * of them in parallel took the process to 1.93 GB.
 */

const parallel = 16;
const { maxBodyBytes, maxElementsPerRequest } = defaultConfig.ingest;

/** `{"resourceMetrics":[{},{},…]}` of `items` empty resources. */
const emptyResources = (items: number) =>
  Buffer.from(`{"resourceMetrics":[${Array(items).fill('{}').join(',')}]}`);

/** Kilobytes of a /proc/PID/status field: VmRSS now, VmHWM the peak since the process began. */
function memoryKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]);
}

/** The exporter's longest event-loop delay since its last scrape (prom-client resets it). */
async function eventLoopLagMaxSeconds(exporter: ExporterProcess): Promise<number> {
  const text = await (await fetch(`${exporter.metricsUrl}/metrics`)).text();
  return Number(/^twin_exporter_nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(text)![1]);
}

async function refusedTooLarge(exporter: ExporterProcess): Promise<number> {
  const text = await (await fetch(`${exporter.metricsUrl}/metrics`)).text();
  const line = /^twin_exporter_ingest_refused_total\{[^}]*reason="too_large"[^}]*\} (\S+)$/m.exec(
    text,
  );
  return line ? Number(line[1]) : 0;
}

const post = (exporter: ExporterProcess, body: Buffer) =>
  fetch(`${exporter.otlpUrl}/v1/metrics`, {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'application/json' },
  });

describe('JSON amplification', () => {
  let exporter: ExporterProcess;

  beforeAll(async () => {
    exporter = await startExporterProcess({ state: { snapshot: { path: ':memory:' } } });
    // Warm: the first request compiles the decoders.
    const { body } = assetsRequest('pump', ['pump-1'], 1, Date.now());
    const warm = await fetch(`${exporter.otlpUrl}/v1/metrics`, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/x-protobuf' },
    });
    expect(warm.status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await exporter?.stop();
  });

  it('refuses 16 parallel bodies of 8 MB of empty objects with 413, in bounded memory and time', async () => {
    const body = emptyResources(Math.floor((maxBodyBytes - 24) / 3));
    expect(body.length).toBeLessThanOrEqual(maxBodyBytes);
    const refusedBefore = await refusedTooLarge(exporter);
    const rssBeforeKb = memoryKb(exporter.pid, 'VmRSS');
    await eventLoopLagMaxSeconds(exporter);

    const answers = await Promise.all(Array.from({ length: parallel }, () => post(exporter, body)));
    const lagSeconds = await eventLoopLagMaxSeconds(exporter);
    const peakGrowthMb = (memoryKb(exporter.pid, 'VmHWM') - rssBeforeKb) / 1024;
    console.log(
      `16 × ${(body.length / 2 ** 20).toFixed(1)} MiB of [{},…]: peak RSS +${peakGrowthMb.toFixed(0)} MiB, ` +
        `longest event-loop delay ${(lagSeconds * 1000).toFixed(0)} ms`,
    );

    for (const answer of answers) {
      expect(answer.status).toBe(413);
      expect(await answer.json()).toMatchObject({
        message: `request holds more than ${maxElementsPerRequest} JSON values; send it in smaller batches`,
      });
    }
    expect(await refusedTooLarge(exporter)).toBe(refusedBefore + parallel);
    // The bodies themselves (16 × 8 MiB, read and joined) and no more: it was 1.93 GB.
    expect(peakGrowthMb).toBeLessThan((parallel * 2 * maxBodyBytes) / 2 ** 20 + 100);
    // A count over the bytes, not a parse: it was 1.7–3 s per body.
    expect(lagSeconds).toBeLessThan(0.5);
  }, 120_000);

  it('decodes 16 parallel bodies just under the element cap in bounded memory, one at a time', async () => {
    // Request, array, and one brace and one comma per item: just under the cap.
    const body = emptyResources(Math.floor((maxElementsPerRequest - 2) / 2));
    const rssBeforeKb = memoryKb(exporter.pid, 'VmRSS');
    await eventLoopLagMaxSeconds(exporter);

    const answers = await Promise.all(Array.from({ length: parallel }, () => post(exporter, body)));
    const lagSeconds = await eventLoopLagMaxSeconds(exporter);
    const peakGrowthMb = (memoryKb(exporter.pid, 'VmHWM') - rssBeforeKb) / 1024;
    console.log(
      `16 × ${(body.length / 2 ** 20).toFixed(2)} MiB at the element cap: peak RSS +${peakGrowthMb.toFixed(0)} MiB, ` +
        `longest event-loop delay ${(lagSeconds * 1000).toFixed(0)} ms`,
    );

    for (const answer of answers) expect(answer.status).toBe(200);
    // Decoding is synchronous, so one request's objects at a time: 100–200 bytes per element.
    expect(peakGrowthMb).toBeLessThan((maxElementsPerRequest * 400) / 2 ** 20 + 100);
    expect(lagSeconds).toBeLessThan(1);
    // And the exporter still takes real telemetry.
    const { body: real } = assetsRequest('pump', ['pump-2'], 2, Date.now());
    const after = await fetch(`${exporter.otlpUrl}/v1/metrics`, {
      method: 'POST',
      body: real,
      headers: { 'Content-Type': 'application/x-protobuf' },
    });
    expect(after.status).toBe(200);
  }, 120_000);
});
