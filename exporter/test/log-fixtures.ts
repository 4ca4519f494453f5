import { createLogger, type Logger } from '../src/log.js';
import type { LogLevel } from '../src/config/types.js';

/** Tests: a logger writing into memory, and what it wrote, as text and as parsed records. */
export function capturedLogger(level: LogLevel = 'debug'): {
  logger: Logger;
  text: () => string;
  records: () => Record<string, unknown>[];
} {
  const lines: string[] = [];
  const logger = createLogger({
    level,
    destination: { write: (line: string) => lines.push(line) },
  });
  return {
    logger,
    text: () => lines.join(''),
    records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
