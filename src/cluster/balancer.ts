/**
 * Spreads sessions evenly over the live nodes. Every node computes the same plan from the same
 * snapshot (live nodes + lease holders) without talking to the others: a node over its share
 * releases (handover, immediate), a node under its share takes free sessions. Nobody steals a live
 * lease, so rebalancing never makes two nodes drive one session; acquisitions that race are settled
 * by the lease table.
 */
import { createHash } from 'node:crypto';
import type { LeaseRepository } from './lease-repository.js';
import type { LeaseKeeper } from './lease-keeper.js';
import type { NodeRegistry } from './node-registry.js';

export interface BalanceInput {
  nodeId: string;
  liveNodes: readonly string[];
  /** Every session that should be running somewhere. */
  sessions: readonly string[];
  /** Live holders by session (null or absent: free). */
  holders: ReadonlyMap<string, string | null>;
}

export interface BalancePlan {
  /** How many sessions this node should hold. */
  target: number;
  release: string[];
  take: string[];
}

/**
 * Each node's share: floor(N/M), and the N mod M remaining sessions go to the nodes already holding
 * the most (ties by id), so a balanced cluster stays put instead of shuffling sessions around.
 */
export function shares(sessions: readonly string[], liveNodes: readonly string[], holders: ReadonlyMap<string, string | null>): Map<string, number> {
  const nodes = [...new Set(liveNodes)];
  const result = new Map<string, number>();
  if (nodes.length === 0) return result;
  const load = new Map(nodes.map((n) => [n, 0]));
  for (const s of sessions) {
    const owner = holders.get(s);
    if (owner && load.has(owner)) load.set(owner, load.get(owner)! + 1);
  }
  const base = Math.floor(sessions.length / nodes.length);
  const extra = sessions.length % nodes.length;
  const order = [...nodes].sort((a, b) => load.get(b)! - load.get(a)! || (a < b ? -1 : a > b ? 1 : 0));
  order.forEach((node, i) => result.set(node, base + (i < extra ? 1 : 0)));
  return result;
}

export function planBalance(input: BalanceInput): BalancePlan {
  const liveNodes = input.liveNodes.includes(input.nodeId) ? input.liveNodes : [...input.liveNodes, input.nodeId];
  const target = shares(input.sessions, liveNodes, input.holders).get(input.nodeId) ?? 0;
  const wanted = new Set(input.sessions);
  const mine = [...input.holders].filter(([, owner]) => owner === input.nodeId).map(([s]) => s);
  // Sessions nobody should run any more go first, then the excess.
  const unwanted = mine.filter((s) => !wanted.has(s));
  const kept = mine.filter((s) => wanted.has(s)).sort();
  const release = [...unwanted, ...kept.slice(target)];
  const free = input.sessions.filter((s) => !input.holders.get(s));
  // Nodes racing for the same free sessions each prefer a different order, so fewer attempts collide.
  const preference = (s: string) => createHash('sha1').update(`${input.nodeId}\u0000${s}`).digest('hex');
  const take = free.sort((a, b) => (preference(a) < preference(b) ? -1 : 1)).slice(0, Math.max(0, target - kept.length));
  return { target, release, take };
}

/** One balancing step for this node: read the cluster, release the excess, claim its share. */
export async function rebalance(
  cluster: { keeper: LeaseKeeper; nodes: NodeRegistry; leases: LeaseRepository },
  sessions: readonly string[],
): Promise<BalancePlan> {
  const { keeper, nodes, leases } = cluster;
  const [liveNodes, holders] = await Promise.all([nodes.liveNodes(), leases.holders()]);
  const byHolder = new Map<string, string | null>(holders.map((h) => [h.session, h.owner]));
  // A lease the table still shows as ours but the keeper gave up (self-fenced) is neither ours to
  // count nor free to take: it runs out on its own.
  for (const [session, owner] of byHolder) if (owner === keeper.nodeId && keeper.tokenOf(session) === undefined) byHolder.set(session, '(fenced)');
  const plan = planBalance({ nodeId: keeper.nodeId, liveNodes, sessions, holders: byHolder });
  await Promise.all(plan.release.filter((s) => keeper.tokenOf(s) !== undefined).map((s) => keeper.release(s)));
  await Promise.all(plan.take.map((s) => keeper.claim(s)));
  return plan;
}
