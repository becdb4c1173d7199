/**
 * The message a reaction is about, found in the chat it goes to: one we sent (its record) or one
 * we received (src/records/incoming-message-repository.ts). Anything else is 404 `Message not found`: WhatsApp would show
 * a reaction to a message the chat does not have nowhere.
 */
import { Errors } from '../errors/app-error.js';
import type { IncomingMessageRepository } from '../records/incoming-message-repository.js';
import type { MessageRepository } from '../records/message-repository.js';
import type { MessageTarget } from '../whatsapp/kinds.js';

/** `6281234567890:3@s.whatsapp.net` → `6281234567890@s.whatsapp.net`. */
const withoutDevice = (jid: string): string => jid.replace(/:\d+@/, '@');

export class MessageTargets {
  constructor(
    private readonly messages: MessageRepository,
    private readonly received: IncomingMessageRepository,
  ) {}

  /** `id`: WhatsApp's message id (our record id works too, for messages we sent). */
  async find(chatJid: string, id: string): Promise<MessageTarget> {
    const record = (await this.messages.getByWaId(id)) ?? (await this.messages.get(id));
    if (record?.waMessageId && record.jid === chatJid) return { id: record.waMessageId, remoteJid: chatJid, fromMe: true };
    const received = await this.received.findReceived(id);
    if (received) {
      // In a group the sender is the participant; in a person's chat the sender is the chat, named
      // by phone (or by LID when WhatsApp gave only that).
      if (chatJid.endsWith('@g.us')) {
        if (received.chat === chatJid) return { id, remoteJid: chatJid, fromMe: false, participant: withoutDevice(received.fromJid) };
      } else {
        const lid = typeof received.data?.from_lid === 'string' ? received.data.from_lid : null;
        const phoneJid = received.fromPhone ? `${received.fromPhone}@s.whatsapp.net` : null;
        if ([phoneJid, received.fromJid, lid].some((jid) => jid && withoutDevice(jid) === chatJid)) return { id, remoteJid: chatJid, fromMe: false };
      }
    }
    throw Errors.messageNotFound();
  }
}
