/**
 * Sending, in the domain's words: refuse early when WhatsApp is not connected, prepare media
 * (conversion, thumbnails), hand it to the transport, and turn transport failures into the
 * contract's "Failed to send message: <reason>". No Express, no Baileys here.
 */
import type { Logger } from 'pino';
import { AppError, Errors } from '../errors/app-error.js';
import type { SentMessage, WhatsAppTransport } from '../whatsapp/transport.js';
import type { MediaPreparer, PrepareInput } from './media-preparation.js';
import type { NormalisedPhone } from './phone-number.js';

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

  async sendText(to: NormalisedPhone, text: string): Promise<SentMessage> {
    this.assertConnected();
    return this.deliver(() => this.transport.sendText(to.jid, text), to, 'text');
  }

  async sendMedia(to: NormalisedPhone, input: PrepareInput): Promise<SentMessage> {
    this.assertConnected();
    const prepared = await this.preparer.prepare(input).catch((error: unknown) => {
      throw asAppError(error) ?? error;
    });
    try {
      return await this.deliver(() => this.transport.sendMedia(to.jid, prepared.media), to, input.kind);
    } finally {
      await prepared.cleanup().catch((error: unknown) => this.logger.warn({ err: error }, 'media cleanup failed'));
    }
  }

  private async deliver(send: () => Promise<SentMessage>, to: NormalisedPhone, kind: string): Promise<SentMessage> {
    try {
      const sent = await send();
      this.logger.info({ to: to.digits, kind, messageId: sent.messageId }, 'message sent');
      return sent;
    } catch (error) {
      if (error instanceof AppError) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.warn({ to: to.digits, kind, reason }, 'send failed');
      throw Errors.sendFailed(reason);
    }
  }
}

/** Media preparation errors carry their own HTTP status and code (see src/media/errors.ts). */
function asAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  const e = error as { status?: unknown; code?: unknown; message?: unknown } | null;
  if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 600 && typeof e.code === 'string' && typeof e.message === 'string') {
    return new AppError(e.status, e.code, e.message);
  }
  return undefined;
}
