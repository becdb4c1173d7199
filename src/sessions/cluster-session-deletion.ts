/**
 * Deleting a session in cluster mode. Its data lives in the shared store, and only the holder of
 * its lease may touch it, so the node deleting it:
 *
 * 1. tells every node (NOTIFY `cluster`, `deleting:<session>`): from then on no node takes the
 *    session, and the node driving it stops its outbox, logs the account out as a single node does
 *    (the credentials wipe is a fenced write under its lease), closes its socket and releases the
 *    lease. If this node drives it, it does the same itself;
 * 2. takes the free lease (waiting up to 2 × LEASE_TTL + 5 s: a crashed owner's lease runs out
 *    within one TTL; the request is repeated every TTL/3, since a NOTIFY can be lost);
 * 3. deletes every row of the session and its list entry in one transaction fenced by that lease,
 *    NOTIFYing `sessions` on commit, so every node closes its runtime at once (session-purge.ts);
 * 4. releases the lease.
 *
 * If the lease cannot be had in time nothing is deleted: every node is told `kept:<session>` and
 * the session goes on as before (the caller answers 503).
 */
import type { Logger } from 'pino';
import type { ClusterMembership } from '../cluster/cluster-membership.js';
import { LeaseRepository } from '../cluster/lease-repository.js';
import { notifyIn } from '../cluster/notify.js';
import { purgeSession, type PurgeReport } from '../cluster/session-purge.js';
import type { SqlDatabase } from '../cluster/sql/database.js';
import { CLUSTER_CHANNEL } from '../cluster/cluster-membership.js';
import type { SessionRuntime } from './session-runtime.js';

const DELETING = 'deleting:';
const KEPT = 'kept:';
/** How often the deleting node looks whether the lease is free. */
const POLL_MS = 100;

export class LeaseNotFreedError extends Error {
  constructor(readonly session: string) {
    super(`session ${session}: its lease was not freed in time; nothing deleted`);
    this.name = 'LeaseNotFreedError';
  }
}

interface Mark {
  /** Monotonic ms after which the mark is forgotten (a deleting node that died half way). */
  until: number;
  /** This node is logging the account out and releasing: balancing must leave the lease alone meanwhile. */
  handingOver: boolean;
}

export interface ClusterSessionDeletionDeps {
  database: SqlDatabase;
  membership: ClusterMembership;
  ttlMs: number;
  /** This node's open runtime of a session (undefined once closed or never opened). */
  runtimeOf: (session: string) => SessionRuntime | undefined;
  logger: Logger;
}

export class ClusterSessionDeletion {
  private readonly marks = new Map<string, Mark>();
  private readonly leases: LeaseRepository;

  constructor(private readonly deps: ClusterSessionDeletionDeps) {
    this.leases = new LeaseRepository(deps.database, deps.membership.nodeId);
  }

  private get waitMs(): number {
    return 2 * this.deps.ttlMs + 5000;
  }

  /**
   * The sessions balancing should consider: the ones open here but those being deleted, plus the
   * ones this node is logging out and releasing (so a balancing round does not release them first).
   */
  balanced(open: readonly string[]): string[] {
    const handingOver = [...this.marks].filter(([, mark]) => mark.handingOver).map(([session]) => session);
    return [...new Set([...open.filter((session) => !this.excluded(session)), ...handingOver])];
  }

  /** Sessions being deleted (by any node): neither taken nor balanced here. */
  excluded(session: string): boolean {
    const mark = this.marks.get(session);
    if (!mark) return false;
    if (performance.now() > mark.until) {
      this.marks.delete(session);
      return false;
    }
    return !mark.handingOver;
  }

  /** Marks of sessions whose runtime this node has closed are no longer needed. */
  forgetClosed(): void {
    for (const session of this.marks.keys()) if (!this.deps.runtimeOf(session)) this.marks.delete(session);
  }

  /** A `cluster` NOTIFY payload; returns whether it was about a deletion. */
  onMessage(payload: string): boolean {
    if (payload.startsWith(KEPT)) {
      this.marks.delete(payload.slice(KEPT.length));
      return true;
    }
    if (!payload.startsWith(DELETING)) return false;
    const session = payload.slice(DELETING.length);
    const runtime = this.deps.runtimeOf(session);
    if (this.deps.membership.keeper.tokenOf(session) === undefined || !runtime) {
      this.mark(session, false);
      return true;
    }
    if (this.marks.get(session)?.handingOver) return true;
    this.mark(session, true);
    void this.handOver(runtime)
      .catch((err: unknown) => this.deps.logger.warn({ err, session }, 'handing a deleted session over failed'))
      .finally(() => this.mark(session, false));
    return true;
  }

  /**
   * Deletes the session everywhere (see the module comment). `runtime` is this node's, already
   * withdrawn from serving; it is closed here once the data is gone.
   */
  async remove(runtime: SessionRuntime): Promise<PurgeReport> {
    const session = runtime.name;
    const { membership, logger } = this.deps;
    this.mark(session, true);
    const tell = () => membership.tell(`${DELETING}${session}`);
    await tell();
    try {
      if (membership.keeper.tokenOf(session) !== undefined) await this.handOver(runtime);
      this.mark(session, false);
      const token = await this.freeLease(session, tell);
      let report: PurgeReport;
      try {
        report = await purgeSession(this.deps.database, {
          session,
          nodeId: membership.nodeId,
          token,
          alsoInTransaction: async (trx) => {
            if (this.deps.database.dialect === 'postgres') await notifyIn(trx, CLUSTER_CHANNEL, `sessions:${membership.nodeId}`);
          },
        });
      } finally {
        await this.leases.release(session, token).catch((err: unknown) => logger.warn({ err, session }, 'could not release a deleted session lease'));
      }
      logger.info({ session, deleted: report.deleted }, 'session data deleted from the shared store');
      await runtime.close();
      return report;
    } catch (error) {
      this.marks.delete(session);
      await membership.tell(`${KEPT}${session}`);
      throw error;
    } finally {
      if (!this.deps.runtimeOf(session)) this.marks.delete(session);
    }
  }

  /** The owner's part: no more sends, log the account out (fenced), close the socket, release. */
  private async handOver(runtime: SessionRuntime): Promise<void> {
    await runtime.services.park();
    if (runtime.transport.status().connected) {
      await runtime.transport
        .logout()
        .catch((err: unknown) => this.deps.logger.warn({ err, session: runtime.name }, 'logout failed; deleting the session anyway'));
    }
    await runtime.transport.suspend();
    await this.deps.membership.keeper.release(runtime.name);
  }

  /** Takes the session's lease outside the keeper (never renewed: the purge is one short transaction). */
  private async freeLease(session: string, tell: () => Promise<void>): Promise<number> {
    const started = performance.now();
    let told = started;
    for (;;) {
      const lease = await this.leases.acquire(session, this.deps.ttlMs);
      if (lease) return lease.token;
      const now = performance.now();
      if (now - started > this.waitMs) throw new LeaseNotFreedError(session);
      if (now - told > this.deps.ttlMs / 3) {
        told = now;
        await tell();
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  private mark(session: string, handingOver: boolean): void {
    this.marks.set(session, { until: performance.now() + 2 * this.waitMs, handingOver });
  }
}
