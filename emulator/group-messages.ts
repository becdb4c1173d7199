import { getBinaryNodeChild, getBinaryNodeChildren, jidDecode, proto, unpadRandomMax16, type BinaryNode } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import { pnJid, type Directory, type Person } from './directory.js';
import type { Groups } from './groups.js';
import { attachMedia } from './media-attach.js';
import type { MediaServer } from './media-server.js';
import { companionAddress } from './message-inbox.js';
import type { PairedDevice } from './paired-devices.js';
import { classify, type ReceivedMessage } from './received-message.js';
import { SenderKeys } from './sender-keys.js';
import type { SignalMessageType } from './signal-party.js';

/**
 * The members' phones in group chats: each keeps the sender keys it was given, and opens what the
 * companion sends to a group the way a member's phone does. A group send is
 * `<message to=G><participants><to jid=device><enc pkmsg|msg/></to>…</participants><enc skmsg/></message>`:
 * each `<to>` copy is Signal-decrypted by that member's phone to take the sender key distribution
 * message, then every member holding the companion's sender key decrypts the skmsg with the group cipher.
 */
export class GroupMessages {
  private readonly keys = new Map<string, SenderKeys>();

  constructor(
    private readonly directory: Directory,
    private readonly groups: Groups,
    private readonly media: MediaServer,
    private readonly logger: Logger,
  ) {}

  /** The sender keys a person's phone holds (and its own chains when it sends to a group). */
  keysOf(person: Person): SenderKeys {
    let keys = this.keys.get(person.phone);
    if (!keys) this.keys.set(person.phone, (keys = new SenderKeys()));
    return keys;
  }

  /** One record per member phone (the account's own phone included) that could decrypt the message. */
  async open(stanza: BinaryNode, sender: PairedDevice): Promise<ReceivedMessage[]> {
    const groupJid = stanza.attrs.to ?? '';
    const group = this.groups.get(groupJid);
    const from = companionAddress(this.directory.account.lid, sender.device);
    const recipients = getBinaryNodeChildren(getBinaryNodeChild(stanza, 'participants'), 'to');
    for (const to of recipients) await this.takeDistribution(groupJid, to, from);
    const skmsg = getBinaryNodeChildren(stanza, 'enc').find((enc) => enc.attrs.type === 'skmsg');
    if (!group || !(skmsg?.content instanceof Uint8Array)) {
      this.logger.warn({ groupJid, id: stanza.attrs.id }, 'group message for an unknown group or without skmsg');
      return [];
    }
    const records: ReceivedMessage[] = [];
    for (const phone of group.participants.keys()) {
      const person = this.groups.person(phone);
      const base = {
        id: stanza.attrs.id ?? '',
        to: pnJid(person.phone),
        chat: groupJid,
        group: groupJid,
        recipientDevice: this.groups.memberJid(group, person),
        isOwnDeviceCopy: person.isAccount,
        from: sender.jid,
        senderKeyRecipients: recipients.map((to) => to.attrs.jid ?? ''),
        stanza: { ...stanza.attrs },
        receivedAt: new Date(),
      };
      const keys = this.keysOf(person);
      try {
        if (!keys.has(groupJid, from)) throw new Error(`${phone} never received the sender key of ${sender.jid}`);
        const message = proto.Message.decode(unpadRandomMax16(await keys.decrypt(groupJid, from, skmsg.content)));
        const classified = classify(message);
        const record: ReceivedMessage = { ...base, message, rawMessage: message, type: classified.type, text: classified.text, caption: classified.caption };
        await attachMedia(record, classified, this.media, this.logger);
        records.push(record);
      } catch (err) {
        this.logger.error({ err, phone, id: base.id }, 'could not decrypt a group message');
        records.push({ ...base, message: {}, rawMessage: {}, type: 'undecryptable', error: String(err) });
      }
    }
    return records;
  }

  /** A member's phone opens its Signal copy and keeps the sender key it carries. Other companions' copies are not ours to open. */
  private async takeDistribution(groupJid: string, to: BinaryNode, from: ReturnType<typeof companionAddress>): Promise<void> {
    const jid = to.attrs.jid ?? '';
    const enc = getBinaryNodeChild(to, 'enc');
    const person = this.directory.resolve(jid);
    if (!person || (jidDecode(jid)?.device ?? 0) !== 0 || !(enc?.content instanceof Uint8Array)) return;
    try {
      const plaintext = await person.party.decrypt(from, enc.attrs.type as SignalMessageType, enc.content);
      const distribution = proto.Message.decode(unpadRandomMax16(plaintext)).senderKeyDistributionMessage;
      if (!distribution?.axolotlSenderKeyDistributionMessage) throw new Error('participant copy without a sender key distribution message');
      if (distribution.groupId !== groupJid) throw new Error(`sender key for ${distribution.groupId}, not ${groupJid}`);
      await this.keysOf(person).receive(groupJid, from, distribution.axolotlSenderKeyDistributionMessage);
    } catch (err) {
      this.logger.error({ err, jid }, 'could not open a sender key distribution copy');
    }
  }
}
