/**
 * The sessions this process serves: `default` (the v2.0.0 account, in DATA_DIR itself, so an
 * existing install keeps its login) and the ones created through POST /api/sessions, each in
 * DATA_DIR/sessions/<name>/. Starts them all on boot (restoring their logins without a QR),
 * creates and deletes them, and stops them on shutdown.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { DEFAULT_SESSION } from './session-name.js';
import { SessionErrors } from './session-errors.js';
import { hashSessionKey, newSessionKey, SessionKeyIndex } from './session-keys.js';
import type { ListedSession, SessionRegistry, SessionSettings } from './session-registry.js';
import type { SessionRuntime } from './session-runtime.js';

/** Opens one session's runtime (its socket not started yet). */
export type RuntimeOpener = (name: string, config: Config) => Promise<SessionRuntime>;

export interface SessionManagerDeps {
  baseConfig: Config;
  /** The embedded list (default's SQLite file), or the shared one in cluster mode. */
  registry: SessionRegistry;
  open: RuntimeOpener;
  logger: Logger;
  /** Called with each session other than default once it is open (the sandbox links it). */
  onOpened?: (runtime: SessionRuntime) => void;
  /**
   * Cluster mode: sockets are started by the node's leases, not here; this is told when the list
   * of sessions changed instead. Without it, each session's socket starts as it opens.
   */
  leased?: {
    sessionsChanged(): void;
    /**
     * Closes `runtime` and deletes the session from the shared store (its driver logs it out, its
     * rows go under its lease, every node closes it); throws with nothing deleted otherwise.
     */
    remove(runtime: SessionRuntime): Promise<void>;
  };
}

/** Sessions other than default live here, one folder each. */
export const SESSIONS_FOLDER = 'sessions';

export function sessionConfig(base: Config, settings: Pick<SessionSettings, 'name' | 'webhook' | 'proxy'>): Config {
  if (settings.name === DEFAULT_SESSION) return base;
  const dataDir = path.join(base.dataDir, SESSIONS_FOLDER, settings.name);
  return Object.freeze({
    ...base,
    dataDir,
    sessionDir: path.join(dataDir, 'session'),
    webhooks: settings.webhook ? { ...base.webhooks, urls: [settings.webhook.url], secret: settings.webhook.secret } : base.webhooks,
    waProxy: settings.proxy,
  });
}

export class SessionManager {
  readonly keys = new SessionKeyIndex();
  private readonly runtimes = new Map<string, SessionRuntime>();
  private readonly settings = new Map<string, SessionSettings>();
  private readonly openedListeners: Array<(runtime: SessionRuntime) => void> = [];
  /** Names being created or deleted: a second request for the same name waits its turn. */
  private readonly busy = new Set<string>();
  /**
   * Cluster mode: sessions another node is deleting, closed here, with the time (epoch ms) after
   * which sync reopens one that is still listed (the deletion did not happen).
   */
  private readonly withdrawn = new Map<string, number>();
  /** Unreadable rows already reported by sync (it runs every balancing round). */
  private readonly reported = new Set<string>();

  constructor(
    private readonly deps: SessionManagerDeps,
    readonly defaultRuntime: SessionRuntime,
  ) {
    this.runtimes.set(DEFAULT_SESSION, defaultRuntime);
  }

  get(name: string): SessionRuntime | undefined {
    return this.runtimes.get(name);
  }

  /** Every running session, default first, then by name. */
  all(): SessionRuntime[] {
    const others = [...this.runtimes.values()].filter((r) => r.name !== DEFAULT_SESSION).sort((a, b) => a.name.localeCompare(b.name));
    return [this.defaultRuntime, ...others];
  }

  /** Calls `listener` with every session opened from now on (created, or opened at start). */
  whenOpened(listener: (runtime: SessionRuntime) => void): void {
    this.openedListeners.push(listener);
  }

