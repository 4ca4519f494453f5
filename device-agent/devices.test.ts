import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedDevices, type DeviceAck } from './devices.js';
import { checkCommand } from './protocol.js';
import type { Reading } from './reporter.js';

/** The devices' state file: what they were told survives their process, as equipment does. */

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function stateFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'twinops-devices-'));
  dirs.push(dir);
  return join(dir, 'devices.json');
}

function devices(file: string, reports: Reading[] = []) {
  return new SimulatedDevices({
    reporter: { report: async (reading) => (reports.push(reading), []) },
    reportEveryMs: 0,
    initialValues: [{ assetId: 'conveyor-1', assetClass: 'conveyor', values: { mode: 'auto' } }],
    stateFile: file,
  });
}

const command = (commandId: string, property: string, value: string | number) =>
  checkCommand({
    commandId,
    assetId: 'conveyor-1',
    assetClass: 'conveyor',
    name: 'set',
    property,
    value,
    params: {},
    issuedAtMs: Date.now(),
  });

describe('simulated devices with a state file', () => {
  it('keep every applied value across a restart, over their initial values', async () => {
    const file = stateFile();
    const acks: DeviceAck[] = [];
    const first = devices(file);
    await first.handle(command('c1', 'mode', 'manual'), async (ack) => void acks.push(ack));
    await first.handle(command('c2', 'speed', 1.6), async (ack) => void acks.push(ack));
    expect(acks.map((ack) => ack.status)).toEqual(['accepted', 'done', 'accepted', 'done']);
    // No stop: the process is simply gone. A new one reads the file.
    const reports: Reading[] = [];
    const second = devices(file, reports);
    expect(second.assetValue('conveyor-1', 'mode')).toBe('manual');
    expect(second.assetValue('conveyor-1', 'speed')).toBe(1.6);
    second.startReports();
    await second.stopReports();
    expect(reports[0]).toMatchObject({
      assetId: 'conveyor-1',
      assetClass: 'conveyor',
      values: [
        ['mode', 'manual'],
        ['speed', 1.6],
      ],
    });
    expect(existsSync(`${file}.tmp`)).toBe(false);
  });

  it('start from their initial values when the file does not exist yet', () => {
    const file = stateFile();
    expect(devices(file).assetValue('conveyor-1', 'mode')).toBe('auto');
    expect(existsSync(file)).toBe(false);
  });

  it('refuse a damaged state file, naming it, rather than forget silently', () => {
    const file = stateFile();
    writeFileSync(file, '{"version":1,"assets":');
    expect(() => devices(file)).toThrow(`device state ${file} is not JSON`);
    writeFileSync(file, JSON.stringify({ version: 2, assets: {} }));
    expect(() => devices(file)).toThrow(`device state ${file} is not a version 1 state file`);
    expect(readFileSync(file, 'utf8')).toBe('{"version":2,"assets":{}}');
  });
});
