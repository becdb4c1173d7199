import { encodeWAMessage, type BinaryNode, type proto } from '@whiskeysockets/baileys';
import * as libsignal from 'libsignal';
import { lidJid, pnJid, type Person } from './directory.js';
import type { GroupMessages } from './group-messages.js';
import type { Groups } from './groups.js';
import { stanzaType, type IncomingMessageOptions } from './inbound-message.js';
import { companionAddress } from './message-inbox.js';
import type { PairedDevice, PairedDevices } from './paired-devices.js';

/**
 * A member's phone writes to a group, as WhatsApp delivers it to each of the account's companions:
 * `<message from=G participant=member><enc pkmsg|msg>(sender key distribution)</enc><enc skmsg/></message>`.
 * The member's own sender key chain encrypts the content once (skmsg); a companion that has not yet
 * got that chain receives the distribution message Signal-encrypted first, in the same stanza.
 */
export class GroupInbound {
  // Which companion devices already hold a member's sender key for a group: `${group}|${phone}|${device}`.
  private readonly distributed = new Set<string>();

  constructor(
    private readonly groups: Groups,
    private readonly groupMessages: GroupMessages,
    private readonly devices: PairedDevices,
    private readonly account: { phone: string; lid: string },
  ) {}

  async stanzas(
    groupJid: string,
    sender: Person,
    targets: PairedDevice[],
    message: proto.IMessage,
    options: IncomingMessageOptions & { id: string },
  ): Promise<{ device: PairedDevice; stanza: BinaryNode }[]> {
    const group = this.groups.get(groupJid);
    if (!group) throw new Error(`no group ${groupJid}`);
    if (!group.participants.has(sender.phone)) throw new Error(`${sender.phone} is not a member of ${groupJid}`);
    if (group.announce && !group.participants.get(sender.phone)) throw new Error(`only admins may write to the announcement group ${groupJid}`);
    if (!group.participants.has(this.account.phone)) throw new Error(`the account is not a member of ${groupJid}`);
    const keys = this.groupMessages.keysOf(sender);
    const self = new libsignal.ProtocolAddress(sender.phone, 0);
    const distribution = await keys.distribution(groupJid, self);
    const skmsg = Buffer.from(await keys.encrypt(groupJid, self, encodeWAMessage(message)));
    const byLid = group.addressingMode === 'lid';
    const attrs: Record<string, string> = {
      from: groupJid,
      participant: byLid ? lidJid(sender.lid) : pnJid(sender.phone),
      addressing_mode: group.addressingMode,
      id: options.id,
      t: String(options.timestamp ?? Math.floor(Date.now() / 1000)),
      type: stanzaType(message),
    };
    if (byLid) attrs.participant_pn = pnJid(sender.phone);
    else attrs.participant_lid = lidJid(sender.lid);
    const pushName = options.pushName ?? sender.pushName;
    if (pushName) attrs.notify = pushName;

    const out: { device: PairedDevice; stanza: BinaryNode }[] = [];
    for (const device of targets) {
      const content: BinaryNode[] = [];
      const mark = `${groupJid}|${sender.phone}|${device.device}`;
      if (!this.distributed.has(mark)) {
        const { type, ciphertext } = await sender.party.encrypt(
          companionAddress(this.account.lid, device.device),
          encodeWAMessage({ senderKeyDistributionMessage: { groupId: groupJid, axolotlSenderKeyDistributionMessage: distribution } }),
          () => this.devices.takeBundle(device),
        );
        content.push({ tag: 'enc', attrs: { v: '2', type }, content: ciphertext });
        this.distributed.add(mark);
      }
      content.push({ tag: 'enc', attrs: { v: '2', type: 'skmsg' }, content: skmsg });
      out.push({ device, stanza: { tag: 'message', attrs: { ...attrs }, content } });
    }
    return out;
  }
}
