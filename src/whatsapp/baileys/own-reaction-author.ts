/**
 * A reaction to our own message in a group must name us as the message's author: WhatsApp keys a
 * group message by its sender (key.participant), and a reaction key without one matches nothing.
 * The port's target says only `fromMe`; who "me" is in that group is decided here, as Baileys
 * decided it when it sent the message: our LID in a LID-addressed group (when we have one),
 * otherwise our phone JID — always without the device.
 */
import { isJidGroup, jidNormalizedUser, type WASocket } from '@whiskeysockets/baileys';
import type { OutgoingReaction } from '../kinds.js';
import type { GroupMetadataCache } from './group-metadata-cache.js';

export async function withOwnAuthor(reaction: OutgoingReaction, socket: WASocket | undefined, groups: GroupMetadataCache): Promise<OutgoingReaction> {
  const { target } = reaction;
  const me = socket?.user;
  if (!target.fromMe || target.participant || !isJidGroup(target.remoteJid) || !me) return reaction;
  // The same cache (and default) relayMessage reads for the group's addressing mode.
  const mode = await groups
    .lookup(target.remoteJid)
    .then((metadata) => metadata.addressingMode)
    .catch(() => undefined);
  const author = (mode ?? 'lid') === 'lid' && me.lid ? me.lid : me.id;
  return { ...reaction, target: { ...target, participant: jidNormalizedUser(author) } };
}
