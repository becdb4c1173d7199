/**
 * Baileys rc14 leaves timers running after `sock.end()`, which keeps a test process alive:
 * - `uploadPreKeys` races each upload against a 30 s `setTimeout` that is never cleared
 *   (lib/Socket/socket.js), and a freshly paired companion always uploads;
 * - `end()` removes the WebSocket's 'close' listeners before closing, so a query still in flight
 *   never rejects and its `defaultQueryTimeoutMs` timer runs to the end.
 *
 * This wraps the global setTimeout so timers created from Baileys' code no longer keep the process
 * alive (they still fire if it is alive). Install it before creating sockets; call the returned
 * function to restore the original.
 */
export function unrefBaileysTimers(): () => void {
  const original = globalThis.setTimeout;
  const patched = ((handler: (...args: unknown[]) => void, timeout?: number, ...args: unknown[]) => {
    const timer = original(handler, timeout, ...args);
    if ((timeout ?? 0) >= 1000 && new Error().stack?.includes('@whiskeysockets/baileys')) timer.unref();
    return timer;
  }) as typeof setTimeout;
  globalThis.setTimeout = Object.assign(patched, original);
  return () => {
    globalThis.setTimeout = original;
  };
}
