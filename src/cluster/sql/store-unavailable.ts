/**
 * The shared store cannot be reached (PostgreSQL down, the network to it cut). Raised where a
 * connection is taken from the pool, so a request that needed the store is answered 503
 * STORE_UNAVAILABLE (try again) rather than a bare 500: nothing was written, and the same request
 * can succeed through a node that still reaches the database, or once this one does again.
 */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the shared database cannot be reached: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StoreUnavailableError';
  }
}

/**
 * Whether an error means no connection to the shared store could be had, so nothing was written.
 * A connection that dies under a statement is not counted: its COMMIT may have landed, so that
 * request stays an unknown outcome (500), to be retried with its Idempotency-Key.
 */
export function isStoreUnavailable(error: unknown): boolean {
  return error instanceof StoreUnavailableError;
}
