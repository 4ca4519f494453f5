import { readFileSync } from 'node:fs';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { KafkaIngestConfig } from '../config/types.js';

/** What every kafkajs client of the exporter connects with: brokers, TLS and SASL. */
export type KafkaConnection = Pick<KafkaConfig, 'brokers' | 'ssl' | 'sasl'>;

/**
 * The connection settings from the configuration, with the PEM files read now, so a missing or
 * unreadable file stops the start with its key named rather than failing on first connect.
 */
export function kafkaConnection(
  config: KafkaIngestConfig,
  read: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): KafkaConnection {
  const { tls, sasl } = config;
  const file = (key: 'caFile' | 'certFile' | 'keyFile'): string => {
    const path = tls[key] as string;
    try {
      return read(path);
    } catch (error) {
      throw new Error(
        `ingest.kafka.tls.${key} "${path}" cannot be read: ${(error as Error).message}`,
        { cause: error },
      );
    }
  };
  return {
    brokers: config.brokers,
    ...(tls.enabled
      ? {
          ssl: {
            rejectUnauthorized: tls.rejectUnauthorized,
            ...(tls.caFile ? { ca: [file('caFile')] } : {}),
            ...(tls.certFile && tls.keyFile
              ? { cert: file('certFile'), key: file('keyFile') }
              : {}),
          },
        }
      : {}),
    ...(sasl.enabled
      ? {
          sasl: {
            mechanism: sasl.mechanism,
            username: sasl.username,
            password: sasl.password ?? '',
          } as SASLOptions,
        }
      : {}),
  };
}
