/**
 * The cross-node outbox over LISTEN/NOTIFY (notify.ts). The shared outbox rings `outbox` with the
 * session's name when a job is enqueued and `outbox_result` with the message id when a job settles
 * (kysely-outbox-repository.ts). Here a node listens to both: the driver of a session wakes its
 * worker, and a node waiting to answer a routed send (send-routing.ts) is told its result.
 *
 * Notifications are lost while the listening connection is down: on 'resync' every driven session's
 * worker looks again, and every waiting send reads its record (and waits on if it has not settled).
 */
import type { Logger } from 'pino';
import type { SendRouting, SettledWait } from '../messaging/send-routing.js';
import { OUTBOX_CHANNEL, OUTBOX_RESULT_CHANNEL } from '../outbox/kysely-outbox-repository.js';
import type { Notifier } from './notify.js';

type WaitEnd = Awaited<SettledWait['done']>;

export interface OutboxDoorbellOptions {
  /** Absent on SQLite (one node): no routed sends wait, nothing listens. */
  notifier?: Notifier;
  /** A job was enqueued for `session`: wake its worker if this node drives it. */
  onEnqueued(session: string): void;
  /** Notifications may have been missed: every driven session's worker looks again. */
  onResync(): void;
  logger: Logger;
}

export class OutboxDoorbell {
  private readonly waiters = new Map<string, Set<(ended: WaitEnd) => void>>();
  /** Shutting down: routed sends wait for nothing (see endWaits). */
  private ending = false;

  constructor(private readonly options: OutboxDoorbellOptions) {}

  async start(): Promise<void> {
    const { notifier } = this.options;
    if (!notifier) return;
    await notifier.listen(OUTBOX_CHANNEL, (session) => this.options.onEnqueued(session));
    await notifier.listen(OUTBOX_RESULT_CHANNEL, (messageId) => this.settle(messageId, 'settled'));
    notifier.on('resync', () => {
      this.options.onResync();
      // A result announced while the connection was down is read from the record now.
      for (const id of [...this.waiters.keys()]) this.settle(id, 'resync');
    });
  }

  /** The routing of one session's sends (the delivery service's `routing`). */
  routing(drivenHere: () => boolean, waitMs: number): SendRouting {
    return {
      drivenElsewhere: () => !drivenHere(),
      waitMs,
      settled: (recordId, withinMs) => this.wait(recordId, this.options.notifier ? withinMs : 0),
    };
  }

  /**
   * Shutdown begins: every routed send's wait ends now and is answered from its record (200 if the
   * owner already sent it, else 202 queued: the owner sends it, not this node), so the HTTP drain
   * does not hold this node's own sessions back from their handover for other nodes' acks.
   */
  endWaits(): void {
    this.ending = true;
    for (const id of [...this.waiters.keys()]) this.settle(id, 'bound');
  }

  private wait(recordId: string, requestedMs: number): SettledWait {
    const withinMs = this.ending ? 0 : requestedMs;
    let release: (ended: WaitEnd) => void = () => {};
    const done = new Promise<WaitEnd>((resolve) => {
      const timer = setTimeout(() => release('bound'), withinMs);
      release = (ended) => {
        clearTimeout(timer);
        const set = this.waiters.get(recordId);
        set?.delete(release);
        if (set?.size === 0) this.waiters.delete(recordId);
        resolve(ended);
      };
      const set = this.waiters.get(recordId) ?? new Set();
      set.add(release);
      this.waiters.set(recordId, set);
    });
    return { done, cancel: () => release('bound') };
  }

  private settle(recordId: string, ended: WaitEnd): void {
    for (const release of [...(this.waiters.get(recordId) ?? [])]) release(ended);
  }
}
