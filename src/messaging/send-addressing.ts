/**
 * What a send checks about where it goes before anything is recorded: a group must be one the
 * account is in (asked through the group metadata cache, so a burst of sends makes one query), and
 * `reply_to` / `mentions` become the content's context. While WhatsApp is disconnected (outbox on)
 * the group cannot be asked about: the outbox worker checks it when it sends the job, and a group
 * the account is not in fails the record with that reason, never retried.
 */
import { AppError } from '../errors/app-error.js';
import type { WhatsAppTransport } from '../whatsapp/transport.js';
import type { ContentRequest } from './content-request.js';
import { isGroupJid, resolveRecipient, type Recipient } from './recipient.js';
import type { ReplyContexts, SendOptions } from './reply-context.js';

/** The outbox's verdict for a queued group send whose group the account is no longer in. */
export class GroupGoneError extends Error {
  /** Never resent automatically (see OutboxWorker). */
  readonly retryable = false;
  constructor() {
    super('Group not found: the account is not in this group');
  }
}

export class SendAddressing {
  constructor(
    private readonly transport: WhatsAppTransport,
    private readonly replies?: ReplyContexts,
  ) {}

  /**
   * Whether `address` has anything to do: a group to check, or reply/mention context to build. A
   * send to a contact without options (most sends) skips it, and the promises it would take.
   */
  needed(to: Recipient, options: SendOptions | undefined): boolean {
    return this.checksRecipient(to) || (this.replies !== undefined && (options?.replyTo !== undefined || (options?.mentions?.length ?? 0) > 0));
  }

  /** The content with its context, after the recipient was found reachable; throws 404s. */
  async address(to: Recipient, content: ContentRequest, options: SendOptions | undefined): Promise<ContentRequest> {
    await this.checkRecipient(to);
    const context = await this.replies?.resolve(resolveRecipient(to).jid, options);
    return context ? { ...content, context: { ...content.context, ...context } } : content;
  }

  /** 404 GROUP_NOT_FOUND for a group the account is not in (asked only while connected; the outbox checks queued ones). */
  async checkRecipient(to: Recipient): Promise<void> {
    if (this.checksRecipient(to)) await this.transport.groups.info(to.jid);
  }

  /** A group, asked about while connected (only the true answer narrows: a group may be skipped). */
  private checksRecipient(to: Recipient): to is Extract<Recipient, { kind: 'group' }> {
    return to.kind === 'group' && this.transport.status().connected;
  }

  /** Before the outbox sends a queued job: a group the account left fails the job for good. */
  async beforeQueuedSend(jid: string): Promise<void> {
    if (!isGroupJid(jid)) return;
    try {
      await this.transport.groups.info(jid);
    } catch (error) {
      if (error instanceof AppError && error.code === 'GROUP_NOT_FOUND') throw new GroupGoneError();
      throw error;
    }
  }
}