  private opened(runtime: SessionRuntime): void {
    this.deps.onOpened?.(runtime);
    for (const listener of this.openedListeners) listener(runtime);
  }

  createdAt(name: string): Date | null {
    return this.settings.get(name)?.createdAt ?? null;
  }

  hasOwnWebhook(name: string): boolean {
    return Boolean(this.settings.get(name)?.webhook);
  }

  /** Opens every registered session (their sockets start with startSockets). */
  async openAll(): Promise<void> {
    const unreadable = (name: string, error: unknown) =>
      this.deps.logger.error({ err: error, session: name }, 'session settings could not be read (content key changed?); it stays off');
    for (const entry of await this.deps.registry.list(unreadable)) await this.openListed(entry);
  }

  private async openListed(entry: ListedSession): Promise<void> {
    this.keys.set(entry.name, entry.keyHash);
    this.settings.set(entry.name, entry);
    try {
      const runtime = await this.deps.open(entry.name, sessionConfig(this.deps.baseConfig, entry));
      this.runtimes.set(entry.name, runtime);
      this.opened(runtime);
    } catch (error) {
      // One broken session folder must not keep the others (and default) from serving.
      this.keys.remove(entry.name);
      this.settings.delete(entry.name);
      this.deps.logger.error({ err: error, session: entry.name }, 'session could not be opened; it stays off until the next start');
    }
  }

  /**
   * Cluster mode (the shared list), before each balancing round: sessions created through another
   * node open here, sessions deleted through another node close here (logged out if this node was
   * driving it) and their local folder goes. Names being created or deleted here are left alone.
   */
  async sync(): Promise<void> {
    const unreadable = (name: string, error: unknown) => {
      if (this.reported.has(name)) return;
      this.reported.add(name);
      this.deps.logger.error({ err: error, session: name }, 'session settings could not be read (content key changed?); it stays off');
    };
    const listed = await this.deps.registry.list(unreadable);
    const names = new Set(listed.map((entry) => entry.name));
    for (const [name, until] of this.withdrawn) {
      if (names.has(name) && Date.now() < until) continue;
      this.withdrawn.delete(name);
      // Deleted for good: its local folder goes too (a reopened one is recreated).
      if (!names.has(name)) await rm(path.join(this.deps.baseConfig.dataDir, SESSIONS_FOLDER, name), { recursive: true, force: true });
    }
    for (const entry of listed) {
      if (this.runtimes.has(entry.name) || this.busy.has(entry.name) || this.withdrawn.has(entry.name)) continue;
      this.deps.logger.info({ session: entry.name }, 'session created through another node; opening it here');
      await this.openListed(entry);
    }
    for (const runtime of this.all()) {
      if (runtime.name === DEFAULT_SESSION || names.has(runtime.name) || this.busy.has(runtime.name)) continue;
      this.busy.add(runtime.name);
      try {
        this.keys.remove(runtime.name);
        this.runtimes.delete(runtime.name);
        this.settings.delete(runtime.name);
        await this.logoutAndClose(runtime);
        this.deps.logger.info({ session: runtime.name }, 'session deleted through another node; closed here');
      } finally {
        this.busy.delete(runtime.name);
      }
    }
  }

  /**
   * Cluster mode: another node is deleting the session. It stops serving here at once (404), and
   * `close` closes it once its requests in flight are done (on its driver: after a logout). Sync
   * reopens it if it is still listed after `restore` or `forMs` (the deletion did not happen).
   */
  async withdraw(name: string, forMs: number, close: (runtime: SessionRuntime) => Promise<void>): Promise<void> {
    this.withdrawn.set(name, Date.now() + forMs);
    const runtime = this.runtimes.get(name);
    if (!runtime || this.busy.has(name)) return;
    this.busy.add(name);
    try {
      this.keys.remove(name);
      this.runtimes.delete(name);
      this.settings.delete(name);
      await runtime.requests.drained(this.deps.baseConfig.shutdownTimeoutMs);
      await close(runtime);
      this.deps.logger.info({ session: name }, 'session being deleted through another node; closed here');
    } finally {
      this.busy.delete(name);
    }
  }

