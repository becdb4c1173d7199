/**
 * The https.Agent for media uploads, in production as in tests. Keep-alive, so a burst of images
 * shares one TLS connection; but an idle connection is dropped after FREE_SOCKET_TIMEOUT_MS, before
 * the 5 s at which Node servers (and many others, often without a Keep-Alive hint) drop it. Reusing
 * a connection at the moment the server closes it resets the upload, and Baileys then fails the
 * whole send ("Media upload failed on all hosts"); a late timer on a busy event loop can still let
 * that happen, so an upload reset or stalled on a reused connection is retried once on a fresh one.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ClientRequest } from 'node:http';
import { Agent, type RequestOptions } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ProxyAddress } from '../../proxy/proxy-address.js';
import { tunnelledConnection } from '../../proxy/proxy-agents.js';

/** How long an idle upload connection is kept for the next upload. */
export const FREE_SOCKET_TIMEOUT_MS = 2000;
/** An upload connection silent this long (no byte either way) has stalled. */
export const UPLOAD_IDLE_TIMEOUT_MS = 60_000;

/** One run of an upload; the agent notes here why a reused connection failed it. */
interface UploadRun {
  reusedConnectionFailure?: string;
}

// Baileys makes the upload request deep inside sendMessage; the agent sees the request but not
// which upload it belongs to. The async context carries that across Baileys' awaits.
const currentRun = new AsyncLocalStorage<UploadRun>();

export class MediaUploadAgent extends Agent {
  private readonly connectThroughProxy?: ReturnType<typeof tunnelledConnection>;

  /**
   * `ca`: trust only this certificate authority (the emulator's media host); default: the system's roots.
   * `proxy`: every upload connection is a tunnel through it (the session's proxy), TLS inside.
   */
  constructor(options: { ca?: string; proxy?: ProxyAddress } = {}) {
    // `timeout` is the idle limit of a connection in use; keepSocketAlive shortens it for idle ones.
    super({ keepAlive: true, scheduling: 'lifo', timeout: UPLOAD_IDLE_TIMEOUT_MS, ...(options.ca ? { ca: options.ca } : {}) });
    if (options.proxy) this.connectThroughProxy = tunnelledConnection(options.proxy, true);
  }

  override createConnection(options: RequestOptions, created?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    if (!this.connectThroughProxy) return super.createConnection(options, created);
    return this.connectThroughProxy(options, created!);
  }

  /** Node calls this when a connection becomes idle; a falsy answer closes it instead. */
  override keepSocketAlive(socket: Socket): boolean {
    // Node's own answer (typed void, returns a boolean) also honours a server's Keep-Alive hint.
    const keep = (super.keepSocketAlive(socket) as unknown) !== false;
    if (keep) socket.setTimeout(Math.min(socket.timeout || Infinity, FREE_SOCKET_TIMEOUT_MS));
    return keep;
  }

  /** Node calls this when an upload is given an idle connection. */
  override reuseSocket(socket: Socket, request: ClientRequest): void {
    super.reuseSocket(socket, request);
    socket.setTimeout(UPLOAD_IDLE_TIMEOUT_MS);
    const run = currentRun.getStore();
    if (!run) return;
    request.once('error', (error) => (run.reusedConnectionFailure ??= error.message));
    request.once('timeout', () => (run.reusedConnectionFailure ??= `no data for ${UPLOAD_IDLE_TIMEOUT_MS} ms`));
  }

  /**
   * Runs `upload`; if it failed because a reused connection was reset or stalled, runs it once
   * more on a fresh connection. Any other failure is the caller's.
   */
  async retryingStaleConnection<T>(upload: () => Promise<T>, onRetry: (reason: string) => void): Promise<T> {
    const run: UploadRun = {};
    try {
      return await currentRun.run(run, upload);
    } catch (error) {
      if (run.reusedConnectionFailure === undefined) throw error;
      onRetry(run.reusedConnectionFailure);
      await this.dropIdleConnections();
      return upload();
    }
  }

  /** The idle connections are at least as old as the one that failed: none is reused for the retry. */
  private async dropIdleConnections(): Promise<void> {
    for (const sockets of Object.values(this.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
    // The agent forgets a destroyed connection on its 'close' event, a tick later.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
