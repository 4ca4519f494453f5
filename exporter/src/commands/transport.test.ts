import { describe, expect, it } from 'vitest';
import { parseAck } from './transport.js';

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
