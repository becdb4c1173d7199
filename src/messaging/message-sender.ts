/**
 * Sending one message now, in the domain's words: refuse early when WhatsApp is not connected,
 * prepare media (conversion, thumbnails), hand it to the transport, and turn transport failures
 * into the contract's "Failed to send message: <reason>". No Express, no Baileys here.
 */
import type { Logger } from 'pino';
import { AppError, Errors } from '../errors/app-error.js';
import { SendOutcomeUnknownError, ServerRejectedError } from '../whatsapp/send-outcome.js';
import type { OutgoingContent, SentMessage, WhatsAppTransport } from '../whatsapp/transport.js';
import type { MediaPreparer, PreparedMedia, PrepareInput } from './media-preparation.js';
import { resolveRecipient, type Recipient } from './recipient.js';

export class MessageSender {
  constructor(
    private readonly transport: WhatsAppTransport,
    private readonly preparer: MediaPreparer,
    private readonly logger: Logger,
  ) {}

  /** Throws 503 unless the WhatsApp connection is open. */
  assertConnected(): void {
    if (!this.transport.status().connected) throw Errors.notConnected();
  }

  /** Converts and describes an upload; errors come out as API errors (400 for undecodable input). */
  async prepare(input: PrepareInput): Promise<PreparedMedia> {
    try {
      return await this.preparer.prepare(input);
    } catch (error) {
      throw asAppError(error) ?? error;
    }
  }

  async send(recipient: Recipient, content: OutgoingContent, messageId?: string): Promise<SentMessage> {
    this.assertConnected();
    const kind = content.kind;
    const to = resolveRecipient(recipient);
    try {
      const sent = await this.transport.send(to.jid, content, messageId);
      // Debug: every send already has its request line at info, and a second line per message
      // was a measurable part of a text's CPU (issue 13). Failures below stay at warn.
      this.logger.debug({ to: to.phone, kind, messageId: sent.messageId }, 'message sent');
      return sent;
    } catch (error) {
      // The caller words these: a refusal keeps WhatsApp's code, an unknown outcome is not a failure.
      if (error instanceof AppError || error instanceof ServerRejectedError || error instanceof SendOutcomeUnknownError) throw error;
      // WhatsApp's own reasons are the contract's "<reason>"; a bug's text (a TypeError) is not.
      const bug = error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError || error instanceof SyntaxError;
      if (bug) this.logger.error({ err: error, to: to.phone, kind }, 'send failed on an internal error');
      let reason = bug ? 'internal error' : error instanceof Error ? error.message : String(error);
      // A socket that died mid-send reports a bare close code ("1006") or "Connection Closed".
      if (!this.transport.status().connected) reason = `connection to WhatsApp lost during the send (${reason})`;
      this.logger.warn({ to: to.phone, kind, reason }, 'send failed');
      throw Errors.sendFailed(reason);
    }
  }
}

/**
 * Media preparation errors carry their own HTTP status and code (see src/media/errors.ts). The
 * client's mistakes (400, 413) and a full conversion queue (503) keep theirs; anything else on our
 * side failed the send, which the contract words as 500 "Failed to send message: <reason>".
 */
function asAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  const e = error as { status?: unknown; code?: unknown; message?: unknown } | null;
  if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 600 && typeof e.code === 'string' && typeof e.message === 'string') {
    if (e.status < 500 || e.status === 503) return new AppError(e.status, e.code, e.message, {}, e.status === 503 ? { 'Retry-After': '10' } : {});
    return new AppError(500, e.code, `Failed to send message: ${e.message}`);
  }
  return undefined;
}
