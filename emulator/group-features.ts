import { randomBytes } from 'node:crypto';
import type { BinaryNode, proto } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { ClientConnection } from './client-connection.js';
import { pnJid, type Directory, type Person } from './directory.js';
import { GroupInbound } from './group-inbound.js';
import { GroupMessages } from './group-messages.js';
import { Groups, type GroupInfo, type GroupState, type NewGroup, type ParticipantAction, type ParticipantResult } from './groups.js';
import type { IncomingMessageOptions } from './inbound-message.js';
import type { MediaServer } from './media-server.js';
import type { PairedDevice, PairedDevices } from './paired-devices.js';
import type { ReceivedMessage } from './received-message.js';

export type GroupSetting = 'announcement' | 'not_announcement' | 'locked' | 'unlocked';

/** The groups side of the emulator, for tests: state, changes made by other members, query counts. */
export interface EmulatorGroups {
  /** Creates a group (by `spec.owner`, the account by default); members' companions get the `create` notification. */
  create(spec: NewGroup): GroupInfo;
  info(jid: string): GroupInfo | undefined;
  list(): GroupInfo[];
  /** A member (`byPhone`, the owner by default) changes participants; WhatsApp's w:gp2 notification follows. */
  updateParticipants(jid: string, phones: string[], action: ParticipantAction, byPhone?: string): ParticipantResult[];
  setSubject(jid: string, subject: string, byPhone?: string): void;
  setDescription(jid: string, text: string | undefined, byPhone?: string): void;
  setSetting(jid: string, setting: GroupSetting, byPhone?: string): void;
  leave(jid: string, phone: string): void;
  /** Metadata queries (`w:g2` query request=interactive) answered, for one group or all. */
  metadataQueries(jid?: string): number;
}

interface Wiring {
  directory: Directory;
  devices: PairedDevices;
  media: MediaServer;
  logger: Logger;
  /** Logged-in connections of the account's companions. */
  companions(): { device: PairedDevice; connection: ClientConnection }[];
}

/** Composes group state, the w:gp2 notifications, opening group sends and member-sent group messages. */
export class GroupFeatures implements EmulatorGroups {
  readonly state: Groups;
  private readonly messages: GroupMessages;
  private readonly inbound: GroupInbound;

  constructor(private readonly wiring: Wiring) {
    this.state = new Groups(wiring.directory, (group, actor, change, alsoTo) => this.notify(group, actor, change, alsoTo));
    this.messages = new GroupMessages(wiring.directory, this.state, wiring.media, wiring.logger.child({ module: 'groups' }));
    this.inbound = new GroupInbound(this.state, this.messages, wiring.devices, wiring.directory.account);
  }

  create(spec: NewGroup): GroupInfo {
    return this.state.info(this.state.create(spec));
  }

  info(jid: string): GroupInfo | undefined {
    const group = this.state.get(jid);
    return group && this.state.info(group);
  }

  list(): GroupInfo[] {
    return this.state.list().map((group) => this.state.info(group));
  }

  updateParticipants(jid: string, phones: string[], action: ParticipantAction, byPhone?: string): ParticipantResult[] {
    const group = this.group(jid);
    return this.state.updateParticipants(group, byPhone ?? group.owner, phones, action);
  }

  setSubject(jid: string, subject: string, byPhone?: string): void {
    const group = this.group(jid);
    this.state.setSubject(group, byPhone ?? group.owner, subject);
  }

  setDescription(jid: string, text: string | undefined, byPhone?: string): void {
    const group = this.group(jid);
    this.state.setDescription(group, byPhone ?? group.owner, text);
  }

  setSetting(jid: string, setting: GroupSetting, byPhone?: string): void {
    const group = this.group(jid);
    this.state.setSetting(group, byPhone ?? group.owner, setting);
  }

  leave(jid: string, phone: string): void {
    if (!this.state.leave(this.group(jid), phone)) throw new Error(`${phone} is not a member of ${jid}`);
  }

