/**
 * Cluster membership: each node keeps a row alive (renewed with its leases); the live rows are the
 * nodes the balancer spreads sessions over. A node that stops renewing drops out after its TTL by
 * the database's clock; one that shuts down cleanly leaves at once.
 */
import { sql } from 'kysely';
import type { SqlDatabase } from './sql/database.js';
import { dbNowMs } from './sql/dialect.js';

export class NodeRegistry {
  constructor(
    private readonly store: SqlDatabase,
    readonly nodeId: string,
  ) {}

  async heartbeat(ttlMs: number): Promise<void> {
    const expiresAt = sql<number>`${dbNowMs(this.store.dialect)} + ${ttlMs}`;
    await this.store.db
      .insertInto('cluster_nodes')
      .values({ node_id: this.nodeId, expires_at: expiresAt })
      .onConflict((oc) => oc.column('node_id').doUpdateSet({ expires_at: expiresAt }))
      .execute();
  }

  async leave(): Promise<void> {
    await this.store.db.deleteFrom('cluster_nodes').where('node_id', '=', this.nodeId).execute();
  }

  /** Live node ids, sorted. */
  async liveNodes(): Promise<string[]> {
    const rows = await this.store.db
      .selectFrom('cluster_nodes')
      .select('node_id')
      .where('expires_at', '>', dbNowMs(this.store.dialect))
      .orderBy('node_id')
      .execute();
    return rows.map((r) => r.node_id);
  }
}
