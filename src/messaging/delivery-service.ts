/**
 * Every send goes through here: it gets a record (our id + WhatsApp id, chosen before sending so a
 * receipt can never arrive for an unknown message), and is sent now, queued in the outbox or routed
 * to the node driving the session, as send-decision.ts decides; the sending itself, its outcome on
 * the record, and the retry of a request whose outcome was unknown are here.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { Errors } from '../errors/app-error.js';
import type { MessageRepository, StatusChange } from '../records/message-repository.js';
import type { OutboxJob } from '../outbox/outbox-repository.js';
import type { OutboxSender } from '../outbox/outbox-worker.js';
import { decodeJobContent } from '../outbox/job-content.js';
import { sendQueuedContent } from '../outbox/stored-media.js';
import { SendOutcomeUnknownError, ServerRejectedError } from '../whatsapp/send-outcome.js';
import type { OutgoingContent, WhatsAppTransport } from '../whatsapp/transport.js';
import type { AccountRestrictions } from './account-restrictions.js';
import { isMediaUpload, recordSummary, type ContentRequest } from './content-request.js';
import type { MessageSender } from './message-sender.js';
import { OutboxEnqueue, type NewRecord, type OutboxParts } from './outbox-enqueue.js';
import { resolveRecipient, type Recipient } from './recipient.js';
import type { SendOptions } from './reply-context.js';
import type { SendAddressing } from './send-addressing.js';
import { SendDecider, type RoutingParts } from './send-decision.js';
import { recordedFailure } from './send-routing.js';

export type { OutboxParts } from './outbox-enqueue.js';

export interface SendRequest {
  to: Recipient;
  content: ContentRequest;
  /** `reply_to` and `mentions` (src/http/addressing.ts): resolved into the content's context. */
  options?: SendOptions;
}

/** Content ready to go out, and how to remove the files its preparation made. */
interface Prepared {
  content: OutgoingContent;
  cleanup(): Promise<void>;
}

export interface SendOutcome {
  /** Our record id (GET /api/messages/:id). */
  id: string;
  /** WhatsApp's message id. */
  messageId: string;
  /** How far the message got before the response: `sent` = WhatsApp's server acknowledged it. */
  status: 'sent' | 'delivered' | 'read' | 'queued';
}

/** One attempt of a request, as the idempotency layer sees it (see OnceContext). */
export interface SendAttempt {
  /** The record an earlier attempt of the same request created: continue it under its WhatsApp id. */
  resumeRecordId?: string;
  /** Told the new record's id before anything is sent. */
  onRecord?: (recordId: string) => Promise<void>;
}

const REACHED = new Set(['sent', 'delivered', 'read']);

export class DeliveryService {
  private readonly enqueuer: OutboxEnqueue;
  private readonly decider: SendDecider;

  constructor(
    private readonly deps: {
      transport: WhatsAppTransport;
      sender: MessageSender;
      messages: MessageRepository;
      outbox?: OutboxParts;
      /** Sends to new contacts wait (outbox) or are refused while WhatsApp restricts the account. */
      restrictions?: AccountRestrictions;
      logger: Logger;
      /** Told about every status the gateway itself gives a record (sent, failed). */
      onStatusChange?: (change: StatusChange) => void;
      /** Group membership and reply/mention context, checked before anything is recorded. */
      addressing?: SendAddressing;
      /**
       * Cluster mode: sends accepted while another node drives the session go `via` the routing
       * (send-routing.ts) into the shared `outbox`, which exists here even when `outbox` above does not.
       */
      routing?: RoutingParts;
    },
  ) {
    this.enqueuer = new OutboxEnqueue({
      messages: deps.messages,
      markFailed: (id, reason) => this.mark(id, 'failed', reason),
      logger: deps.logger,
      // Cluster mode: the driver's own queued media too, so a node taking the session over can send them.
      storeMediaWithin: deps.routing?.uploads,
    });
    this.decider = new SendDecider({
      transport: deps.transport,
      enqueuer: this.enqueuer,
      outbox: deps.outbox,
      restrictions: deps.restrictions,
      routing: deps.routing,
      record: (id) => deps.messages.get(id),
    });
  }

  get queueing(): boolean {
    return this.deps.outbox !== undefined;
  }

  /** Without the outbox a disconnected gateway refuses sends with 503 before reading bodies. */
  assertCanAccept(): void {
    if (!this.deps.outbox && !this.drivenElsewhere()) this.deps.sender.assertConnected();
  }

  /** Cluster mode: another node (or, for a moment, none) drives the session; sends go to it. */
  private drivenElsewhere(): boolean {
    return this.decider.drivenElsewhere();
  }

  /** A group the account is in, checked before content built from the chat (a reaction's target); send() repeats it from the cache. */
  async checkRecipient(to: Recipient): Promise<void> {
    await this.deps.addressing?.checkRecipient(to);
  }

  async send(request: SendRequest, attempt: SendAttempt = {}): Promise<SendOutcome> {
    this.assertCanAccept();
    const { addressing } = this.deps;
    if (addressing?.needed(request.to, request.options))
      request = { ...request, content: await addressing.address(request.to, request.content, request.options) };
    // Every other kind goes out as the client gave it, with nothing to prepare or clean up.
    if (!isMediaUpload(request.content)) return this.dispatch(request, request.content, attempt);
    const prepared = await this.prepare(request.content);
    try {
      return await this.dispatch(request, prepared.content, attempt);
    } finally {
      await prepared.cleanup().catch((error: unknown) => this.deps.logger.warn({ err: error }, 'media cleanup failed'));
    }
  }

