/**
 * Where an accepted send goes, once its record's ids are chosen: out now, into this node's outbox
 * (WhatsApp disconnected, pacing says wait, the recipient is held by an account restriction, or
 * earlier messages are still queued, so the order of acceptance is the order of delivery), or, in
 * cluster mode while another node drives the session, through the shared outbox to that node. In
 * cluster mode the driving node's own send also waits in the shared outbox behind jobs still
 * pending for its recipient (sends other nodes routed here), even without QUEUE_WHEN_DISCONNECTED.
 */
import { nextAllowedAt, pacingHorizonMs } from '../outbox/pacing.js';
import type { MessageRecord } from '../records/message-repository.js';
import type { OutgoingContent, WhatsAppTransport } from '../whatsapp/transport.js';
import type { AccountRestrictions } from './account-restrictions.js';
import type { SendOutcome, SendRequest } from './delivery-service.js';
import type { NewRecord, OutboxEnqueue, OutboxParts, QueuedSend } from './outbox-enqueue.js';
import { resolveRecipient } from './recipient.js';
import { answerWhenSettled, enqueueAwaitingResult, routedSend, type SendRouting } from './send-routing.js';
import type { UploadPolicies } from './upload-policy.js';

/** `now`: the record is not written yet; the caller writes it and sends. Otherwise the send is answered. */
export type SendDecision = { way: 'now' } | { way: 'queued' | 'routed'; outcome: SendOutcome };

export interface RoutingParts {
  via: SendRouting;
  /** The shared outbox, which exists in cluster mode even when this node does not queue its own sends. */
  outbox: OutboxParts;
  /** Upload limits, which bound the media bytes a job carries in the shared store (outbox-enqueue.ts). */
  uploads: UploadPolicies;
}

export class SendDecider {
  /** Decisions (send now or queue) run one at a time: see decideAndReserve. */
  private decisions: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: {
      transport: WhatsAppTransport;
      enqueuer: OutboxEnqueue;
      /** This node's own outbox (QUEUE_WHEN_DISCONNECTED). */
      outbox?: OutboxParts;
      restrictions?: AccountRestrictions;
      routing?: RoutingParts;
      /** Reads the message's record (a routed send is answered with what the driving node made of it). */
      record: (id: string) => Promise<MessageRecord | null>;
    },
  ) {}

  /** Cluster mode: another node (or, for a moment, none) drives the session; sends go to it. */
  drivenElsewhere(): boolean {
    return this.deps.routing?.via.drivenElsewhere() ?? false;
  }

  async decide(record: NewRecord, request: SendRequest, content: OutgoingContent): Promise<SendDecision> {
    const { routing, outbox } = this.deps;
    const ids = idsOf(record);
    if (routing && this.drivenElsewhere()) return { way: 'routed', outcome: await this.route(record, request, content, routing) };
    if (outbox && (await this.decideAndReserve(record, request, content, outbox)) === 'queued') return { way: 'queued', outcome: { ...ids, status: 'queued' } };
    if (routing && !outbox) {
      const behind = await this.queueBehindRouted(record, request, content, routing);
      if (behind) return { way: 'routed', outcome: behind };
    }
    return { way: 'now' };
  }

  /**
   * Cluster mode without QUEUE_WHEN_DISCONNECTED, on the driving node: a send to a recipient that
   * still has jobs in the shared outbox (sends other nodes routed here, not yet out) goes in behind
   * them, so the order of acceptance is the order of delivery, and is answered as a routed send
   * (200 once its job was sent within the bound, 202 queued otherwise). Checked and enqueued in one
   * decision (see decideAndReserve): a second send right after sees the first one's job.
   * Undefined: nothing waits for the recipient, the send goes out now.
   */
  private async queueBehindRouted(record: NewRecord, request: SendRequest, content: OutgoingContent, routing: RoutingParts): Promise<SendOutcome | undefined> {
    const { jid } = resolveRecipient(request.to);
    const pending = await this.oneAtATime(async () => {
      if (!(await routing.outbox.repository.hasPendingFor(jid))) return undefined;
      return enqueueAwaitingResult(routing.via, record.id, () => this.deps.enqueuer.enqueue(routing.outbox, queuedSend(record, request, content)));
    });
    return pending && answerWhenSettled(routing.via, pending, idsOf(record), () => this.deps.record(record.id));
  }

  /** Another node drives the session: through the shared outbox to it (send-routing.ts), media bytes included. */
  private route(record: NewRecord, request: SendRequest, content: OutgoingContent, routing: RoutingParts): Promise<SendOutcome> {
    return routedSend(routing.via, idsOf(record), {
      enqueue: () => this.deps.enqueuer.enqueue(routing.outbox, queuedSend(record, request, content)),
      record: () => this.deps.record(record.id),
    });
  }

  /**
   * Send now or queue, decided and acted on atomically: concurrent requests would otherwise all
   * see the same empty outbox and pacing history and all go out at once. Sending now reserves the
   * pacing slot before the send; queueing enqueues before the next decision, so FIFO holds.
   */
  private decideAndReserve(record: NewRecord, request: SendRequest, content: OutgoingContent, outbox: OutboxParts): Promise<'now' | 'queued'> {
    const { jid } = resolveRecipient(request.to);
    return this.oneAtATime(async () => {
      if (await this.mustQueue(jid, outbox)) {
        await this.deps.enqueuer.enqueue(outbox, queuedSend(record, request, content));
        return 'queued' as const;
      }
      await outbox.repository.recordSend(jid);
      return 'now' as const;
    });
  }

  /** Runs a decision after the ones before it; a failed one does not block the next. */
  private oneAtATime<T>(step: () => Promise<T>): Promise<T> {
    const decision = this.decisions.then(step);
    this.decisions = decision.catch(() => undefined);
    return decision;
  }

  private async mustQueue(jid: string, outbox: OutboxParts): Promise<boolean> {
    if (!this.deps.transport.status().connected) return true;
    if (this.deps.restrictions?.heldUntil(jid) != null) return true;
    if ((await outbox.repository.size()).jobs > 0) return true; // keep FIFO behind queued messages
    const now = Date.now();
    const history = await outbox.repository.recentSends(now - pacingHorizonMs(outbox.pacing));
    return nextAllowedAt(outbox.pacing, jid, history, now) > now;
  }
}

function idsOf(record: NewRecord): { id: string; messageId: string } {
  return { id: record.id, messageId: record.waMessageId };
}

/** The outbox's view of an accepted send: its record goes in with its job. */
function queuedSend(record: NewRecord, request: SendRequest, content: OutgoingContent): QueuedSend {
  return { ...idsOf(record), to: request.to, request: request.content, content, newRecord: record };
}
