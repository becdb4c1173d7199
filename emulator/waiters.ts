/**
 * Waits on the emulator's state (a message, a receipt, a login): each wait re-checks its probe
 * whenever the state changes (`notify`), and times out on its own. Pending waits are rejected by
 * `cancelAll` on stop(), so their timers cannot keep a test process alive.
 */
export class Waiters {
  private readonly wakers = new Set<() => void>();
  private readonly cancels = new Set<() => void>();

  /** Resolves with the first value `probe` finds, now or after a later `notify`. */
  waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const found = probe();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const wake = (): void => {
        const value = probe();
        if (value === undefined) return;
        cleanup();
        resolve(value);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`emulator: ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const cancel = (): void => {
        cleanup();
        reject(new Error(`emulator stopped while waiting: ${what}`));
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        this.cancels.delete(cancel);
      };
      this.wakers.add(wake);
      this.cancels.add(cancel);
    });
  }

  /** The state changed: every pending wait checks its probe again. */
  notify(): void {
    for (const wake of [...this.wakers]) wake();
  }

  cancelAll(): void {
    for (const cancel of [...this.cancels]) cancel();
  }
}
