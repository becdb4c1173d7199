/**
 * This node's part in the cluster: its membership row, its session leases (LeaseKeeper) and the
 * balancing loop that decides which sessions it drives. Balancing runs every TTL/3 and at once when
 * another node joins or leaves (a NOTIFY on channel `cluster`, PostgreSQL only); rounds never
 * overlap (a request during a round runs one more round after it).
 *
 * It knows nothing of sockets: whoever drives the sessions listens to `keeper` ('acquired': start
 * the session's socket; 'lost': close it at once, never log out) and passes `beforeHandover`, so a
 * released session's socket is closed before another node may take it.
 */
import type { Logger } from 'pino';
import { resolveAbandonedRequests } from './abandoned-requests.js';
import { rebalance } from './balancer.js';
import { FencedKeyStore } from './fenced-key-store.js';
import { LeaseKeeper } from './lease-keeper.js';
import { LeaseRepository } from './lease-repository.js';
import { NodeRegistry } from './node-registry.js';
import { Notifier } from './notify.js';
import type { SqlDatabase } from './sql/database.js';

/** NOTIFY channel on which nodes announce that they joined or left. */
export const CLUSTER_CHANNEL = 'cluster';

export interface ClusterMembershipOptions {
  database: SqlDatabase;
  /** For LISTEN/NOTIFY (PostgreSQL); without it, balancing runs on the timer only. */
  databaseUrl?: string;
  nodeId: string;
  ttlMs: number;
  /** Every session that should run somewhere in the cluster. */
  sessions: () => readonly string[];
  beforeHandover?: (session: string) => Promise<void>;
  /** Run at the start of each balancing round, before `sessions()` is read (the session list's sync). */
  beforeRound?: () => Promise<void>;
  /** Each `cluster` NOTIFY payload other than joined/left/sessions (e.g. a session being deleted). */
  onMessage?: (payload: string) => void;
  logger: Logger;
}

export class ClusterMembership {
  readonly keeper: LeaseKeeper;
  /** Credentials and keys, fenced by this node's leases. */
  readonly keys: FencedKeyStore;
  private readonly leases: LeaseRepository;
  private readonly nodes: NodeRegistry;
  /** PostgreSQL only: the LISTEN connection (also the cross-node outbox's doorbell). */
  readonly notifier?: Notifier;
  private timer: ReturnType<typeof setInterval> | undefined;
  private round: Promise<void> | undefined;
  private roundAgain = false;
  private running = false;

  constructor(private readonly options: ClusterMembershipOptions) {
    const { database, nodeId, ttlMs, logger } = options;
    this.leases = new LeaseRepository(database, nodeId);
    this.nodes = new NodeRegistry(database, nodeId);
    this.keys = new FencedKeyStore(database, nodeId);
    this.keeper = new LeaseKeeper({ leases: this.leases, nodes: this.nodes, ttlMs, logger, beforeHandover: options.beforeHandover });
    if (options.databaseUrl && database.dialect === 'postgres') this.notifier = new Notifier(options.databaseUrl, { logger });
  }

  get nodeId(): string {
    return this.options.nodeId;
  }

  /** Joins: membership row first (so the first plan counts this node), then leases and balancing. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.nodes.heartbeat(this.options.ttlMs);
    this.keeper.start();
    if (this.notifier) {
      await this.notifier.listen(CLUSTER_CHANNEL, (payload) => {
        this.options.onMessage?.(payload);
        this.rebalanceSoon();
      });
      // Notifications missed while the listening connection was down: look again.
      this.notifier.on('resync', () => this.rebalanceSoon());
      this.notifier.on('error', (err) => this.options.logger.warn({ err }, 'cluster LISTEN connection failed; retrying'));
      await this.announce('joined');
    }
    this.timer = setInterval(() => this.rebalanceSoon(), this.options.ttlMs / 3);
    this.rebalanceSoon();
    this.options.logger.info({ node: this.nodeId, leaseTtlMs: this.options.ttlMs }, 'joined the cluster');
  }

  /** Resolves when the balancing round under way (and the one asked for after it) has finished. */
  async settled(): Promise<void> {
    while (this.round) await this.round;
    await this.keeper.settled();
  }

  /** No more balancing rounds (leases held are still renewed); resolves when the last round ended. */
  async stopBalancing(): Promise<void> {
    this.halt();
    await this.round;
  }

  /** Shutdown: hands every lease over (each socket closed first) and leaves, so others take over at once. */
  async leave(): Promise<void> {
    await this.stopBalancing();
    await this.keeper.releaseAll();
    await this.announce('left');
    await this.notifier?.close();
  }

  /**
   * Stops renewing and balancing without releasing anything: what a crash or a partition looks
   * like to the other nodes (tests). The keeper forgets its leases without emitting 'lost'.
   */
  async abandon(): Promise<void> {
    await this.stopBalancing();
    this.keeper.stop();
    await this.notifier?.close();
  }

  rebalanceSoon(): void {
    if (!this.running) return;
    if (this.round) {
      this.roundAgain = true;
      return;
    }
    const { beforeRound } = this.options;
    this.round = (beforeRound ? beforeRound() : Promise.resolve())
      .then(() => rebalance({ keeper: this.keeper, nodes: this.nodes, leases: this.leases }, this.options.sessions()))
      .then(() => this.resolveAbandonedRequests())
      .then(
        () => undefined,
        (err: unknown) => this.options.logger.warn({ err }, 'cluster balancing failed; trying again next round'),
      )
      .finally(() => {
        this.round = undefined;
        if (this.roundAgain) {
          this.roundAgain = false;
          this.rebalanceSoon();
        }
      });
  }

  /** A client retrying a dead node's request elsewhere gets its answer, not 409 in progress. */
  private async resolveAbandonedRequests(): Promise<void> {
    const resolved = await resolveAbandonedRequests(this.options.database.db);
    if (resolved.resumable + resolved.released > 0)
      this.options.logger.info(resolved, 'idempotency keys of requests a departed node left in progress resolved');
  }

  private halt(): void {
    this.running = false;
    clearInterval(this.timer);
  }

  /** Tells the other nodes to balance now (a session was created or deleted here). */
  async sessionsChanged(): Promise<void> {
    await this.announce('sessions');
  }

  /** NOTIFYs `payload` on the cluster channel (PostgreSQL; nothing to tell on the one-node SQLite store). */
  async tell(payload: string): Promise<void> {
    await this.notifier?.notify(CLUSTER_CHANNEL, payload).catch((err) => this.options.logger.warn({ err, payload }, 'could not tell the cluster'));
  }

  private announce(event: 'joined' | 'left' | 'sessions'): Promise<void> {
    return this.tell(`${event}:${this.nodeId}`);
  }
}
