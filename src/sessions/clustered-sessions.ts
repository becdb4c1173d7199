/**
 * Sessions in cluster mode (DATABASE_URL set): every node opens every session it knows, but a
 * session's WhatsApp socket runs only on the node holding its lease. 'acquired' starts the socket,
 * 'lost' closes it at once (never a logout: the account stays linked for the next owner), and a
 * handover waits for the socket to close before the lease is released. Credentials and keys live in
 * the shared store, written under the lease's token, so the next owner connects without a QR.
 *
 * Each session's data (records, outbox, keys, logs) is in the shared store too (session-stores.ts),
 * and so is the session list: a session created through one node opens on the others at their
 * next balancing round (at once on PostgreSQL, where the creating node NOTIFYs `cluster`).
 * So is each session's account restriction: the driver stores it, the others read it again on a
 * NOTIFY. A send made here for a session another node drives goes to it through the shared outbox
 * (OutboxDoorbell), media included.
 */
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { ClusterMembership } from '../cluster/cluster-membership.js';
import { SessionDrivenError } from '../cluster/import-embedded.js';
import { OutboxDoorbell } from '../cluster/outbox-doorbell.js';
import { openDatabase, type SqlDatabase } from '../cluster/sql/database.js';
import type { ContentCipher } from '../records/sent-content-cipher.js';
import type { AuthStore } from '../whatsapp/baileys/auth-store.js';
import { createFencedAuthStore } from '../whatsapp/baileys/fenced-auth-store.js';
import { importInstall, installFiles } from './import-install.js';
import { ClusterSessionDeletion, LeaseNotFreedError } from './cluster-session-deletion.js';
import { KyselySessionRegistry } from './kysely-session-registry.js';
import type { SessionManager } from './session-manager.js';
import { SessionErrors } from './session-errors.js';
import { DEFAULT_SESSION } from './session-name.js';
import type { SessionRegistry } from './session-registry.js';
import type { SessionRuntime, SessionStoresFactory } from './session-runtime.js';
import { sharedStores } from './shared-stores.js';

/** `cluster` NOTIFY payload prefix: the session's driver stored an account restriction. */
const RESTRICTED = 'restricted:';

export type ClusterSettings = NonNullable<Config['cluster']>;

export class ClusteredSessions {
  readonly membership: ClusterMembership;
  /** Cross-node sends: the shared outbox's NOTIFYs wake this node's workers and answer its routed sends. */
  private readonly doorbell: OutboxDoorbell;
  /** Deleting a session: its owner logs it out, the deleting node purges its rows under the lease. */
  private readonly deletion: ClusterSessionDeletion;
  private manager?: SessionManager;
  private closed?: Promise<void>;
  /** Each session's socket start or stop under way (see inTurn). */
  private readonly turns = new Map<string, Promise<void>>();
  /** Shutting down: a lease that still arrives is handed back, its socket never started. */
  private stopping = false;

