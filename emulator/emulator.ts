/**
 * Composition of the emulator: the chat listener, linking, message traffic, incoming sends, groups
 * and the media host share one directory of people and one list of paired devices; this class
 * wires them and routes each stanza a companion sends. Its members are the public `Emulator` API
 * (emulator-api.ts), each handed to the module that does the work.
 */
import { Curve, type BinaryNode, type KeyPair, type proto } from '@whiskeysockets/baileys';
import type { Agent } from 'node:https';
import { pino, type Logger } from 'pino';
import type { AckRule } from './acks.js';
import { makeCertChain } from './cert-chain.js';
import { ChatListener } from './chat-listener.js';
import type { ClientConnection } from './client-connection.js';
import { CompanionLinking } from './companion-linking.js';
import { Directory, lidJid, pnJid, type AccountOptions } from './directory.js';
import type { ClientReceipt, Emulator, EmulatorOptions, KickCode, ReceiptType } from './emulator-api.js';
import { GroupFeatures } from './group-features.js';
import type { IncomingMessageOptions } from './inbound-message.js';
import type { IncomingMediaDetails } from './incoming-kinds.js';
import { IncomingSending } from './incoming-sending.js';
import { answerIq, type IqContext } from './iq-router.js';
import { MediaServer } from './media-server.js';
import { MessageTraffic } from './message-traffic.js';
import { PairedDevices, type LinkedDeviceInfo } from './paired-devices.js';
import type { ReceivedMessage } from './received-message.js';
import { Waiters } from './waiters.js';

const DEFAULT_ACCOUNT: AccountOptions = { phone: '6281111111111', lid: '99999999999', pushName: 'Sandbox Phone' };

class WhatsAppEmulator implements Emulator {
  readonly numberLookups: string[][] = [];
  readonly privacyTokenIssues: string[][] = [];
  readonly groups: GroupFeatures;
  private readonly directory: Directory;
  private readonly devices = new PairedDevices();
  private readonly staticKey: KeyPair = Curve.generateKeyPair();
  private readonly waiters = new Waiters();
  private readonly listener: ChatListener;
  private readonly linking: CompanionLinking;
  private readonly traffic: MessageTraffic;
  private readonly incoming: IncomingSending;
  private readonly iqContext: IqContext;

  constructor(
    options: EmulatorOptions,
    private readonly media: MediaServer,
    logger: Logger,
  ) {
    const directory = new Directory({ ...DEFAULT_ACCOUNT, ...options.account }, options.contacts ?? [], new Set(options.notOnWhatsApp ?? []));
    const devices = this.devices;
    this.directory = directory;
    const notify = () => this.waiters.notify();
    this.listener = new ChatListener(
      this.staticKey,
      makeCertChain(this.staticKey),
      {
        onHandshake: (connection, result) => this.linking.onHandshake(connection, result),
        onNode: (connection, node) => this.onNode(connection, node),
        onClose: (connection) => this.linking.forget(connection),
      },
      devices,
      logger,
      options.host,
    );
    const connectionFor = (deviceJid: string) => this.listener.connectionFor(deviceJid);
    this.linking = new CompanionLinking({ directory, devices, listener: this.listener, qrRefs: options.qrRefs ?? 5, logger, onLogin: notify });
    this.groups = new GroupFeatures({
      directory,
      devices,
      media,
      logger,
      companions: () =>
        devices.active().flatMap((device) => {
          const connection = connectionFor(device.jid);
          return connection ? [{ device, connection }] : [];
        }),
    });
    this.traffic = new MessageTraffic({
      directory,
      devices,
      media,
      groups: this.groups,
      receipts: options.receipts,
      logger,
      connectionFor,
      anyLoggedIn: () => this.listener.connections().find((c) => c.device !== undefined),
      notify,
    });
    this.incoming = new IncomingSending({ directory, devices, groups: this.groups, media, connectionFor });
    this.iqContext = {
      directory,
      devices,
      groups: this.groups.state,
      mediaHost: media.host,
      mediaAuth: media.auth,
      logger: logger.child({ module: 'iq' }),
      onDeviceRemoved: (device) => {
        device.removed = true;
      },
      onNumberLookup: (phones) => this.numberLookups.push(phones),
      onPrivacyTokens: (jids) => this.privacyTokenIssues.push(jids),
    };
  }

  get wsUrl(): string {
    return `ws://${this.listener.host}:${this.listener.port}/ws/chat`;
  }

  get port(): number {
    return this.listener.port;
  }

  get mediaCaPem(): string {
    return this.media.caPem;
  }

  get fetchAgent(): Agent {
    return this.media.agent;
  }

  get account(): Emulator['account'] {
    const { phone, lid, pushName } = this.directory.account;
    return { phone, lid, pushName, jid: pnJid(phone), lidJid: lidJid(lid) };
  }

  get messages(): readonly ReceivedMessage[] {
    return this.traffic.messages;
  }

