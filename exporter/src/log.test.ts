import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { capturedLogger as capture } from '../test/log-fixtures.js';
import { kafkaLogLevel, kafkaLogging, kafkaRecord } from './log.js';

describe('createLogger', () => {
  it('writes JSON lines with level, time and message, from its level up', () => {
    const { logger, records } = capture('warn');
    logger.info('not written');
    logger.child({ component: 'durability' }).warn({ seq: 4 }, 'checkpoint failed');
    expect(records()).toEqual([
      expect.objectContaining({
        level: 40,
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        component: 'durability',
        seq: 4,
        msg: 'checkpoint failed',
      }),
    ]);
  });

  it('censors secret headers and never writes a request’s headers', () => {
    const { logger, text: written } = capture('info');
    const headers = {
      authorization: 'Bearer tok-1',
      cookie: 'grafana_session=tok-2',
      'x-grafana-id': 'tok-3',
      'x-twinops-proxy-secret': 'tok-4',
      'user-agent': 'curl',
    };
    logger.info({ headers }, 'direct');
    logger.info({ request: { headers } }, 'nested');
    logger.info({ req: { method: 'GET', url: '/a?token=tok-5', headers } }, 'serialized');
    const text = written();
    for (const secret of ['tok-1', 'tok-2', 'tok-3', 'tok-4', 'tok-5'])
      expect(text).not.toContain(secret);
    expect(text).toContain('"authorization":"[redacted]"');
    expect(text).toContain('"user-agent":"curl"');
  });
});

describe('kafkajs logs', () => {
  it('maps levels both ways', () => {
    expect(
      ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'].map(kafkaLogLevel),
    ).toEqual([
      logLevel.NOTHING,
      logLevel.ERROR,
      logLevel.ERROR,
      logLevel.WARN,
      logLevel.INFO,
      logLevel.DEBUG,
      logLevel.DEBUG,
    ]);
    const entry = (level: logLevel) => ({
      namespace: 'Connection',
      level,
      label: 'X',
      log: { timestamp: 't', logger: 'kafkajs', message: 'm', broker: 'b:9092' },
    });
    expect(kafkaRecord(entry(logLevel.ERROR))).toEqual({
      level: 'error',
      fields: { broker: 'b:9092', namespace: 'Connection' },
      message: 'm',
    });
    expect(kafkaRecord(entry(logLevel.WARN)).level).toBe('warn');
    expect(kafkaRecord(entry(logLevel.INFO)).level).toBe('info');
    expect(kafkaRecord(entry(logLevel.DEBUG)).level).toBe('debug');
  });

  it('writes kafkajs entries into the logger with the namespace as a field', () => {
    const { logger, records } = capture('warn');
    const logging = kafkaLogging(logger.child({ component: 'kafka' }));
    expect(logging.logLevel).toBe(logLevel.WARN);
    const write = logging.logCreator!(logLevel.WARN);
    write({
      namespace: 'Consumer',
      level: logLevel.ERROR,
      label: 'ERROR',
      log: { timestamp: 't', logger: 'kafkajs', message: 'Crash: broker gone', groupId: 'g' },
    });
    expect(records()).toEqual([
      expect.objectContaining({
        level: 50,
        component: 'kafka',
        namespace: 'Consumer',
        groupId: 'g',
        msg: 'Crash: broker gone',
      }),
    ]);
  });
});
