import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/index.js';
import type { KafkaIngestConfig } from '../config/types.js';
import { kafkaConnection } from './connection.js';

const base = defaultConfig.ingest.kafka;
const files: Record<string, string> = { '/ca.pem': 'CA', '/cert.pem': 'CERT', '/key.pem': 'KEY' };
const read = (path: string): string => {
  const text = files[path];
  if (text === undefined) throw new Error('ENOENT: no such file');
  return text;
};

describe('kafkaConnection', () => {
  it('is plain brokers when TLS and SASL are off', () => {
    expect(kafkaConnection(base, read)).toEqual({ brokers: base.brokers });
  });

  it('reads the PEM files and passes SASL through', () => {
    const config: KafkaIngestConfig = {
      ...base,
      tls: {
        enabled: true,
        caFile: '/ca.pem',
        certFile: '/cert.pem',
        keyFile: '/key.pem',
        rejectUnauthorized: true,
      },
      sasl: { enabled: true, mechanism: 'scram-sha-256', username: 'twinops', password: 'pw' },
    };
    expect(kafkaConnection(config, read)).toEqual({
      brokers: base.brokers,
      ssl: { rejectUnauthorized: true, ca: ['CA'], cert: 'CERT', key: 'KEY' },
      sasl: { mechanism: 'scram-sha-256', username: 'twinops', password: 'pw' },
    });
  });

  it('names the key and the file it cannot read', () => {
    const config: KafkaIngestConfig = {
      ...base,
      tls: { enabled: true, caFile: '/missing.pem', rejectUnauthorized: true },
    };
    expect(() => kafkaConnection(config, read)).toThrow(
      'ingest.kafka.tls.caFile "/missing.pem" cannot be read: ENOENT: no such file',
    );
  });
});