  /** The deletion of a withdrawn session did not happen: sync reopens it. */
  restore(name: string): void {
    this.withdrawn.delete(name);
  }

  startSockets(): void {
    if (this.deps.leased) this.deps.leased.sessionsChanged();
    else for (const runtime of this.runtimes.values()) runtime.transport.start();
  }

  /** Registers, opens and starts a new session; its API key is returned once and stored only as a hash. */
  async create(settings: Omit<SessionSettings, 'createdAt'>): Promise<{ name: string; apiKey: string }> {
    const { name } = settings;
    if (name === DEFAULT_SESSION || this.runtimes.has(name) || this.busy.has(name)) throw SessionErrors.exists(name);
    this.busy.add(name);
    try {
      const apiKey = newSessionKey();
      const keyHash = hashSessionKey(apiKey);
      const full = { ...settings, createdAt: new Date() };
      // A folder left by a deletion that crashed half way holds nothing of this new session.
      const config = sessionConfig(this.deps.baseConfig, full);
      await rm(config.dataDir, { recursive: true, force: true });
      if (!(await this.deps.registry.add(full, keyHash))) throw SessionErrors.exists(name);
      // A deletion of this name this node heard of is over: the list had no row for it.
      this.withdrawn.delete(name);
      let runtime: SessionRuntime;
      try {
        runtime = await this.deps.open(name, config);
      } catch (error) {
        await this.deps.registry.remove(name);
        await rm(config.dataDir, { recursive: true, force: true });
        throw error;
      }
      this.runtimes.set(name, runtime);
      this.settings.set(name, full);
      this.keys.set(name, keyHash);
      this.opened(runtime);
      if (this.deps.leased) this.deps.leased.sessionsChanged();
      else runtime.transport.start();
      this.deps.logger.info({ session: name }, 'session created');
      return { name, apiKey };
    } finally {
      this.busy.delete(name);
    }
  }

  /**
   * Logs the account out (when linked), stops the session and removes its data. The registry row
   * goes first: a crash half way leaves a folder that the next create of that name clears.
   */
  async remove(name: string): Promise<void> {
    if (name === DEFAULT_SESSION) throw SessionErrors.defaultProtected();
    const runtime = this.runtimes.get(name);
    if (!runtime || this.busy.has(name)) throw SessionErrors.notFound();
    this.busy.add(name);
    try {
      this.keys.remove(name);
      this.runtimes.delete(name);
      this.settings.delete(name);
      if (this.deps.leased) {
        await runtime.requests.drained(this.deps.baseConfig.shutdownTimeoutMs);
        // Closes the runtime, then deletes; if nothing was deleted, the next sync reopens it (still listed).
        await this.deps.leased.remove(runtime);
        await rm(runtime.config.dataDir, { recursive: true, force: true });
      } else {
        await this.deps.registry.remove(name);
        await this.logoutAndClose(runtime);
      }
      this.deps.logger.info({ session: name }, 'session deleted');
    } finally {
      this.busy.delete(name);
    }
  }

  private async logoutAndClose(runtime: SessionRuntime): Promise<void> {
    // New requests now get 404; the ones already in (a send waiting for its ack) finish first.
    await runtime.requests.drained(this.deps.baseConfig.shutdownTimeoutMs);
    if (runtime.transport.status().connected) {
      await runtime.transport
        .logout()
        .catch((error: unknown) => this.deps.logger.warn({ err: error, session: runtime.name }, 'logout failed; removing the session anyway'));
    }
    await runtime.close();
    await rm(runtime.config.dataDir, { recursive: true, force: true });
  }

  async stopSending(): Promise<void> {
    await Promise.all(this.all().map((r) => r.stopSending()));
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.all().map((r) => r.close()));
  }
}