  /** Media is converted and described first. */
  private async prepare(request: ContentRequest): Promise<Prepared> {
    if (!isMediaUpload(request)) return { content: request, cleanup: async () => {} };
    const prepared = await this.deps.sender.prepare(request.upload);
    const content = request.context ? { ...prepared.media, context: request.context } : prepared.media;
    return { content, cleanup: () => prepared.cleanup() };
  }

  private async dispatch(request: SendRequest, content: OutgoingContent, attempt: SendAttempt): Promise<SendOutcome> {
    const { transport, messages, outbox } = this.deps;
    if (attempt.resumeRecordId) {
      const resumed = await this.resume(attempt.resumeRecordId, request, content);
      if (resumed) return resumed;
    }
    const to = resolveRecipient(request.to);
    if (!outbox) this.deps.restrictions?.assertMaySend(to.jid);
    const messageId = transport.newMessageId();
    const record: NewRecord = {
      id: randomUUID(),
      waMessageId: messageId,
      phone: to.phone,
      jid: to.jid,
      type: request.content.kind,
      ...recordSummary(request.content, content),
      status: 'queued',
    };
    // Bound before the record is written: a key whose record a crash never wrote is simply released.
    await attempt.onRecord?.(record.id);
    // A queued or routed message's record is written with its job, in one transaction (outbox-enqueue.ts).
    const decision = await this.decider.decide(record, request, content);
    if (decision.way !== 'now') return decision.outcome;
    await messages.create(record);
    return this.sendNow(record.id, messageId, request, content, false);
  }

  /**
   * Continues the message an earlier attempt of this request created: its outcome, if known, is
   * the answer; a message still without a server ack goes out again under the same WhatsApp id.
   * Undefined when there is nothing to continue (the record was purged).
   */
  private async resume(recordId: string, request: SendRequest, content: OutgoingContent): Promise<SendOutcome | undefined> {
    const record = await this.deps.messages.get(recordId);
    if (!record?.waMessageId) return undefined;
    const ids = { id: record.id, messageId: record.waMessageId };
    if (REACHED.has(record.status)) return { ...ids, status: record.status as SendOutcome['status'] };
    if (record.status === 'failed') throw recordedFailure(record.error);
    const job = await this.deps.outbox?.repository.get(record.id);
    if (job && (job.status === 'queued' || job.status === 'in_flight')) return { ...ids, status: 'queued' };
    this.deps.logger.info(ids, 'retry of a send whose outcome was unknown: sending again under the same WhatsApp id');
    return this.sendNow(record.id, record.waMessageId, request, content, true);
  }

  private async sendNow(recordId: string, messageId: string, request: SendRequest, content: OutgoingContent, resumed: boolean): Promise<SendOutcome> {
    try {
      await this.deps.sender.send(request.to, content, messageId);
    } catch (error) {
      // With the outbox on, a message without its ack is the outbox's to resend, under the same id.
      const { outbox } = this.deps;
      if (outbox && error instanceof SendOutcomeUnknownError) {
        this.deps.logger.warn({ id: recordId, messageId, reason: error.message }, 'no server ack: the outbox resends the message under the same id');
        await this.enqueuer.enqueue(outbox, { id: recordId, messageId, to: request.to, request: request.content, content });
        return { id: recordId, messageId, status: 'queued' };
      }
      throw await this.sendError(recordId, messageId, error, resumed);
    }
    // The transport resolved on WhatsApp's server ack; a fast receipt may already have gone further.
    const change = await this.deps.messages.markStatusById(recordId, 'sent', new Date());
    if (change?.changed) this.deps.onStatusChange?.(change);
    const status = change?.record.status;
    return { id: recordId, messageId, status: status === 'delivered' || status === 'read' ? status : 'sent' };
  }

  /** The API error for a send that did not get its server ack, with the record updated to match. */
  private async sendError(recordId: string, messageId: string, error: unknown, resumed: boolean): Promise<unknown> {
    if (error instanceof ServerRejectedError) {
      await this.mark(recordId, 'failed', error.message);
      return Errors.sendRejected(error.code, error.message);
    }
    // No ack: the record stays queued (a late ack still makes it sent); the client may retry safely.
    // A resumed attempt that fails in any way leaves the first attempt's outcome just as unknown.
    if (error instanceof SendOutcomeUnknownError || resumed) {
      const reason = (error instanceof Error ? error.message : String(error)).replace(/^Failed to send message: /, '');
      this.deps.logger.warn({ id: recordId, messageId, reason }, 'send outcome unknown');
      return Errors.sendOutcomeUnknown(reason, { id: recordId, messageId });
    }
    // The record keeps WhatsApp's reason, without the HTTP wording around it.
    const reason = (error instanceof Error ? error.message : String(error)).replace(/^Failed to send message: /, '');
    await this.mark(recordId, 'failed', reason);
    return error;
  }

  private async mark(id: string, status: 'sent' | 'failed', error?: string): Promise<void> {
    const change = await this.deps.messages.markStatusById(id, status, new Date(), error);
    if (change?.changed) this.deps.onStatusChange?.(change);
  }

  /** What the outbox worker calls to send a queued job. */
  outboxSender(): OutboxSender {
    const { transport } = this.deps;
    // The one outbox the worker drains: in cluster mode the shared one (also this node's own when it queues).
    const outbox = this.deps.routing?.outbox ?? this.deps.outbox;
    return {
      isConnected: () => transport.status().connected,
      newMessageId: () => transport.newMessageId(),
      send: async (job: OutboxJob, waMessageId: string) => {
        await this.deps.addressing?.beforeQueuedSend(job.jid);
        // Media another node accepted comes from the shared store, through a spool file of this node's.
        const send = async (content: OutgoingContent) => {
          await transport.send(job.jid, content, waMessageId);
        };
        await (outbox ? sendQueuedContent(job, outbox, send) : send(decodeJobContent(job)));
      },
    };
  }
}
