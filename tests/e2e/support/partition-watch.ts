/**
 * What the partition test watches while it runs: each account emulator's open connections (every
 * 10 ms) and the lease rows (every 50 ms), so the moment the cut-off node's socket ended can be put
 * beside its lease's expiry at the database (the same machine's clock as Date.now()).
 */
import type { Emulator } from '../../../emulator/index.js';
import type { SqlDatabase } from '../../../src/cluster/sql/database.js';
import { sleep } from './harness.js';

export interface Lease {
  session: string;
  owner_node: string;
  token: number;
  expires_at: number;
}

export class PartitionWatch {
  /** Most connections an account had open at once. */
  readonly maxOpen = new Map<string, number>();
  /** Once armed: the first moment each account had no connection open. */
  readonly closedAt = new Map<string, number>();
  /**
   * Once armed: the expiry (database clock, epoch ms) of the lease the cut-off node held, as it
   * last renewed it; kept once another node holds the session (a lease acquired later is another).
   */
  readonly expiryOfCutOff = new Map<string, number>();
  private readonly taken = new Set<string>();
  armedAt: number | undefined;
  private readonly timer: NodeJS.Timeout;
  private polling = true;
  private readonly leasePoll: Promise<void>;

  constructor(
    private readonly emulators: ReadonlyMap<string, Emulator>,
    private readonly observer: SqlDatabase,
    /** The node id of the node the test cuts off. */
    private readonly cutOff: string,
  ) {
    this.timer = setInterval(() => this.sampleSockets(), 10);
    this.leasePoll = this.pollLeases();
  }

  arm(): void {
    this.armedAt = Date.now();
  }

  leases(): Promise<Lease[]> {
    return this.observer.db.selectFrom('session_leases').selectAll().orderBy('session').execute();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.polling = false;
    await this.leasePoll;
  }

  private sampleSockets(): void {
    for (const [session, emu] of this.emulators) {
      this.maxOpen.set(session, Math.max(this.maxOpen.get(session) ?? 0, emu.connections));
      if (this.armedAt !== undefined && emu.connections === 0 && !this.closedAt.has(session)) this.closedAt.set(session, Date.now());
    }
  }

  private async pollLeases(): Promise<void> {
    while (this.polling) {
      if (this.armedAt !== undefined)
        for (const lease of await this.leases()) {
          if (lease.owner_node !== this.cutOff) this.taken.add(lease.session);
          else if (!this.taken.has(lease.session)) this.expiryOfCutOff.set(lease.session, lease.expires_at);
        }
      await sleep(50);
    }
  }
}
