/**
 * Every send goes through here: it gets a record (our id + WhatsApp id, chosen before sending so a
 * receipt can never arrive for an unknown message), and is either sent now or, with the outbox on,
 * queued — when WhatsApp is disconnected, when pacing says wait, or when earlier messages are still
 * queued (so the order of acceptance is the order of delivery).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { AppError, Errors } from '../errors/app-error.js';
import type { MessageRepository, NewMessage, StatusChange } from '../records/message-repository.js';
import type { MediaSpool } from '../outbox/media-spool.js';
import { OutboxFullError, type OutboxJob, type OutboxRepository } from '../outbox/outbox-repository.js';
import type { OutboxSender, OutboxWorker } from '../outbox/outbox-worker.js';
import { nextAllowedAt, pacingHorizonMs, type PacingPolicy } from '../outbox/pacing.js';
import { SendOutcomeUnknownError, ServerRejectedError } from '../whatsapp/send-outcome.js';
import type { OutgoingContent, WhatsAppTransport } from '../whatsapp/transport.js';
import { decodeJobContent, encodeJobContent, isMediaContent } from '../outbox/job-content.js';
import type { AccountRestrictions } from './account-restrictions.js';
import { isMediaUpload, recordSummary, type ContentRequest } from './content-request.js';
import type { MessageSender } from './message-sender.js';
import { resolveRecipient, type Recipient } from './recipient.js';
import type { SendOptions } from './reply-context.js';
import type { SendAddressing } from './send-addressing.js';
import { routedSend, type SendRouting } from './send-routing.js';

export interface OutboxParts {
  repository: OutboxRepository;
  spool: MediaSpool;
  pacing: PacingPolicy;
  /** Set once the worker exists (it needs this service's sender). */
  worker?: OutboxWorker;
}

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

/** A record about to be written: its ids are chosen before anything is stored or sent. */
type NewRecord = NewMessage & { id: string; waMessageId: string };

const REACHED = new Set(['sent', 'delivered', 'read']);

