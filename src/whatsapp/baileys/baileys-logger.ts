/**
 * The logger handed to Baileys: a child of ours at BAILEYS_LOG_LEVEL, with one correction. Right
 * after a phone links the gateway, WhatsApp ends the stream with code 515 ("restart required") and
 * the gateway reconnects at once — every new link does this — yet Baileys logs it as an error.
 * Operators who alert on error lines would be paged by every successful pairing, so that one line
 * is logged at info as the expected restart it is.
 */
import type { Logger } from 'pino';

/** The shape Baileys' `logger` option takes (its ILogger, which the package does not export). */
export interface BaileysLogger {
  level: string;
  child(bindings: Record<string, unknown>): BaileysLogger;
  trace(obj: unknown, msg?: string): void;
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

const RESTART_REQUIRED = '515';

function isExpectedRestart(obj: unknown): boolean {
  const node = (obj as { fullErrorNode?: { tag?: string; attrs?: { code?: string } } } | null)?.fullErrorNode;
  return node?.tag === 'stream:error' && node.attrs?.code === RESTART_REQUIRED;
}

export function createBaileysLogger(logger: Logger): BaileysLogger {
  const log = (level: 'trace' | 'debug' | 'info' | 'warn' | 'error') => (obj: unknown, msg?: string) => {
    if (typeof obj === 'string') logger[level](obj);
    else logger[level](obj as object, msg);
  };
  return {
    get level() {
      return logger.level;
    },
    set level(level: string) {
      logger.level = level;
    },
    child: (bindings) => createBaileysLogger(logger.child(bindings)),
    trace: log('trace'),
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: (obj, msg) => {
      if (isExpectedRestart(obj)) logger.info({ code: 515 }, 'WhatsApp restarts the stream after pairing (515), as expected; reconnecting');
      else log('error')(obj, msg);
    },
  };
}