  private constructor(
    private readonly database: SqlDatabase,
    settings: ClusterSettings,
    private readonly logger: Logger,
  ) {
    this.membership = new ClusterMembership({
      database,
      databaseUrl: settings.databaseUrl,
      nodeId: settings.nodeId,
      ttlMs: settings.leaseTtlMs,
      sessions: () => this.deletion.balanced(this.manager?.all().map((runtime) => runtime.name) ?? []),
      beforeHandover: (session) => this.stopSocket(session),
      // The shared session list: sessions created or deleted through other nodes open or close here.
      beforeRound: async () => {
        if (!this.stopping) await this.manager?.sync();
        // A restriction NOTIFY lost while the LISTEN connection was down: read the others' again.
        for (const runtime of this.manager?.all() ?? []) if (!this.membership.keeper.mayDrive(runtime.name)) await this.refreshRestriction(runtime.name);
      },
      onMessage: (payload) => {
        if (payload.startsWith(RESTRICTED)) void this.refreshRestriction(payload.slice(RESTRICTED.length));
        else this.deletion.onMessage(payload);
      },
      logger: logger.child({ module: 'cluster', node: settings.nodeId }),
    });
    const keeper = this.membership.keeper;
    this.deletion = new ClusterSessionDeletion({
      database,
      membership: this.membership,
      ttlMs: settings.leaseTtlMs,
      sessions: () => this.manager,
      logger,
    });
    this.doorbell = new OutboxDoorbell({
      notifier: this.membership.notifier,
      onEnqueued: (session) => {
        if (keeper.mayDrive(session)) this.manager?.get(session)?.services.kickOutbox();
      },
      onResync: () => {
        for (const runtime of this.manager?.all() ?? []) if (keeper.mayDrive(runtime.name)) runtime.services.kickOutbox();
      },
      logger,
    });
    keeper.on('acquired', ({ session, token }) => {
      const runtime = this.manager?.get(session);
      // A lease on a session this node does not know (created on another node, or being deleted): give it back.
      if (!runtime || this.stopping) return void keeper.release(session);
      this.logger.info({ session, token }, 'this node now drives the session');
      // What the last driver left (interrupted requests, in-flight outbox jobs) is recovered first.
      // After any stop still under way: a start while it runs would be undone by it.
      this.inTurn(session, async () => {
        await runtime.services.drive();
        if (keeper.mayDrive(session)) runtime.transport.start();
      }).catch((err: unknown) => {
        this.logger.error({ err, session }, 'could not take the session over; handing it back');
        void this.stopSocket(session).then(() => keeper.release(session));
      });
    });
    keeper.on('lost', ({ session, reason }) => {
      if (reason === 'released') return void this.stopSocket(session);
      // Self-fenced or taken: another node may log in any moment now, so the socket closes at once,
      // not after the outbox job or webhook in flight (up to SEND_ACK_TIMEOUT, WEBHOOK_TIMEOUT);
      // a send cut off is resent under its id by whoever drives the session next.
      this.logger.warn({ session, reason }, 'lease lost; closing the session socket');
      void this.inTurn(session, () => this.closeAtOnce(session));
    });
  }

  /** Connects to the shared store (migrating it); nothing runs until start(). */
  static async open(settings: ClusterSettings, logger: Logger): Promise<ClusteredSessions> {
    const database = await openDatabase({ databaseUrl: settings.databaseUrl });
    return new ClusteredSessions(database, settings, logger);
  }

  /** The session's credentials in the shared store, writable only under this node's live lease. */
  authStore(session: string, logger: Logger): AuthStore {
    const keeper = this.membership.keeper;
    return createFencedAuthStore({
      store: this.membership.keys,
      session,
      // Checked on the clock, not only by the fence timer: a stalled event loop fires timers late.
      currentToken: () => (keeper.mayDrive(session) ? keeper.tokenOf(session) : undefined),
      onFencedOff: (error) => {
        // A write of an older socket refused after this node took the session again: not this lease's.
        const held = keeper.tokenOf(session);
        if (held !== undefined && held !== error.token) return;
        void this.inTurn(session, () => this.closeAtOnce(session));
        void keeper.release(session);
      },
      logger,
    });
  }

  /** Each session's records, outbox, keys and logs: in the shared store, scoped by its name. */
  readonly stores: SessionStoresFactory = async (session, _db, cipher) => {
    const stores = await sharedStores(this.database.db, session, cipher, {
      nodeId: this.membership.nodeId,
      // The other nodes read the restriction again at once (and at each balancing round anyway).
      announceRestriction: () => this.membership.tell(`${RESTRICTED}${session}`),
    });
    const keeper = this.membership.keeper;
    return { ...stores, routing: (waitMs) => this.doorbell.routing(() => keeper.mayDrive(session), waitMs) };
  };

  /** Sessions are started by the lease from now on; joins the cluster. */
  async start(manager: SessionManager): Promise<void> {
    this.manager = manager;
    await this.membership.start();
    // After the membership's LISTEN connection is up; 'acquired' re-scans through drive() (worker start).
    await this.doorbell.start();
  }

  /** A session was created or removed here: balance now, and tell the others (they sync their list). */
  sessionsChanged(): void {
    this.membership.rebalanceSoon();
    void this.membership.sessionsChanged();
  }