  get clientReceipts(): readonly ClientReceipt[] {
    return this.traffic.clientReceipts;
  }

  get connections(): number {
    return this.listener.size;
  }

  get logins(): number {
    return this.linking.logins;
  }

  get overlappingLogins(): number {
    return this.linking.overlappingLogins;
  }

  get mediaConnectionsCut(): number {
    return this.media.connectionsCut;
  }

  get pairingCodeRequests(): number {
    return this.linking.pairingCodeRequests;
  }

  listen(): Promise<void> {
    return this.listener.listen();
  }

  pairedDevices(): LinkedDeviceInfo[] {
    return this.devices.list();
  }

  scanQr(qr: string): Promise<LinkedDeviceInfo> {
    return this.linking.scanQr(qr);
  }

  enterPairingCode(code: string, phone?: string): Promise<LinkedDeviceInfo> {
    return this.linking.enterPairingCode(code, phone);
  }

  refusePairingCodes(refusal?: { code: number; text: string }): void {
    this.linking.refusePairingCodes(refusal);
  }

  waitForMessage(predicate: (message: ReceivedMessage) => boolean, timeoutMs = 5000): Promise<ReceivedMessage> {
    return this.waiters.waitFor(() => this.messages.find(predicate), timeoutMs, 'no matching message');
  }

  waitForClientReceipt(predicate: (receipt: ClientReceipt) => boolean, timeoutMs = 5000): Promise<ClientReceipt> {
    return this.waiters.waitFor(() => this.clientReceipts.find(predicate), timeoutMs, 'no matching receipt from the companion');
  }

  waitForLogin(count = 1, timeoutMs = 5000): Promise<void> {
    return this.waiters.waitFor(() => (this.logins >= count ? true : undefined), timeoutMs, `fewer than ${count} logins`).then(() => undefined);
  }

  kick(code: KickCode): number {
    return this.listener.kick(code);
  }

  dropConnections(): number {
    return this.listener.dropConnections();
  }

  goAway(): Promise<void> {
    return this.listener.goAway();
  }

  comeBack(): Promise<void> {
    return this.listener.comeBack();
  }

  sendReceipt(messageId: string, type: ReceiptType): void {
    this.traffic.sendReceipt(messageId, type);
  }

  interceptAcks(rule: AckRule): void {
    this.traffic.interceptAcks(rule);
  }

  clearAckRules(): void {
    this.traffic.clearAckRules();
  }

  requestRetry(messageId: string, options?: { count?: number; keyBundle?: boolean }): void {
    this.traffic.requestRetry(messageId, options);
  }

  setReachoutTimelock(endsAt: Date | undefined): void {
    this.traffic.setReachoutTimelock(endsAt);
  }

  sendIncomingText(fromPhone: string, text: string, options?: IncomingMessageOptions): Promise<string> {
    return this.incoming.sendIncomingText(fromPhone, text, options);
  }

  sendIncomingMessage(fromPhone: string, message: proto.IMessage, options?: IncomingMessageOptions): Promise<string> {
    return this.incoming.sendIncomingMessage(fromPhone, message, options);
  }

  sendIncomingGroupMessage(groupJid: string, fromPhone: string, message: proto.IMessage, options?: IncomingMessageOptions): Promise<string> {
    return this.incoming.sendIncomingGroupMessage(groupJid, fromPhone, message, options);
  }

  sendIncomingPollVote(fromPhone: string, poll: ReceivedMessage, chosen: string[], options?: IncomingMessageOptions): Promise<string> {
    return this.incoming.sendIncomingPollVote(fromPhone, poll, chosen, options);
  }

  uploadIncomingMedia(bytes: Buffer, details?: IncomingMediaDetails): Promise<proto.IMessage> {
    return this.incoming.uploadIncomingMedia(bytes, details);
  }

  async stop(): Promise<void> {
    this.traffic.stop();
    await this.listener.goAway();
    await this.media.close();
    this.waiters.cancelAll();
  }

  private onNode(connection: ClientConnection, node: BinaryNode): void {
    switch (node.tag) {
      case 'iq':
        if (node.attrs.type === 'get' || node.attrs.type === 'set') {
          connection.send(this.linking.answerIq(connection, node) ?? this.traffic.answerIq(node) ?? answerIq(this.iqContext, connection, node));
        }
        return;
      case 'message':
        void this.traffic.onMessage(connection, node);
        return;
      case 'receipt':
        this.traffic.onReceipt(connection, node);
        return;
      default:
        // acks, presence, unified_session telemetry: nothing to answer.
        return;
    }
  }
}

/** Starts the emulator: the chat WebSocket (on `host`, 127.0.0.1 by default) and the HTTPS media host (127.0.0.1), on ephemeral ports. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const media = await MediaServer.start(logger.child({ module: 'media' }), options.media);
  const emulator = new WhatsAppEmulator(options, media, logger);
  try {
    await emulator.listen();
  } catch (err) {
    await media.close();
    throw err;
  }
  return emulator;
}
