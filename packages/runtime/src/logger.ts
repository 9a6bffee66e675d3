import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * One JSON logger per process with a small fixed vocabulary of fields
 * (`node`, `component`, `socketId`, `userId`, `room`, `topic`, `partition`,
 * `offset`, `batchRows`, `elapsedMs`). Components take a child logger. Nothing
 * is logged per chat message.
 */
export function createLogger(
  base: { service: string; node?: string },
  level = process.env.LOG_LEVEL ?? 'info',
): Logger {
  return pino({
    level,
    base,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