export class DeliveryService {
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
      routing?: { via: SendRouting; outbox: OutboxParts };
    },
  ) {}

  /** Decisions (send now or queue) run one at a time: see decideAndReserve. */
  private decisions: Promise<unknown> = Promise.resolve();

  get queueing(): boolean {
    return this.deps.outbox !== undefined;
  }

  /** Without the outbox a disconnected gateway refuses sends with 503 before reading bodies. */
  assertCanAccept(): void {
    if (!this.deps.outbox && !this.drivenElsewhere()) this.deps.sender.assertConnected();
  }

  /** Cluster mode: another node (or, for a moment, none) drives the session; sends go to it. */
  private drivenElsewhere(): boolean {
    return this.deps.routing?.via.drivenElsewhere() ?? false;
  }

  /** A group the account is in, checked before content built from the chat (a reaction's target); send() repeats it from the cache. */
  async checkRecipient(to: Recipient): Promise<void> {
    await this.deps.addressing?.checkRecipient(to);
  }

  async send(request: SendRequest, attempt: SendAttempt = {}): Promise<SendOutcome> {
    this.assertCanAccept();
    // A queued media file stays on the disk of the node that accepted it, out of the owner's reach:
    // refused as on a disconnected node without the outbox, rather than queued and failed later.
    if (isMediaUpload(request.content) && this.drivenElsewhere()) this.deps.sender.assertConnected();
    if (this.deps.addressing) request = { ...request, content: await this.deps.addressing.address(request.to, request.content, request.options) };
    const prepared = await this.prepare(request.content);
    try {
      return await this.dispatch(request, prepared.content, attempt);
    } finally {
      await prepared.cleanup().catch((error: unknown) => this.deps.logger.warn({ err: error }, 'media cleanup failed'));
    }
  }

  /** Media is converted and described first; every other kind goes out as the client gave it. */
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
    // A queued message's record is written with its job, in one transaction (see enqueue).
    const { routing } = this.deps;
    if (routing && this.drivenElsewhere()) return this.route(record, request, content, routing.outbox, routing.via);
    if (outbox && (await this.decideAndReserve(record, request, content, outbox)) === 'queued') {
      return { id: record.id, messageId, status: 'queued' };
    }
    await messages.create(record);
    return this.sendNow(record.id, messageId, request, content, false);
  }

  /** Another node drives the session: through the shared outbox to it (send-routing.ts). */
  private route(record: NewRecord, request: SendRequest, content: OutgoingContent, outbox: OutboxParts, routing: SendRouting): Promise<SendOutcome> {
    const ids = { id: record.id, messageId: record.waMessageId };
    return routedSend(routing, ids, {
      enqueue: () => this.enqueue(record.id, record.waMessageId, request, content, outbox, record),
      record: () => this.deps.messages.get(record.id),
    });
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
    if (record.status === 'failed') throw Errors.sendFailed(record.error ?? 'unknown error');
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
        await this.enqueue(recordId, messageId, request, content, outbox);
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

  /**
   * Send now or queue, decided and acted on atomically: concurrent requests would otherwise all
   * see the same empty outbox and pacing history and all go out at once. Sending now reserves the
   * pacing slot before the send; queueing enqueues before the next decision, so FIFO holds.
   */
  private decideAndReserve(record: NewRecord, request: SendRequest, content: OutgoingContent, outbox: OutboxParts): Promise<'now' | 'queued'> {
    const { jid } = resolveRecipient(request.to);
    const decision = this.decisions.then(async () => {
      if (await this.mustQueue(jid, outbox)) {
        await this.enqueue(record.id, record.waMessageId, request, content, outbox, record);
        return 'queued' as const;
      }
      await outbox.repository.recordSend(jid);
      return 'now' as const;
    });
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

  /** `newRecord`: the message's record is not written yet and goes in with the job, atomically. */
  private async enqueue(
    id: string,
    messageId: string,
    request: SendRequest,
    content: OutgoingContent,
    outbox: OutboxParts,
    newRecord?: NewRecord,
  ): Promise<void> {
    const to = resolveRecipient(request.to);
    let spooled: { path: string; bytes: number } | undefined;
    try {
      // A media file moves into the spool, and the queued content points at it there.
      let queued = content;
      if (isMediaContent(content)) {
        spooled = await outbox.spool.adopt(content.path, content.fileName);
        queued = { ...content, path: spooled.path };
      }
      await outbox.repository.enqueue(
        {
          messageId: id,
          waMessageId: messageId,
          jid: to.jid,
          kind: content.kind,
          media:
            isMediaContent(content) && spooled
              ? { path: spooled.path, bytes: spooled.bytes, fileName: content.fileName, mimetype: content.mimetype, caption: content.caption ?? null }
              : null,
          options: encodeJobContent(queued),
        },
        Date.now(),
        newRecord,
      );
    } catch (error) {
      if (spooled) await outbox.spool.remove(spooled.path);
      const reason = error instanceof Error ? error.message : String(error);
      const full = error instanceof OutboxFullError;
      // A full outbox is the message's failure, kept on its record; any other error wrote neither row.
      if (newRecord && full) await this.deps.messages.create(newRecord);
      if (!newRecord || full) await this.mark(id, 'failed', reason);
      if (error instanceof OutboxFullError) throw new AppError(503, 'OUTBOX_FULL', error.message, {}, { 'Retry-After': '60' });
      throw error;
    }
    this.deps.logger.info({ id, messageId, to: to.phone, kind: request.content.kind }, 'message queued in the outbox');
    outbox.worker?.kick();
  }

  /** What the outbox worker calls to send a queued job. */
  outboxSender(): OutboxSender {
    const { transport } = this.deps;
    return {
      isConnected: () => transport.status().connected,
      newMessageId: () => transport.newMessageId(),
      send: async (job: OutboxJob, waMessageId: string) => {
        await this.deps.addressing?.beforeQueuedSend(job.jid);
        await transport.send(job.jid, decodeJobContent(job), waMessageId);
      },
    };
  }
}