  metadataQueries(jid?: string): number {
    return this.state.metadataQueryCount(jid);
  }

  /** The last open in progress per group and sending device: see openSend. */
  private readonly opening = new Map<string, Promise<unknown>>();

  /**
   * Opens a group message the companion sent (one record per member phone). A member's phone
   * handles one sender's messages in order: opened concurrently, a later stanza could be tried
   * before the one carrying the sender key, and came out undecryptable.
   */
  openSend(stanza: BinaryNode, sender: PairedDevice): Promise<ReceivedMessage[]> {
    const lane = `${stanza.attrs.to ?? ''}|${sender.jid}`;
    const opened = (this.opening.get(lane) ?? Promise.resolve()).then(() => this.messages.open(stanza, sender));
    const settled = opened.catch(() => undefined);
    this.opening.set(lane, settled);
    void settled.then(() => this.opening.get(lane) === settled && this.opening.delete(lane));
    return opened;
  }

  /** The members' automatic receipts for a group send, with the emulator's receipt options (delivered after delayMs, read after twice that). */
  scheduleReceipts(
    connection: ClientConnection,
    copies: ReceivedMessage[],
    { deliver = true, read = false, delayMs = 100 }: { deliver?: boolean; read?: boolean; delayMs?: number },
    later: (delayMs: number, task: () => void) => void,
  ): void {
    if (deliver) later(delayMs, () => this.receipts(connection, copies, 'delivery'));
    if (read) later(delayMs * 2, () => this.receipts(connection, copies, 'read'));
  }

  /** Delivery (or read) receipts from every member phone that got the message, with `participant` as WhatsApp sends them in groups. */
  receipts(connection: ClientConnection, copies: ReceivedMessage[], type: 'delivery' | 'read'): void {
    for (const copy of copies) {
      if (copy.isOwnDeviceCopy || copy.type === 'undecryptable' || !copy.group) continue;
      connection.send({
        tag: 'receipt',
        attrs: {
          from: copy.group,
          participant: copy.recipientDevice,
          id: copy.id,
          t: String(Math.floor(Date.now() / 1000)),
          ...(type === 'read' ? { type: 'read' } : {}),
        },
      });
    }
  }

  /** A member writes to the group: one stanza per connected companion. Resolves with the message id. */
  async sendFromMember(groupJid: string, fromPhone: string, message: proto.IMessage, options: IncomingMessageOptions & { id: string }): Promise<string> {
    const sender = this.wiring.directory.byPhoneNumber(fromPhone);
    if (!sender || sender.isAccount) throw new Error(`${fromPhone} is not a contact that can send messages`);
    const companions = this.wiring.companions();
    if (!companions.length) throw new Error('no linked companion is connected to receive the message');
    const stanzas = await this.inbound.stanzas(
      groupJid,
      sender,
      companions.map((c) => c.device),
      message,
      options,
    );
    for (const { device, stanza } of stanzas) companions.find((c) => c.device === device)?.connection.send(stanza);
    return options.id;
  }

  private group(jid: string): GroupState {
    const group = this.state.get(jid);
    if (!group) throw new Error(`no group ${jid}`);
    return group;
  }

  /** WhatsApp's w:gp2 notification of a change, to the account's companions when the account is (or was just) a member. */
  private notify(group: GroupState, actor: Person, change: BinaryNode, alsoTo: string[] = []): void {
    const account = this.wiring.directory.account.phone;
    if (!group.participants.has(account) && !alsoTo.includes(account)) return;
    const attrs: Record<string, string> = {
      from: group.jid,
      type: 'w:gp2',
      id: randomBytes(8).toString('hex'),
      t: String(Math.floor(Date.now() / 1000)),
      participant: this.state.memberJid(group, actor),
    };
    if (group.addressingMode === 'lid') attrs.participant_pn = pnJid(actor.phone);
    if (actor.pushName) attrs.notify = actor.pushName;
    for (const { connection } of this.wiring.companions()) connection.send({ tag: 'notification', attrs, content: [change] });
  }
}
