/**
 * The tables of the shared store as Kysely sees them, one interface per table. Times are epoch
 * milliseconds in a bigint column on both dialects (PostgreSQL's int8 is parsed to a JS number by
 * openDatabase; every value we store stays far below 2^53).
 */

/** Who drives a session. One row per session, kept forever so the token only ever grows. */
export interface SessionLeaseTable {
  session: string;
  /** The node that holds (or last held) the lease. */
  owner_node: string;
  /** Fencing token: +1 on every acquisition, never reused for the session. */
  token: number;
  /** The database clock's epoch ms after which the lease is free; 0 once released. */
  expires_at: number;
}

/** Baileys credentials (`type` = 'creds', `id` = '') and signal keys, as opaque bytes. */
export interface SessionKeyTable {
  session: string;
  type: string;
  id: string;
  /** NULL is a tombstone: a fenced delete (see FencedKeyStore). */
  value: Buffer | null;
}

/** Live gateway nodes: each keeps its row fresh; the balancer spreads sessions over these. */
export interface ClusterNodeTable {
  node_id: string;
  expires_at: number;
}

export interface ClusterSchema {
  session_leases: SessionLeaseTable;
  session_keys: SessionKeyTable;
  cluster_nodes: ClusterNodeTable;
}
