/**
 * Cluster mode: a send accepted by a node that does not drive the session. It goes into the shared
 * outbox (whose insert rings the owner's doorbell), and the answer waits for the owner's result as
 * a local send waits for WhatsApp's server ack: 200 when the job settled as sent within the bound,
 * 202 queued otherwise. Implemented over LISTEN/NOTIFY in src/cluster/outbox-doorbell.ts.
 */
export interface SendRouting {
  /** This node does not hold the session's lease: its socket is not the session's. */
  drivenElsewhere(): boolean;
  /** How long the answer waits for the owner: the bound a local send waits for its server ack. */
  readonly waitMs: number;
  /**
   * Resolves when the job of message `recordId` settled on any node, or after `withinMs`. Call it
   * before enqueuing (a result announced in between would be missed), and `cancel` if the enqueue fails.
   */
  settled(recordId: string, withinMs: number): SettledWait;
}

export interface SettledWait {
  done: Promise<void>;
  cancel(): void;
}
