/**
 * Which phone numbers are on WhatsApp, from WhatsApp's own directory: one usync query with the
 * contact protocol (what Baileys' `onWhatsApp` sends) plus the LID protocol, so the batch costs one
 * round trip and the answer carries each account's LID.
 *
 * Why not `sock.onWhatsApp` itself: in rc14 it returns `{ jid, exists }` for the numbers that exist
 * only, without the LID, and drops what the server echoes of the number asked about. That echo is
 * what ties an answer to its question when WhatsApp answers with another JID than the digits asked
 * (Brazilian mobiles without their 9th digit), as whatsmeow's IsOnWhatsApp reads it too.
 */
import { USyncContactProtocol, USyncQuery, USyncUser, jidDecode, jidNormalizedUser, type BinaryNode, type WASocket } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { NumberOnWhatsApp } from '../transport.js';

interface ContactAnswer {
  onWhatsApp: boolean;
  /** The number the answer is about, as the server echoed it ('+6281…'), when it did. */
  asked?: string;
}

const contact = new USyncContactProtocol();

/** Baileys' contact protocol, with a parser that keeps the echoed number beside `type="in"`. */
const contactWithEcho = {
  name: contact.name,
  getQueryElement: () => contact.getQueryElement(),
  getUserElement: (user: USyncUser) => contact.getUserElement(user),
  parser: (node: BinaryNode): ContactAnswer => {
    const content = node.content;
    const text = typeof content === 'string' ? content : content instanceof Uint8Array ? Buffer.from(content).toString('utf8') : undefined;
    return { onWhatsApp: contact.parser(node), asked: text?.replace(/^\+/, '') };
  },
};

const digitsOf = (jid: string): string | undefined => jidDecode(jid)?.user;

export async function lookupNumbers(socket: WASocket, phones: readonly string[], logger: Logger): Promise<NumberOnWhatsApp[]> {
  if (phones.length === 0) return [];
  const query = new USyncQuery().withContext('interactive');
  query.protocols.push(contactWithEcho);
  query.withLIDProtocol();
  for (const phone of phones) query.withUser(new USyncUser().withPhone(`+${phone}`));
  const result = await socket.executeUSyncQuery(query);
  if (!result) throw new Error('WhatsApp answered the number lookup with an error');

  const answers = result.list.map((entry) => ({
    jid: jidNormalizedUser(entry.id),
    contact: entry.contact as ContactAnswer | undefined,
    lid: typeof entry.lid === 'string' && entry.lid.endsWith('@lid') ? entry.lid : undefined,
  }));
  const found = phones.map((phone): NumberOnWhatsApp => {
    const answer = answers.find((a) => a.contact?.asked === phone) ?? answers.find((a) => !a.contact?.asked && digitsOf(a.jid) === phone);
    // No answer for a number is WhatsApp saying nothing about it: not an account we can reach.
    if (!answer?.contact?.onWhatsApp) return { phone, exists: false };
    return { phone, exists: true, jid: answer.jid, ...(answer.lid ? { lid: answer.lid } : {}) };
  });

  // Baileys learns these mappings from its own device lookups too; keeping them spares the first send a LID query.
  const pairs = found.flatMap((n) => (n.jid && n.lid ? [{ pn: n.jid, lid: n.lid }] : []));
  await socket.signalRepository.lidMapping
    .storeLIDPNMappings(pairs)
    .catch((error: unknown) => logger.warn({ err: error }, 'could not keep the LID mappings of a number lookup'));
  return found;
}
