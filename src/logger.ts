/**
 * The process logger: JSON lines for journald, pretty output when a person watches a terminal.
 * API keys never reach the log: request headers are never logged, and these paths are redacted
 * as a second line of defence.
 *
 * JSON lines are written in batches: a line at info or below waits in a small buffer (until 4 KB
 * or LOG_FLUSH_MS have gathered) and a warning, error or fatal line is written at once, with
 * everything before it. A busy gateway logs two lines per send; one write per line was about a
 * tenth of the CPU a send costs. The buffer is written out when the process exits (pino's exit
 * hook) and by `logger.flush()`; a kill -9 can lose at most the last LOG_FLUSH_MS of info lines,
 * never a record (those are in SQLite before any answer).
 */
import { pino, type DestinationStream, type Logger } from 'pino';

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
  // Sessions: a new session's key (shown once) and its webhook secret.
  'api_key',
  'data.api_key',
  'webhook_secret',
  'webhook.secret',
];

/** How long an info line may wait in the buffer. */
export const LOG_FLUSH_MS = 200;
const BATCH_BYTES = 4096;
/** pino's numeric level of `warn`: from here on a line is written at once. */
const WARN = 40;

export function createLogger(level: string, pretty = process.stdout.isTTY === true): Logger {
  const options = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (pretty) return pino({ ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:standard', ignore: 'pid,hostname' } } });

  // pino.destination registers its own flush on process exit; periodicFlush is an unref'd timer
  // (a write of nothing when nothing waits, which costs next to nothing).
  const destination = pino.destination({ dest: 1, sync: false, minLength: BATCH_BYTES, periodicFlush: LOG_FLUSH_MS });
  return pino(
    {
      ...options,
      hooks: {
        logMethod(args, method, lineLevel) {
          method.apply(this, args);
          // While an earlier batch is being written, flush() leaves this to the next period.
          if (lineLevel >= WARN) destination.flush();
        },
      },
    },
    destination as DestinationStream,
  );
}