  /**
   * Deletes a session everywhere: logged out by its driver, every row of it purged from the shared
   * store under its lease, and its list entry removed (every node then closes its runtime). The
   * runtime given is this node's, already withdrawn from serving; it is closed here.
   */
  async remove(runtime: SessionRuntime): Promise<void> {
    await this.deletion.remove(runtime).catch((error: unknown) => {
      throw error instanceof LeaseNotFreedError ? SessionErrors.deleteTimedOut(runtime.name) : error;
    });
  }

  /** The session list every node reads. */
  registry(cipher: ContentCipher): SessionRegistry {
    return new KyselySessionRegistry(this.database.db, cipher);
  }

  /**
   * An existing install switched to cluster mode keeps its login and data: on the cluster's first
   * start (no node has ever held or imported `default`: no lease row) this node's DATA_DIR goes
   * into the shared store, default first, then its sessions. Two nodes starting together both
   * look; the import leases each session, so one copies and the other is refused or adds nothing.
   */
  async importInstallOnce(config: Pick<Config, 'dataDir' | 'sessionDir'>): Promise<void> {
    const known = await this.database.db.selectFrom('session_leases').select('session').where('session', '=', DEFAULT_SESSION).executeTakeFirst();
    if (known) return;
    const files = await installFiles(config.dataDir, existsSync(config.sessionDir));
    if (files.length === 0) return;
    try {
      await importInstall(config.dataDir, this.database, { defaultSessionDir: config.sessionDir, logger: this.logger });
    } catch (error) {
      if (!(error instanceof SessionDrivenError)) throw error;
      this.logger.info({ session: error.session }, 'another node is importing or driving this session; not imported here');
    }
  }

  /** Shutdown begins (before the HTTP drain): routed sends stop waiting for their owners. */
  endRoutedWaits(): void {
    this.doorbell.endWaits();
  }

  /** Shutdown, before the sockets close: no session is taken any more. */
  async stopTaking(): Promise<void> {
    this.stopping = true;
    await this.membership.stopBalancing();
  }

  /** Shutdown, after the sockets closed: hand every lease over, leave, close the shared store. */
  leave(): Promise<void> {
    this.closed ??= this.membership.leave().finally(() => this.database.close());
    return this.closed;
  }

  /**
   * What a crash looks like to the others (tests): the sockets drop and nothing is released, so the
   * leases run out by the database's clock.
   */
  abandon(): Promise<void> {
    this.closed ??= (async () => {
      await this.membership.abandon();
      await Promise.all((this.manager?.all() ?? []).map((runtime) => this.stopSocket(runtime.name)));
      await this.database.close();
    })();
    return this.closed;
  }

  /** Reads the session's account restriction again (its driver stored one). */
  private async refreshRestriction(session: string): Promise<void> {
    await this.manager
      ?.get(session)
      ?.services.restrictions.refresh()
      .catch((err: unknown) => this.logger.warn({ err, session }, 'could not read the account restriction'));
  }

  /**
   * While the lease is still held (a handover): the outbox and the webhook deliveries stop first
   * (the job in flight finishes), then the socket.
   */
  private stopSocket(session: string): Promise<void> {
    return this.inTurn(session, async () => {
      const runtime = this.manager?.get(session);
      if (!runtime) return;
      await runtime.services.park();
      await runtime.transport.suspend();
    });
  }

  /** The lease is gone: the socket closes now, the services park meanwhile. */
  private async closeAtOnce(session: string): Promise<void> {
    const runtime = this.manager?.get(session);
    if (!runtime) return;
    await Promise.all([runtime.transport.suspend(), runtime.services.park()]);
  }

  /**
   * Starts and stops of one session's socket run one after the other: a start made while a stop
   * was still parking the services used to be a no-op (the socket still ran), and the stop then
   * closed the socket of a session this node drives again, leaving it down.
   */
  private inTurn(session: string, step: () => Promise<void>): Promise<void> {
    const next = (this.turns.get(session) ?? Promise.resolve()).then(step);
    const settled = next.catch(() => undefined);
    this.turns.set(session, settled);
    void settled.then(() => {
      if (this.turns.get(session) === settled) this.turns.delete(session);
    });
    return next;
  }
}
