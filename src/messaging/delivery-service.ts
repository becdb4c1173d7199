/**
 * Every send goes through here: it gets a record (our id + WhatsApp id, chosen before sending so a
 * receipt can never arrive for an unknown message), and is either sent now or, with the outbox on,
 * queued — when WhatsApp is disconnected, when pacing says wait, or when earlier messages are still
 * queued (so the order of acceptance is the order of delivery).
 */
import type { Logger } from 'pino';
import { AppError, Errors } from '../errors/app-error.js';
import type { MessageRepository, StatusChange } from '../store/message-repository.js';
import type { MediaSpool } from '../store/media-spool.js';
import { OutboxFullError, type OutboxJob, type OutboxRepository } from '../store/outbox-repository.js';
import type { OutboxSender, OutboxWorker } from '../store/outbox-worker.js';
import { nextAllowedAt, pacingHorizonMs, type PacingPolicy } from '../store/pacing.js';
import { SendOutcomeUnknownError, ServerRejectedError } from '../whatsapp/send-outcome.js';
import type { OutgoingMedia, WhatsAppTransport } from '../whatsapp/transport.js';
import type { AccountRestrictions } from './account-restrictions.js';
import type { PrepareInput } from './media-preparation.js';
import { restoreMedia, serialiseMediaOptions } from './outbox-media-options.js';
import type { MessageSender } from './message-sender.js';
import type { NormalisedPhone } from './phone-number.js';

export interface OutboxParts {
  repository: OutboxRepository;
  spool: MediaSpool;
  pacing: PacingPolicy;
  /** Set once the worker exists (it needs this service's sender). */
  worker?: OutboxWorker;
}

