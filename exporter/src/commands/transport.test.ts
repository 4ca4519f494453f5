import { describe, expect, it } from 'vitest';
import { parseAck, traceparent } from './transport.js';

const shape = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

describe('traceparent', () => {
  it("continues the caller's trace with a new span", () => {
    const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const context = traceparent(incoming);
    expect(context).toMatch(shape);
    expect(context.slice(0, 36)).toBe(incoming.slice(0, 36));
    expect(context.slice(36, 52)).not.toBe('00f067aa0ba902b7');
    expect(context.endsWith('-01')).toBe(true);
  });

  it.each([
    ['absent', undefined],
    ['malformed', '00-xyz-00f067aa0ba902b7-01'],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`],
    ['an all-zero span id', `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`],
    ['an unknown version', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['repeated', ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01']],
  ])('starts a new trace when the incoming one is %s', (_, incoming) => {
    const context = traceparent(incoming);
    expect(context).toMatch(shape);
    expect(context.slice(3, 35)).not.toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(traceparent(incoming).slice(3, 35)).not.toBe(context.slice(3, 35));
  });
});

describe('parseAck', () => {
  it('reads an ack and refuses what is not one', () => {
    const ack = { commandId: 'c-1', assetId: 'pump-1', status: 'done', reportedValue: 5 };
    expect(parseAck(Buffer.from(JSON.stringify(ack)))).toEqual(ack);
    expect(parseAck(Buffer.from('{"commandId":"c-1","assetId":"pump-1","status":"maybe"}'))).toBe(
      undefined,
    );
    expect(parseAck(Buffer.from('not json'))).toBe(undefined);
    expect(parseAck(Buffer.alloc(70 * 1024, 32))).toBe(undefined);
    expect(parseAck(null)).toBe(undefined);
  });
});
