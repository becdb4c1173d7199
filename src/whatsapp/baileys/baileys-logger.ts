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

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/**
 * `logger`, or how to make it: Baileys makes a child logger for every message it builds (bound
 * to the message id) and almost always logs nothing through it at the levels a gateway runs at,
 * so a child's pino logger is made only when a line at an enabled level needs it.
 */
export function createBaileysLogger(logger: Logger | (() => Logger), parent?: Logger): BaileysLogger {
  let made = typeof logger === 'function' ? undefined : logger;
  const real = () => (made ??= (logger as () => Logger)());
  const log = (level: Level) => (obj: unknown, msg?: string) => {
    // Not made yet: it would have its parent's level, so the parent decides.
    if (!made && parent && !parent.isLevelEnabled(level)) return;
    const target = real();
    if (typeof obj === 'string') target[level](obj);
    else target[level](obj as object, msg);
  };
  return {
    get level() {
      return made ? made.level : (parent?.level ?? real().level);
    },
    set level(level: string) {
      real().level = level;
    },
    child: (bindings) => {
      const self = real();
      return createBaileysLogger(() => self.child(bindings), self);
    },
    trace: log('trace'),
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: (obj, msg) => {
      if (isExpectedRestart(obj)) real().info({ code: 515 }, 'WhatsApp restarts the stream after pairing (515), as expected; reconnecting');
      else log('error')(obj, msg);
    },
  };
}
