/**
 * What the companion sends and how the server and the recipients answer: each message stanza is
 * acked (or, by a test's rule, swallowed, cut off before its ack, refused with an error code),
 * opened as every recipient phone would, recorded in `messages`, and answered by the recipients'
 * automatic receipts; receipts and retry requests on a test's demand; the companion's own receipts.
 */
import { isJidGroup, jidDecode, type BinaryNode } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import { AckRules, messageAck, reachoutTimelockAnswer, type AckRule } from './acks.js';
import type { ClientConnection } from './client-connection.js';
import { partyOf, type Directory } from './directory.js';
import type { ClientReceipt, EmulatorOptions, ReceiptType } from './emulator-api.js';
import type { GroupFeatures } from './group-features.js';
import type { MediaServer } from './media-server.js';
import { openOutgoingMessage } from './message-inbox.js';
import type { PairedDevices } from './paired-devices.js';
import type { ReceivedMessage } from './received-message.js';
import { retryReceiptNode } from './retry-receipts.js';

export interface TrafficDeps {
  directory: Directory;
  devices: PairedDevices;
  media: MediaServer;
  groups: GroupFeatures;
  receipts: EmulatorOptions['receipts'];
  logger: Logger;
  connectionFor(deviceJid: string): ClientConnection | undefined;
  /** Any open connection a companion logged in on. */
  anyLoggedIn(): ClientConnection | undefined;
  /** Something was recorded: waits check again. */
  notify(): void;
}

const unixNow = (): string => Math.floor(Date.now() / 1000).toString();

export class MessageTraffic {
  readonly messages: ReceivedMessage[] = [];
  readonly clientReceipts: ClientReceipt[] = [];
  private readonly ackRules = new AckRules();
  private reachoutTimelockEndsAt: Date | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly deps: TrafficDeps) {}

  interceptAcks(rule: AckRule): void {
    this.ackRules.add(rule);
  }

  clearAckRules(): void {
    this.ackRules.clear();
  }

  setReachoutTimelock(endsAt: Date | undefined): void {
    this.reachoutTimelockEndsAt = endsAt;
  }

  /** The answer to the reach-out timelock query, or undefined for any other iq. */
  answerIq(iq: BinaryNode): BinaryNode | undefined {
    return reachoutTimelockAnswer(iq, this.reachoutTimelockEndsAt);
  }

  sendReceipt(messageId: string, type: ReceiptType): void {
    const copy = this.receivedByContact(messageId);
    const connection = this.deps.connectionFor(copy.from);
    if (!connection) throw new Error(`the companion ${copy.from} is not connected`);
    this.sendReceiptNode(connection, copy, type);
  }

  requestRetry(messageId: string, options: { count?: number; keyBundle?: boolean } = {}): void {
    const copy = this.receivedByContact(messageId);
    const recipient = this.deps.directory.resolve(copy.recipientDevice);
    const party = recipient && partyOf(recipient, jidDecode(copy.recipientDevice)?.device ?? 0);
    if (!party) throw new Error(`unknown recipient ${copy.recipientDevice}`);
    const connection = this.deps.connectionFor(copy.from) ?? this.deps.anyLoggedIn();
    if (!connection) throw new Error('no linked companion is connected');
    connection.send(
      retryReceiptNode({
        messageId,
        from: copy.stanza.to ?? copy.to,
        count: options.count ?? 1,
        registrationId: party.registrationId,
        bundle: options.keyBundle ? party.issueBundle() : undefined,
      }),
    );
  }

  /** A receipt the companion sent for a message it received: recorded and acked. */
  onReceipt(connection: ClientConnection, node: BinaryNode): void {
    this.clientReceipts.push({ id: node.attrs.id ?? '', to: node.attrs.to ?? '', type: node.attrs.type });
    connection.send({
      tag: 'ack',
      attrs: { class: 'receipt', id: node.attrs.id ?? '', from: node.attrs.to ?? 's.whatsapp.net', ...(node.attrs.type ? { type: node.attrs.type } : {}) },
    });
    this.deps.notify();
  }

  async onMessage(connection: ClientConnection, stanza: BinaryNode): Promise<void> {
    const { directory, devices, groups, logger } = this.deps;
    const id = stanza.attrs.id ?? '';
    const to = stanza.attrs.to ?? '';
    const action = stanza.attrs.category === 'peer' ? undefined : this.ackRules.take(directory.resolve(to)?.phone);
    if (action === 'swallow') {
      logger.info({ id, to }, 'swallowing a message stanza: no ack, not delivered');
      return;
    }
    if (typeof action === 'object') {
      logger.info({ id, to, error: action.error }, 'refusing a message stanza with an error ack');
      connection.send(messageAck(id, to, action.error));
      return;
    }
    // The server acks receipt of the stanza right away; delivery to phones comes later as receipts.
    // 'drop-connection': the server has the stanza (it is delivered) but the ack never leaves.
    if (action === 'drop-connection') connection.terminate();
    else connection.send(messageAck(id, to));
    const sender = connection.device === undefined ? undefined : devices.get(connection.device);
    if (!sender) return;
    const toGroup = isJidGroup(to) === true;
    const copies = toGroup ? await groups.openSend(stanza, sender) : await openOutgoingMessage(stanza, sender, directory, this.deps.media, logger);
    for (const copy of copies) {
      copy.duplicate = this.messages.some((m) => m.id === copy.id && m.recipientDevice === copy.recipientDevice && m.type !== 'undecryptable');
    }
    this.messages.push(...copies);
    this.deps.notify();
    if (toGroup) return groups.scheduleReceipts(connection, copies, this.deps.receipts ?? {}, (ms, task) => this.later(ms, task));
    const toContact = copies.find((copy) => !copy.isOwnDeviceCopy && copy.type !== 'undecryptable');
    if (!connection.isOpen) return;
    const { deliver = true, read = false, delayMs = 100 } = this.deps.receipts ?? {};
    if (!toContact || stanza.attrs.category === 'peer') return;
    if (deliver) this.later(delayMs, () => this.sendReceiptNode(connection, toContact, 'delivery'));
    if (read) this.later(delayMs * 2, () => this.sendReceiptNode(connection, toContact, 'read'));
  }

  /** Automatic receipts not sent yet are dropped. */
  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private receivedByContact(messageId: string): ReceivedMessage {
    const copy = this.messages.find((message) => message.id === messageId && !message.isOwnDeviceCopy);
    if (!copy) throw new Error(`no message ${messageId} was received by a contact`);
    return copy;
  }

  private sendReceiptNode(connection: ClientConnection, message: ReceivedMessage, type: ReceiptType): void {
    const from = message.stanza.to ?? message.to;
    connection.send({ tag: 'receipt', attrs: { from, id: message.id, t: unixNow(), ...(type === 'read' ? { type: 'read' } : {}) } });
  }

  private later(delayMs: number, task: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      task();
    }, delayMs);
    this.timers.add(timer);
  }
}
