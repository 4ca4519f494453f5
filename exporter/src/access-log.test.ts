import { describe, expect, it } from 'vitest';
import { accessLevel, redactUrl, requestForLog } from './access-log.js';

describe('redactUrl', () => {
  it('keeps the path and the parameters the routes define', () => {
    expect(redactUrl('/api/v1/assets?class=pump&site=north&offset=0&limit=50')).toBe(
      '/api/v1/assets?class=pump&site=north&offset=0&limit=50',
    );
    expect(redactUrl('/api/v1/asset/history?id=a%2Fb&property=speed')).toBe(
      '/api/v1/asset/history?id=a%2Fb&property=speed',
    );
    expect(redactUrl('/metrics')).toBe('/metrics');
    expect(redactUrl('/metrics?')).toBe('/metrics?');
  });

  it('redacts, name and value, every other parameter: it could hold a token', () => {
    expect(redactUrl('/api/v1/assets?class=pump&access_token=s3cret&limit=5')).toBe(
      '/api/v1/assets?class=pump&[redacted]&limit=5',
    );
    expect(redactUrl('/metrics?eyJhbGciOiJFUzI1NiJ9.e30.sig')).toBe('/metrics?[redacted]');
    expect(redactUrl('/x?token=a&token=b&&id=1')).toBe('/x?[redacted]&[redacted]&&id=1');
    // A name is compared as sent: an escaped one is not a route's parameter.
    expect(redactUrl('/x?%69d=s3cret')).toBe('/x?[redacted]');
  });

  it('cuts a URL longer than 1 KiB', () => {
    const url = redactUrl(`/api/v1/assets/${'a'.repeat(2000)}`);
    expect(url).toHaveLength(1025);
    expect(url.endsWith('…')).toBe(true);
  });
});

describe('requestForLog', () => {
  it('shows method, redacted URL and address, never headers', () => {
    const request = {
      method: 'GET',
      url: '/api/v1/assets?secret=x',
      ip: '10.0.0.1',
      headers: { authorization: 'Bearer s3cret', cookie: 'session=s3cret' },
    };
    expect(requestForLog(request)).toEqual({
      method: 'GET',
      url: '/api/v1/assets?[redacted]',
      remoteAddress: '10.0.0.1',
    });
    expect(requestForLog({ method: 'POST', socket: { remoteAddress: '::1' } })).toEqual({
      method: 'POST',
      url: undefined,
      remoteAddress: '::1',
    });
  });
});

describe('accessLevel', () => {
  it.each([
    [200, false, 'info'],
    [404, false, 'info'],
    [401, false, 'info'],
    [200, true, 'debug'],
    [429, true, 'debug'],
    [503, true, 'warn'],
    [503, false, 'warn'],
    [500, true, 'error'],
    [500, false, 'error'],
  ] as const)('%i from %s machines: %s', (status, machines, level) => {
    expect(accessLevel(status, machines)).toBe(level);
  });
});
