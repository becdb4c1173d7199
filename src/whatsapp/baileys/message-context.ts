/**
 * A content's MessageContext in Baileys' terms: mentions go into the content (Baileys writes them
 * as contextInfo.mentionedJid of whatever kind it is), and a reply's quoted message becomes the
 * `quoted` option of sendMessage, rebuilt from what the gateway kept of it.
 */
import { BufferJSON, proto, type AnyMessageContent, type WAMessage } from '@whiskeysockets/baileys';
import type { MessageContext } from '../transport.js';

export function withMentions(content: AnyMessageContent, context: MessageContext | undefined): AnyMessageContent {
  const mentions = context?.mentions;
  return mentions?.length ? ({ ...content, mentions } as AnyMessageContent) : content;
}

/** The WAMessage Baileys quotes (contextInfo stanzaId, participant, quotedMessage), or undefined without a reply. */
export function quotedMessage(jid: string, context: MessageContext | undefined): WAMessage | undefined {
  const quoted = context?.quoted;
  if (!context?.quotedId || !quoted) return undefined;
  const key = { remoteJid: jid, fromMe: quoted.fromMe, id: context.quotedId, ...(quoted.participant ? { participant: quoted.participant } : {}) };
  if (quoted.incomingRaw) {
    const received = JSON.parse(quoted.incomingRaw, BufferJSON.reviver) as WAMessage;
    return { key: { ...received.key, ...key }, message: received.message };
  }
  const message = quoted.sentContent ? proto.Message.decode(Buffer.from(quoted.sentContent, 'base64')) : { conversation: quoted.text ?? '' };
  return { key, message };
}
