/**
 * Graceful shutdown, once: stop accepting connections, let in-flight requests (sends) finish
 * within a bound, then close the WhatsApp socket without logging out, so the next start logs
 * straight back in. A second signal forces the exit.
 */
import type { Server } from 'node:http';
import type { Logger } from 'pino';

/** How often the drain closes connections that have turned idle since it began. */
const IDLE_SWEEP_MS = 100;

export interface ShutdownOptions {
  server: Server;
  logger: Logger;
  timeoutMs: number;
  /** Called as shutdown begins, before the HTTP drain (e.g. to end waits that would prolong it). */
  beforeDrain?: () => void;
  /** Closes everything behind the HTTP server (WhatsApp socket, stores), in order. */
  closeResources: () => Promise<void>;
  exit?: (code: number) => void;
}

export interface Shutdown {
  begin(signal: string): Promise<void>;
  isShuttingDown(): boolean;
}

export function createShutdown(options: ShutdownOptions): Shutdown {
  const { server, logger } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let started: Promise<void> | undefined;

  const drainHttp = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        logger.warn({ timeoutMs: options.timeoutMs }, 'in-flight requests did not finish in time; closing them');
        server.closeAllConnections();
        resolve();
      }, options.timeoutMs);
      // Idle keep-alive connections would otherwise hold close() open until they time out, and the
      // keep-alive limit is long (KEEP_ALIVE_TIMEOUT): a connection whose request finishes during
      // the drain turns idle then, so idle ones are closed again until the server has closed.
      const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
      server.close(() => {
        clearTimeout(timer);
        clearInterval(sweep);
        resolve();
      });
      server.closeIdleConnections();
    });

  return {
    isShuttingDown: () => started !== undefined,
    begin(signal: string) {
      if (started) {
        logger.warn({ signal }, 'second signal: exiting now');
        exit(1);
        return started;
      }
      logger.info({ signal }, 'shutting down: finishing in-flight requests');
      started = (async () => {
        let code = 0;
        const began = Date.now();
        try {
          options.beforeDrain?.();
          await drainHttp();
          // The bound covers the whole shutdown: an outbox upload or a webhook that hangs must not
          // keep the process alive until systemd kills it.
          const remaining = Math.max(1000, options.timeoutMs - (Date.now() - began));
          let timer: NodeJS.Timeout | undefined;
          const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), remaining)));
          const result = await Promise.race([options.closeResources().then(() => 'closed' as const), timedOut]);
          clearTimeout(timer);
          if (result === 'timeout') {
            logger.error({ timeoutMs: options.timeoutMs }, 'resources did not close in time; exiting anyway');
            code = 1;
          } else logger.info('shutdown complete');
        } catch (error) {
          logger.error({ err: error }, 'error during shutdown');
          code = 1;
        }
        logger.flush?.();
        exit(code);
      })();
      return started;
    },
  };
}
