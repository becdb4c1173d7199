/**
 * The process logger: JSON lines for journald, pretty output when a person watches a terminal.
 * API keys never reach the log: request headers are never logged, and these paths are redacted
 * as a second line of defence.
 *
 * JSON lines are written in batches: a line at info or below waits in a small buffer (until 16 KB
 * or LOG_FLUSH_MS have gathered; LineBatch below) and a warning, error or fatal line is written
 * at once, with everything before it. A busy gateway logs a line per request and two per send;
 * each write is a hand-off to libuv's thread pool, and one per line was about a tenth of the CPU
 * a send costs. The buffer is written out when the process exits (ours, then pino's exit hook)
 * and by `logger.flush()`; a kill -9 can lose at most the last LOG_FLUSH_MS of info lines, never
 * a record (those are in SQLite before any answer).
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
const BATCH_BYTES = 16 * 1024;
/** pino's numeric level of `warn`: from here on a line is written at once. */
const WARN = 40;

export function createLogger(level: string, pretty = process.stdout.isTTY === true): Logger {
  const options = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (pretty) return pino({ ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:standard', ignore: 'pid,hostname' } } });

  const lines = new LineBatch();
  // Registered before pino.destination registers its own exit flush, so the lines gathered here
  // reach the destination before it writes out what it holds.
  process.on('beforeExit', () => lines.flush());
  process.on('exit', () => lines.flushSync());
  // The batches are made by LineBatch; the destination writes each as it comes (minLength 0).
  lines.out = pino.destination({ dest: 1, sync: false, minLength: 0 });
  return pino(
    {
      ...options,
      hooks: {
        logMethod(args, method, lineLevel) {
          method.apply(this, args);
          // While an earlier batch is being written, this one follows it as soon as it is done.
          if (lineLevel >= WARN) lines.flush();
        },
      },
    },
    lines as DestinationStream,
  );
}

/**
 * The lines of one batch, kept in an array until BATCH_BYTES or LOG_FLUSH_MS have gathered, then
 * handed to the destination as one string. (sonic-boom batches by itself with minLength, but it
 * appends each line to its pending string and measures that string's bytes on every write, which
 * flattens it: a copy of the whole batch per line, too costly for batches of more than a few KB.)
 */
class LineBatch {
  out: ReturnType<typeof pino.destination> | undefined;
  private pending: string[] = [];
  private chars = 0;
  private timer: NodeJS.Timeout | undefined;

  write(line: string): boolean {
    this.pending.push(line);
    this.chars += line.length;
    if (this.chars >= BATCH_BYTES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), LOG_FLUSH_MS).unref();
    return true;
  }

  /** Hands what waits to the destination, which writes it as soon as an earlier write is done. */
  flush(done?: (error?: Error) => unknown): void {
    const batch = this.take();
    if (batch) this.out?.write(batch);
    if (!done) return;
    if (this.out) this.out.flush(done);
    else done();
  }

  /** At exit there is no event loop any more: what waits, here and in the destination, is written now. */
  flushSync(): void {
    const out = this.out;
    if (!out || (out as { destroyed?: boolean }).destroyed) return;
    const batch = this.take();
    if (batch) {
      // An asynchronous write would never happen now.
      (out as { sync?: boolean }).sync = true;
      out.write(batch);
    }
    out.flushSync();
  }

  private take(): string | undefined {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return undefined;
    const batch = this.pending.join('');
    this.pending = [];
    this.chars = 0;
    return batch;
  }
}
