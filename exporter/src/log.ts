/**
 * The exporter's logs: JSON lines through pino, one root logger per process (the CLI makes it),
 * each part writing through a child that names it (`component`). fastify's servers and kafkajs's
 * clients write into the same logger, so every line has one shape and one level setting.
 */
import { logLevel as kafkaLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
import { pino, type DestinationStream, type Logger } from 'pino';
import { redacted, requestForLog, secretHeaders } from './access-log.js';
import type { LogLevel } from './config/types.js';

export type { Logger };

export interface LoggerOptions {
  level: LogLevel;
  /** Where lines go: a stream (tests), or a file descriptor; stdout by default. */
  destination?: DestinationStream | 1 | 2;
}

/** Censors a secret header wherever a record carries headers (`headers`, `req.headers`, …). */
const headerPaths = secretHeaders.flatMap((name) => [`headers["${name}"]`, `*.headers["${name}"]`]);

export function createLogger({ level, destination = 1 }: LoggerOptions): Logger {
  return pino(
    {
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: {
        req: requestForLog,
        res: (reply: { statusCode?: number }) => ({ statusCode: reply.statusCode }),
        err: pino.stdSerializers.err,
      },
      redact: { paths: headerPaths, censor: redacted },
    },
    typeof destination === 'number'
      ? pino.destination({ dest: destination, sync: true })
      : destination,
  );
}

let fallback: Logger | undefined;

/**
 * The logger of parts given none (unit tests, the exporter embedded in a tool or a benchmark):
 * warnings and errors only, on stderr, out of the way of the host's own output.
 */
export function fallbackLogger(): Logger {
  fallback ??= createLogger({ level: 'warn', destination: 2 });
  return fallback;
}

type KafkaLevelName = 'error' | 'warn' | 'info' | 'debug';

const fromKafka: Partial<Record<number, KafkaLevelName>> = {
  [kafkaLevel.ERROR]: 'error',
  [kafkaLevel.WARN]: 'warn',
  [kafkaLevel.INFO]: 'info',
  [kafkaLevel.DEBUG]: 'debug',
};

/** The kafkajs level that lets through what the logger would write (kafkajs has no trace). */
export function kafkaLogLevel(level: string): kafkaLevel {
  switch (level) {
    case 'silent':
      return kafkaLevel.NOTHING;
    case 'fatal':
    case 'error':
      return kafkaLevel.ERROR;
    case 'warn':
      return kafkaLevel.WARN;
    case 'info':
      return kafkaLevel.INFO;
    default:
      return kafkaLevel.DEBUG;
  }
}

/** A kafkajs log entry as a record: its level, its namespace and extra fields, its message. */
export function kafkaRecord(entry: LogEntry): {
  level: KafkaLevelName;
  fields: Record<string, unknown>;
  message: string;
} {
  const { timestamp: _timestamp, logger: _logger, message, ...extra } = entry.log;
  return {
    level: fromKafka[entry.level] ?? 'info',
    fields: { ...extra, namespace: entry.namespace },
    message,
  };
}

/** The `logLevel` and `logCreator` of a kafkajs client writing into `logger`. */
export function kafkaLogging(logger: Logger): Pick<KafkaConfig, 'logLevel' | 'logCreator'> {
  return {
    logLevel: kafkaLogLevel(logger.level),
    logCreator: () => (entry) => {
      const { level, fields, message } = kafkaRecord(entry);
      logger[level](fields, message);
    },
  };
}
