/**
 * Deleting a session in cluster mode. Its data lives in the shared store, and only the holder of
 * its lease may touch it, so the node deleting it:
 *
 * 1. tells every node (NOTIFY `cluster`, `deleting:<session>`): each withdraws the session at once
 *    (its requests answer 404, its runtime closes, so nothing of it is written any more), and the
 *    node driving it first stops its outbox and logs the account out as a single node does (the
 *    credentials wipe is a fenced write under its lease), then closes and releases the lease. This
 *    node does the same with its own runtime;
 * 2. takes the free lease (waiting up to 2 × LEASE_TTL + 5 s: a crashed owner's lease runs out
 *    within one TTL; the request is repeated every TTL/3, since a NOTIFY can be lost);
 * 3. deletes every row of the session and its list entry in one transaction fenced by that lease,
 *    NOTIFYing `sessions` on commit, so every node closes its runtime at once (session-purge.ts);
 * 4. releases the lease.
 *
 * If the lease cannot be had in time nothing is deleted: every node is told `kept:<session>` and
 * reopens the session at its next balancing round (the caller answers 503); a node that hears
 * nothing more reopens it after the withdrawal's bound (the deleting node died half way).
 */
import type { Logger } from 'pino';
import { CLUSTER_CHANNEL, type ClusterMembership } from '../cluster/cluster-membership.js';
import { LeaseRepository } from '../cluster/lease-repository.js';
import { notifyIn } from '../cluster/notify.js';
import { purgeSession, type PurgeReport } from '../cluster/session-purge.js';
import type { SqlDatabase } from '../cluster/sql/database.js';
import type { SessionManager } from './session-manager.js';
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

export interface ClusterSessionDeletionDeps {
  database: SqlDatabase;
  membership: ClusterMembership;
  ttlMs: number;
  sessions: () => SessionManager | undefined;
  logger: Logger;
}

export class ClusterSessionDeletion {
  /** Sessions this node is logging out and releasing: balancing must not release them first. */
  private readonly handingOver = new Set<string>();
  private readonly leases: LeaseRepository;

  constructor(private readonly deps: ClusterSessionDeletionDeps) {
    this.leases = new LeaseRepository(deps.database, deps.membership.nodeId);
  }

  /** How long the deleting node waits for the lease. */
  private get waitMs(): number {
    return 2 * this.deps.ttlMs + 5000;
  }

  /** The sessions balancing should consider: the ones open here, plus the ones being handed over. */
  balanced(open: readonly string[]): string[] {
    return [...new Set([...open, ...this.handingOver])];
  }

  /** A `cluster` NOTIFY payload; returns whether it was about a deletion. */
  onMessage(payload: string): boolean {
    const manager = this.deps.sessions();
    if (payload.startsWith(KEPT)) {
      manager?.restore(payload.slice(KEPT.length));
      return true;
    }
    if (!payload.startsWith(DELETING)) return false;
    const session = payload.slice(DELETING.length);
    void manager
      ?.withdraw(session, 2 * this.waitMs, (runtime) => this.close(runtime))
      .catch((err: unknown) => this.deps.logger.warn({ err, session }, 'closing a session deleted through another node failed'));
    return true;
  }

  /**
   * Deletes the session everywhere (see the module comment). `runtime` is this node's, already
   * withdrawn from serving; it is closed here first.
   */
  async remove(runtime: SessionRuntime): Promise<PurgeReport> {
    const session = runtime.name;
    const { membership, logger } = this.deps;
    const tell = () => membership.tell(`${DELETING}${session}`);
    await tell();
    await this.close(runtime);
    try {
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
      return report;
    } catch (error) {
      await membership.tell(`${KEPT}${session}`);
      throw error;
    }
  }

  /**
   * Closes this node's runtime of a session being deleted. Its driver stops sending, logs the
   * account out (fenced, under its lease), closes the runtime (so every write of it is done) and
   * only then releases the lease.
   */
  private async close(runtime: SessionRuntime): Promise<void> {
    const session = runtime.name;
    const keeper = this.deps.membership.keeper;
    if (keeper.tokenOf(session) === undefined) return runtime.close();
    this.handingOver.add(session);
    try {
      await runtime.services.park();
      if (runtime.transport.status().connected) {
        await runtime.transport.logout().catch((err: unknown) => this.deps.logger.warn({ err, session }, 'logout failed; deleting the session anyway'));
      }
      await runtime.close();
      await keeper.release(session);
    } finally {
      this.handingOver.delete(session);
    }
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
}
