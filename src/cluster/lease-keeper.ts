/**
 * Keeps this node's session leases alive and tells the node when it must stop driving one.
 *
 * Every LEASE_TTL/3 it renews each held lease (and the node's membership row). Each successful
 * renewal moves that lease's local DEADLINE to `sentAt + ttl - safetyMargin`, where sentAt is read on
 * the local monotonic clock BEFORE the renewal was sent: the database set the expiry to (its now at
 * execution) + ttl, and execution came after sending, so the deadline always falls at least
 * `safetyMargin` before the database's expiry whatever the clocks' offsets. When the deadline passes
 * without a renewal (database unreachable, partitioned, too slow) the keeper SELF-FENCES: it emits
 * 'lost' with reason 'self-fenced' and forgets the lease, so the node stops driving the session
 * before any other node can acquire it. The margin must cover stopping the session's socket.
 *
 * Events: 'acquired' (HeldLease), 'lost' (LostLease), 'renewFailed' (a renewal that got no
 * answer). Listeners of 'lost' must stop driving the session; release() emits 'lost' before it
 * hands the lease over.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { LeaseRepository } from './lease-repository.js';
import { monotonicClock, type MonotonicClock } from './monotonic-clock.js';
import type { NodeRegistry } from './node-registry.js';

export interface HeldLease {
  session: string;
  token: number;
  /** Local monotonic ms after which this node must no longer drive the session. */
  deadline: number;
}

/**
 * Why this node stopped driving a session: it handed the lease over (`released`), its deadline
 * passed without a renewal (`self-fenced`), or a renewal found the lease gone: run out by the
 * database's clock with nobody holding it (`expired`), or held by another node (`stolen`).
 */
export type LostReason = 'self-fenced' | 'expired' | 'stolen' | 'released';

export interface LostLease {
  session: string;
  token: number;
  reason: LostReason;
}

export interface LeaseKeeperOptions {
  leases: LeaseRepository;
  /** Membership row renewed with the leases; omitted in tests that do not balance. */
  nodes?: NodeRegistry;
  ttlMs: number;
  /** Default: a fifth of the TTL (3 s of the default 15 s), leaving two renewal rounds before the deadline. */
  safetyMarginMs?: number;
  clock?: MonotonicClock;
  logger?: Logger;
  /**
   * Awaited after 'lost' (reason 'released') and before the lease is handed over: the node closes
   * the session's socket here, so the next owner cannot connect while it is still open.
   */
  beforeHandover?: (session: string) => Promise<void>;
}

interface Held extends HeldLease {
  timer: unknown;
  renewing: boolean;
}

export class LeaseKeeper extends EventEmitter<{ acquired: [HeldLease]; lost: [LostLease]; renewFailed: [{ session: string; error: unknown }] }> {
  readonly ttlMs: number;
  readonly safetyMarginMs: number;
  private readonly clock: MonotonicClock;
  private readonly held = new Map<string, Held>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private roundTimer: unknown;
  private running = false;
  /** Set by releaseAll: no new claims, and a claim already on its way is handed back. */
  private leaving = false;

  constructor(private readonly options: LeaseKeeperOptions) {
    super();
    this.ttlMs = options.ttlMs;
    this.clock = options.clock ?? monotonicClock;
    this.safetyMarginMs = options.safetyMarginMs ?? Math.round(options.ttlMs / 5);
    // The deadline must fall after the next renewal round, or a healthy node would fence itself.
    if (this.safetyMarginMs <= 0 || this.safetyMarginMs >= (this.ttlMs * 2) / 3)
      throw new RangeError('lease safety margin must be between 0 and 2/3 of the TTL');
  }

  get nodeId(): string {
    return this.options.leases.nodeId;
  }

  /** Starts the renewal rounds (the first one now). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.round();
  }

  /** Stops renewing without releasing anything: what a crash looks like to the others. */
  stop(): void {
    this.running = false;
    this.clock.clearTimeout(this.roundTimer);
    for (const lease of this.held.values()) this.clock.clearTimeout(lease.timer);
    this.held.clear();
  }

  heldLeases(): HeldLease[] {
    return [...this.held.values()].map(({ session, token, deadline }) => ({ session, token, deadline }));
  }

  tokenOf(session: string): number | undefined {
    return this.held.get(session)?.token;
  }

