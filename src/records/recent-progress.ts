/**
 * The records a repository moved to `sent` a moment ago, as it last wrote them, by record id. Every
 * send confirms `sent` once WhatsApp's server ack resolves it (delivery-service.ts, outbox-worker.ts),
 * and the ack's listener has written that status already: server-acks.ts reports the ack (and the
 * records listener runs its UPDATE, synchronously) before it resolves the send. Knowing that here
 * spares the confirmation a SELECT per text (issue 13); what it answers from is on disk already.
 *
 * A record enters on its move to `sent`, follows its later moves while it is here (a fast receipt's
 * `delivered`), and leaves when the send path takes it; one nobody takes (a late ack after its send
 * gave up) is pushed out by newer ones, so this never holds more than CAPACITY records.
 */
import type { MessageRecord } from './message-repository.js';

/** Far more than the sends awaiting their ack at once; an evicted record only costs its SELECT. */
const CAPACITY = 256;

export class RecentProgress {
  private readonly records = new Map<string, MessageRecord>();

  /** A record's status moved forward: remember it if it just became `sent`, follow it if remembered. */
  progressed(record: MessageRecord): void {
    if (record.status !== 'sent' && !this.records.has(record.id)) return;
    this.records.set(record.id, record);
    if (this.records.size > CAPACITY) this.records.delete(this.records.keys().next().value ?? '');
  }

  /** The record as last written, if it is here; it leaves (the send path asks once). */
  take(id: string): MessageRecord | undefined {
    const record = this.records.get(id);
    if (record) this.records.delete(id);
    return record;
  }
}
