/**
 * Contacts and group members writing to the account: each message encrypted as their phone would
 * to every connected companion (inbound-message.ts, group-inbound.ts), poll votes sealed as WhatsApp
 * does (poll-vote.ts), and media put on the media host for the companion to download.
 */
import type { proto } from '@whiskeysockets/baileys';
import type { ClientConnection } from './client-connection.js';
import type { Directory } from './directory.js';
import type { Emulator } from './emulator-api.js';
import type { GroupFeatures } from './group-features.js';
import { buildIncomingStanza, newMessageId, type IncomingMessageOptions } from './inbound-message.js';
import { uploadMedia, type IncomingMediaDetails } from './incoming-kinds.js';
import type { MediaServer } from './media-server.js';
import type { PairedDevices } from './paired-devices.js';
import { encryptPollVote, votingView } from './poll-vote.js';
import type { ReceivedMessage } from './received-message.js';

export interface IncomingDeps {
  directory: Directory;
  devices: PairedDevices;
  groups: GroupFeatures;
  media: MediaServer;
  connectionFor(deviceJid: string): ClientConnection | undefined;
}

type IncomingApi = Pick<Emulator, 'sendIncomingText' | 'sendIncomingMessage' | 'sendIncomingGroupMessage' | 'sendIncomingPollVote' | 'uploadIncomingMedia'>;

export class IncomingSending implements IncomingApi {
  constructor(private readonly deps: IncomingDeps) {}

  sendIncomingText(fromPhone: string, text: string, options: IncomingMessageOptions = {}): Promise<string> {
    return this.sendIncomingMessage(fromPhone, { conversation: text }, options);
  }

  async sendIncomingMessage(fromPhone: string, message: proto.IMessage, options: IncomingMessageOptions = {}): Promise<string> {
    const { directory, devices, connectionFor } = this.deps;
    const sender = directory.byPhoneNumber(fromPhone);
    if (!sender || sender.isAccount) throw new Error(`${fromPhone} is not a contact that can send messages`);
    const id = options.id ?? newMessageId();
    const targets = devices.active().filter((device) => connectionFor(device.jid));
    if (!targets.length) throw new Error('no linked companion is connected to receive the message');
    for (const device of targets) {
      const stanza = await buildIncomingStanza(sender, directory.account.lid, device, devices, message, { ...options, id });
      connectionFor(device.jid)?.send(stanza);
    }
    return id;
  }

  sendIncomingGroupMessage(groupJid: string, fromPhone: string, message: proto.IMessage, options: IncomingMessageOptions = {}): Promise<string> {
    return this.deps.groups.sendFromMember(groupJid, fromPhone, message, { ...options, id: options.id ?? newMessageId() });
  }

  sendIncomingPollVote(fromPhone: string, poll: ReceivedMessage, chosen: string[], options: IncomingMessageOptions = {}): Promise<string> {
    const { directory, groups } = this.deps;
    const voter = directory.byPhoneNumber(fromPhone);
    if (!voter) throw new Error(`${fromPhone} is not on WhatsApp`);
    const view = votingView(poll, voter, directory.account, poll.group ? groups.state.get(poll.group) : undefined, options.addressing);
    const vote = encryptPollVote(view.poll, view.voterJid, chosen);
    return poll.group ? this.sendIncomingGroupMessage(poll.group, fromPhone, vote, options) : this.sendIncomingMessage(fromPhone, vote, options);
  }

  uploadIncomingMedia(bytes: Buffer, details?: IncomingMediaDetails): Promise<proto.IMessage> {
    return uploadMedia(this.deps.media, bytes, details);
  }
}
