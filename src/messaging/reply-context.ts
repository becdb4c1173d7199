/**
 * The `reply_to` and `mentions` options of a send, turned into the content's MessageContext: the
 * quoted message is looked up where the gateway kept it — a message we sent (its record, and its
 * content as kept for retry receipts), or one we received (the incoming store, kept for
 * INCOMING_RETENTION) — and must belong to the chat the reply goes to.
 */
import { Errors } from '../errors/app-error.js';
import type { IncomingMessageRepository, ReceivedMessage } from '../records/incoming-message-repository.js';
import type { MessageRepository } from '../records/message-repository.js';
import type { SentContentStore } from '../whatsapp/sent-content.js';
import type { MessageContext, QuotedMessage } from '../whatsapp/transport.js';
import { isGroupJid } from './recipient.js';

/** What a client asked for besides the content (validated by src/http/addressing.ts). */
export interface SendOptions {
  /** WhatsApp id of the message to quote. */
  replyTo?: string;
  /** JIDs of the people mentioned. */
  mentions?: string[];
}

export interface ReplyContextDeps {
  messages: MessageRepository;
  incoming: IncomingMessageRepository;
  sentContent?: SentContentStore;
  /** The account's own JID (a quote of our own message in a group names it as the author). */
  accountJid: () => string | undefined;
}

export class ReplyContexts {
  constructor(private readonly deps: ReplyContextDeps) {}

  /** The context for a send to `chatJid`; undefined without options. 404 MESSAGE_NOT_FOUND for an unknown reply_to. */
  async resolve(chatJid: string, options: SendOptions | undefined): Promise<MessageContext | undefined> {
    if (!options?.replyTo && !options?.mentions?.length) return undefined;
    const context: MessageContext = {};
    if (options.mentions?.length) context.mentions = options.mentions;
    if (options.replyTo) {
      context.quotedId = options.replyTo;
      context.quoted = await this.quoted(chatJid, options.replyTo);
    }
    return context;
  }

  private async quoted(chatJid: string, id: string): Promise<QuotedMessage> {
    const sent = await this.deps.messages.getByWaId(id);
    if (sent && sent.jid === chatJid) {
      const bytes = await this.deps.sentContent?.find(id);
      const participant = isGroupJid(chatJid) ? this.deps.accountJid() : undefined;
      return {
        fromMe: true,
        ...(participant ? { participant } : {}),
        ...(bytes ? { sentContent: Buffer.from(bytes).toString('base64') } : { text: sent.summary ?? '' }),
      };
    }
    const received = await this.deps.incoming.findReceived(id);
    if (received && chatJidsOf(received).includes(chatJid)) {
      return { fromMe: false, ...(isGroupJid(chatJid) ? { participant: received.fromJid } : {}), incomingRaw: received.raw };
    }
    throw Errors.messageNotFound();
  }
}

/**
 * The JIDs that name a received message's chat: a group's, or every name of the sender WhatsApp
 * gave (phone JID and LID), so a reply to a contact by either form may quote it.
 */
function chatJidsOf(received: ReceivedMessage): string[] {
  const chat = received.chat.includes('@') ? received.chat : `${received.chat}@s.whatsapp.net`;
  if (isGroupJid(chat)) return [chat];
  const lid = typeof received.data?.from_lid === 'string' ? received.data.from_lid : undefined;
  const phoneJid = received.fromPhone ? `${received.fromPhone}@s.whatsapp.net` : undefined;
  return [chat, received.fromJid, phoneJid, lid].filter((jid): jid is string => jid !== undefined);
}