export type SendRequest =
  | { to: NormalisedPhone; kind: 'text'; text: string }
  | { to: NormalisedPhone; kind: PrepareInput['kind']; media: PrepareInput };

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
    },
  ) {}

  /** Decisions (send now or queue) run one at a time: see decideAndReserve. */
  private decisions: Promise<unknown> = Promise.resolve();

  get queueing(): boolean {
    return this.deps.outbox !== undefined;
  }

  /** Without the outbox a disconnected gateway refuses sends with 503 before reading bodies. */
  assertCanAccept(): void {
    if (!this.deps.outbox) this.deps.sender.assertConnected();
  }

  async send(request: SendRequest, attempt: SendAttempt = {}): Promise<SendOutcome> {
    this.assertCanAccept();
    if (request.kind === 'text') return this.dispatch(request, undefined, attempt);
    const prepared = await this.deps.sender.prepare(request.media);
    try {
      return await this.dispatch(request, prepared.media, attempt);
    } finally {
      await prepared.cleanup().catch((error: unknown) => this.deps.logger.warn({ err: error }, 'media cleanup failed'));
    }
  }

  private async dispatch(request: SendRequest, media: OutgoingMedia | undefined, attempt: SendAttempt): Promise<SendOutcome> {
    const { transport, messages, outbox } = this.deps;
    if (attempt.resumeRecordId) {
      const resumed = await this.resume(attempt.resumeRecordId, request, media);
      if (resumed) return resumed;
    }
    if (!outbox) this.deps.restrictions?.assertMaySend(request.to.jid);
    const messageId = transport.newMessageId();
    const text = request.kind === 'text' ? request.text : (media?.caption ?? null);
    const record = await messages.create({
      waMessageId: messageId,
      phone: request.to.digits,
      jid: request.to.jid,
      type: request.kind,
      text,
      // The client's name for the file, even when a converted file goes out under another name.
      fileName: request.kind === 'text' ? null : request.media.originalName,
      status: 'queued',
    });
    await attempt.onRecord?.(record.id);
    if (outbox && (await this.decideAndReserve(record.id, messageId, request, media, outbox)) === 'queued') {
      return { id: record.id, messageId, status: 'queued' };
    }
    return this.sendNow(record.id, messageId, request, media, false);
  }

  /**
   * Continues the message an earlier attempt of this request created: its outcome, if known, is
   * the answer; a message still without a server ack goes out again under the same WhatsApp id.
   * Undefined when there is nothing to continue (the record was purged).
   */
  private async resume(recordId: string, request: SendRequest, media: OutgoingMedia | undefined): Promise<SendOutcome | undefined> {
    const record = await this.deps.messages.get(recordId);
    if (!record?.waMessageId) return undefined;
    const ids = { id: record.id, messageId: record.waMessageId };
    if (REACHED.has(record.status)) return { ...ids, status: record.status as SendOutcome['status'] };
    if (record.status === 'failed') throw Errors.sendFailed(record.error ?? 'unknown error');
    const job = await this.deps.outbox?.repository.get(record.id);
    if (job && (job.status === 'queued' || job.status === 'in_flight')) return { ...ids, status: 'queued' };
    this.deps.logger.info(ids, 'retry of a send whose outcome was unknown: sending again under the same WhatsApp id');
    return this.sendNow(record.id, record.waMessageId, request, media, true);
  }

  private async sendNow(recordId: string, messageId: string, request: SendRequest, media: OutgoingMedia | undefined, resumed: boolean): Promise<SendOutcome> {
    try {
      await this.deps.sender.send(request.to, request.kind === 'text' ? { kind: 'text', text: request.text } : media!, messageId);
    } catch (error) {
      // With the outbox on, a message without its ack is the outbox's to resend, under the same id.
      const { outbox } = this.deps;
      if (outbox && error instanceof SendOutcomeUnknownError) {
        this.deps.logger.warn({ id: recordId, messageId, reason: error.message }, 'no server ack: the outbox resends the message under the same id');
        await this.enqueue(recordId, messageId, request, media, outbox);
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
  private decideAndReserve(
    id: string,
    messageId: string,
    request: SendRequest,
    media: OutgoingMedia | undefined,
    outbox: OutboxParts,
  ): Promise<'now' | 'queued'> {
    const decision = this.decisions.then(async () => {
      if (await this.mustQueue(request.to.jid, outbox)) {
        await this.enqueue(id, messageId, request, media, outbox);
        return 'queued' as const;
      }
      await outbox.repository.recordSend(request.to.jid);
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

  private async enqueue(id: string, messageId: string, request: SendRequest, media: OutgoingMedia | undefined, outbox: OutboxParts): Promise<void> {
    let spooled: { path: string; bytes: number } | undefined;
    try {
      if (media) spooled = await outbox.spool.adopt(media.path, media.fileName);
      await outbox.repository.enqueue({
        messageId: id,
        waMessageId: messageId,
        jid: request.to.jid,
        kind: request.kind,
        text: request.kind === 'text' ? request.text : null,
        media: media && spooled
          ? { path: spooled.path, bytes: spooled.bytes, fileName: media.fileName, mimetype: media.mimetype, caption: media.caption ?? null }
          : null,
        options: media ? serialiseMediaOptions(media) : null,
      });
    } catch (error) {
      if (spooled) await outbox.spool.remove(spooled.path);
      const reason = error instanceof Error ? error.message : String(error);
      await this.mark(id, 'failed', reason);
      if (error instanceof OutboxFullError) throw new AppError(503, 'OUTBOX_FULL', error.message, {}, { 'Retry-After': '60' });
      throw error;
    }
    this.deps.logger.info({ id, messageId, to: request.to.digits, kind: request.kind }, 'message queued in the outbox');
    outbox.worker?.kick();
  }

  /** What the outbox worker calls to send a queued job. */
  outboxSender(): OutboxSender {
    const { transport } = this.deps;
    return {
      isConnected: () => transport.status().connected,
      newMessageId: () => transport.newMessageId(),
      send: async (job: OutboxJob, waMessageId: string) => {
        if (job.kind === 'text') {
          await transport.send(job.jid, { kind: 'text', text: job.text ?? '' }, waMessageId);
          return;
        }
        if (!job.media) throw new Error('queued media job has no file');
        await transport.send(job.jid, restoreMedia(job), waMessageId);
      },
    };
  }
}
