/**
 * The process-wide policy for errors nothing else caught. Every request path handles its own
 * errors where they arise; these handlers exist so that a bug we did not foresee is loud in the
 * log and costs as little as possible.
 *
 * - An unhandled promise rejection: the async operation it belonged to has already failed and
 *   unwound; nothing is left half-done on the stack, and other requests' state is untouched. Node
 *   would end the process (and every in-flight send with it) for what is a lost error report, so
 *   the gateway logs it at error level and keeps serving.
 * - An uncaught exception: it was thrown out of a synchronous callback that stopped half-way (a
 *   stream or socket handler, a listener list), so the process is in a state nobody can vouch
 *   for; Node's own advice is not to resume. The gateway logs it as fatal and exits with code 1;
 *   systemd (Restart=on-failure) starts it again within seconds. Nothing is lost by exiting at once:
 *   the store, the outbox and the upload sweep are built to survive a kill -9 at any point.
 */
import type { Logger } from 'pino';

export interface LastResortOptions {
  logger: Logger;
  /** The process to watch (a stand-in in tests). */
  target?: NodeJS.EventEmitter;
  exit?: (code: number) => void;
}

export function installLastResort({ logger, target = process, exit = (code) => process.exit(code) }: LastResortOptions): () => void {
  const onRejection = (reason: unknown) => {
    logger.error({ err: reason }, 'BUG: unhandled promise rejection; the gateway keeps serving (see src/lifecycle/last-resort.ts)');
  };
  const onException = (error: unknown, origin?: string) => {
    logger.fatal({ err: error, origin }, 'BUG: uncaught exception; exiting so that the service manager restarts a clean process');
    logger.flush?.();
    exit(1);
  };
  target.on('unhandledRejection', onRejection);
  target.on('uncaughtException', onException);
  return () => {
    target.off('unhandledRejection', onRejection);
    target.off('uncaughtException', onException);
  };
}