  /**
   * Whether this node may drive the session right now. Checks the deadline itself rather than
   * trusting that the fence timer already fired: a stalled event loop runs timers late, so call this
   * before each outbound action (sending, reconnecting).
   */
  mayDrive(session: string): boolean {
    const held = this.held.get(session);
    return held !== undefined && this.clock.now() < held.deadline;
  }

  /** Resolves when every renewal, claim and release started so far has finished. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Acquires the session if it is free; emits 'acquired'. */
  claim(session: string): Promise<HeldLease | null> {
    return this.track(async () => {
      if (this.held.has(session) || this.leaving) return null;
      const sentAt = this.clock.now();
      const lease = await this.options.leases.acquire(session, this.ttlMs);
      if (!lease) return null;
      if (this.leaving) {
        await this.options.leases.release(session, lease.token);
        return null;
      }
      const held: Held = { session, token: lease.token, deadline: 0, timer: undefined, renewing: false };
      this.held.set(session, held);
      this.extend(held, sentAt);
      const view = { session, token: held.token, deadline: held.deadline };
      this.emit('acquired', view);
      return view;
    });
  }

  /** Stops driving the session (emits 'lost', reason 'released'), then hands the lease over at once. */
  release(session: string): Promise<void> {
    return this.track(async () => {
      const held = this.forget(session, 'released');
      if (!held) return;
      await this.options.beforeHandover?.(session).catch((err) => this.options.logger?.warn({ err, session }, 'stopping the session before handover failed'));
      await this.options.leases.release(session, held.token);
    });
  }

  /** SIGTERM: hands every lease over and leaves the cluster, so the others take over at once. */
  async releaseAll(): Promise<void> {
    this.running = false;
    this.leaving = true;
    this.clock.clearTimeout(this.roundTimer);
    await Promise.allSettled([...this.held.keys()].map((session) => this.release(session)));
    await this.options.nodes?.leave().catch((err) => this.options.logger?.warn({ err }, 'could not leave the cluster'));
    // Claims that were in flight hand their lease back themselves (see claim).
    await this.settled();
  }

  private round(): void {
    if (!this.running) return;
    this.roundTimer = this.clock.setTimeout(() => this.round(), this.ttlMs / 3);
    if (this.options.nodes) {
      void this.track(() => this.options.nodes!.heartbeat(this.ttlMs)).catch((err) => this.options.logger?.warn({ err }, 'node heartbeat failed'));
    }
    for (const held of this.held.values()) if (!held.renewing) void this.track(() => this.renew(held));
  }

  private async renew(held: Held): Promise<void> {
    held.renewing = true;
    const sentAt = this.clock.now();
    try {
      const expiresAt = await this.options.leases.renew(held.session, held.token, this.ttlMs);
      if (this.held.get(held.session) !== held) {
        // Fenced (or released) while the renewal was on its way: we no longer drive the session,
        // so a lease that got renewed anyway is handed back rather than left to run out.
        if (expiresAt !== null) await this.options.leases.release(held.session, held.token);
        return;
      }
      if (expiresAt !== null) return this.extend(held, sentAt);
      const holder = await this.options.leases.holderOf(held.session).catch(() => null);
      // Read after the fact: whoever holds it now, the lease was not ours any more.
      if (this.held.get(held.session) === held) this.forget(held.session, holder ? 'stolen' : 'expired');
    } catch (err) {
      // Unreachable or failing database: keep trying next round; the deadline decides.
      this.options.logger?.warn({ err, session: held.session }, 'lease renewal failed');
      this.emit('renewFailed', { session: held.session, error: err });
    } finally {
      held.renewing = false;
    }
  }

  private extend(held: Held, sentAt: number): void {
    held.deadline = sentAt + this.ttlMs - this.safetyMarginMs;
    this.clock.clearTimeout(held.timer);
    held.timer = this.clock.setTimeout(() => {
      if (this.held.get(held.session) === held) this.forget(held.session, 'self-fenced');
    }, held.deadline - this.clock.now());
  }

  private forget(session: string, reason: LostReason): Held | undefined {
    const held = this.held.get(session);
    if (!held) return undefined;
    this.held.delete(session);
    this.clock.clearTimeout(held.timer);
    if (reason !== 'released') this.options.logger?.warn({ session, token: held.token, reason }, 'session lease lost');
    this.emit('lost', { session, token: held.token, reason });
    return held;
  }

  private track<T>(work: () => Promise<T>): Promise<T> {
    const promise = work();
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise)).catch(() => undefined);
    return promise;
  }
}
