/**
 * Cluster mode only: this node's session leases as Prometheus figures, in the gateway's registry.
 * Which sessions it drives now, how often it took and lost each (by reason: handed over, run out,
 * taken by another node, self-fenced), renewals that got no answer from the database, and how many
 * leases it holds. Labels are session names and the four reasons: closed sets.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { LeaseKeeper, LostReason } from '../cluster/lease-keeper.js';

const REASONS: readonly LostReason[] = ['released', 'expired', 'stolen', 'self-fenced'];

export function registerLeaseMetrics(registry: Registry, keeper: LeaseKeeper, sessions: () => readonly string[]): void {
  const registers = [registry];
  const known = () => new Set([...sessions(), ...keeper.heldLeases().map((lease) => lease.session)]);
  /** Sessions with counter series (from their first acquisition here; removing a gone one again is a no-op). */
  const counted = new Set<string>();
  // A deleted session leaves no series behind, as with the other session metrics: each counter
  // drops the series of sessions no longer known here when it is scraped (its own collect, since
  // get() would call collect again).
  const pruneGone = (remove: (session: string) => void) => () => {
    const current = known();
    for (const session of counted) if (!current.has(session)) remove(session);
  };
  new Gauge({
    name: 'wa_gateway_lease_held',
    help: "1 while this node holds the session's lease (drives its WhatsApp socket), 0 otherwise",
    labelNames: ['session'] as const,
    registers,
    collect() {
      this.reset();
      const held = new Set(keeper.heldLeases().map((lease) => lease.session));
      for (const session of known()) this.set({ session }, held.has(session) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'wa_gateway_leases_held',
    help: 'How many session leases this node holds',
    registers,
    collect() {
      this.set(keeper.heldLeases().length);
    },
  });
  const acquisitions = new Counter({
    name: 'wa_gateway_lease_acquisitions_total',
    help: "Times this node took the session's lease",
    labelNames: ['session'] as const,
    registers,
    collect: pruneGone((session) => acquisitions.remove({ session })),
  });
  const losses = new Counter({
    name: 'wa_gateway_lease_losses_total',
    help: "Times this node stopped holding the session's lease: released (handed over), expired, stolen (another node holds it), self-fenced",
    labelNames: ['session', 'reason'] as const,
    registers,
    collect: pruneGone((session) => REASONS.forEach((reason) => losses.remove({ session, reason }))),
  });
  const renewFailures = new Counter({
    name: 'wa_gateway_lease_renew_failures_total',
    help: 'Lease renewals of the session that failed (database unreachable or erring); the lease is kept until its deadline',
    labelNames: ['session'] as const,
    registers,
    collect: pruneGone((session) => renewFailures.remove({ session })),
  });
  keeper.on('acquired', ({ session }) => {
    counted.add(session);
    acquisitions.inc({ session });
    // Every reason shows from the first acquisition, at 0 until it happens (rate() needs the series).
    for (const reason of REASONS) losses.inc({ session, reason }, 0);
    renewFailures.inc({ session }, 0);
  });
  keeper.on('lost', ({ session, reason }) => losses.inc({ session, reason }));
  keeper.on('renewFailed', ({ session }) => renewFailures.inc({ session }));
}
