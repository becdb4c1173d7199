/**
 * The process logger: JSON lines for journald, pretty output when a person watches a terminal.
 * API keys never reach the log: request headers are never logged, and these paths are redacted
 * as a second line of defence.
 */
import { pino, type Logger } from 'pino';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'apiKey',
  'apiKeys',
  'config.apiKeys',
  'secret',
  'webhooks.secret',
  'config.webhooks.secret',
];

export function createLogger(level: string, pretty = process.stdout.isTTY === true): Logger {
  return pino({
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:standard', ignore: 'pid,hostname' } } } : {}),
  });
}
