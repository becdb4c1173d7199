/**
 * libsignal (Baileys' Signal implementation) reports session changes with console.info/warn,
 * dumping whole session records — ratchet and chain keys included — to stdout, i.e. into the
 * journal, and every failed decryption with two console.error lines (a flood of forged messages
 * would flood the journal; the transport logs those itself, throttled: undecryptable-log.ts).
 * Those lines are routed to our logger at debug level, without the key material; every other
 * console line passes through untouched.
 */
import type { Logger } from 'pino';

const LIBSIGNAL_NOTICES =
  /^(Closing session|Opening session|Removing old closed session|Session already (closed|open)|Closing open session|Closing stale open session|Migrating session|Decrypted message with closed session|Failed to decrypt message with any known session|Session error:)/;

/* eslint-disable no-console -- this module exists to intercept a library's console output */
let installed = false;

export function routeLibsignalConsole(logger: Logger): void {
  if (installed) return;
  installed = true;
  for (const level of ['info', 'warn', 'error'] as const) {
    const original = console[level].bind(console);
    console[level] = (...args: unknown[]) => {
      const first = args[0];
      if (typeof first === 'string' && LIBSIGNAL_NOTICES.test(first)) {
        logger.debug(first.replace(/:$/, ''));
        return;
      }
      original(...args);
    };
  }
}
