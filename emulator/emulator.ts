import { createServer, type Server } from 'node:http';
import type { Agent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Curve, isJidGroup, jidDecode, type BinaryNode, type KeyPair, type proto } from '@whiskeysockets/baileys';
import { pino, type Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { AckRules, messageAck, reachoutTimelockAnswer, type AckRule } from './acks.js';
import { makeCertChain } from './cert-chain.js';
import { ClientConnection, type HandshakeResult } from './client-connection.js';
import { Directory, lidJid, partyOf, pnJid, type AccountOptions, type ContactOptions } from './directory.js';
import { GroupFeatures, type EmulatorGroups } from './group-features.js';
import { buildIncomingStanza, newMessageId, type IncomingMessageOptions } from './inbound-message.js';
import { uploadMedia, type IncomingMediaDetails } from './incoming-kinds.js';
import { encryptPollVote, votingView } from './poll-vote.js';
import { answerIq, type IqContext } from './iq-router.js';
import { MediaServer, type MediaServerOptions } from './media-server.js';
import { openOutgoingMessage } from './message-inbox.js';
import { PairedDevices, type LinkedDeviceInfo, type PairedDevice } from './paired-devices.js';
import { CodePairings } from './code-pairings.js';
import { pairSuccessNode, parseQr, signDeviceIdentity, verifyPairDeviceSign, type CompanionKeys } from './pairing.js';
import type { ReceivedMessage } from './received-message.js';
import { retryReceiptNode } from './retry-receipts.js';

export interface EmulatorOptions {
  /** The account the companion links to. Defaults: phone 6281111111111, lid 99999999999, pushName 'Sandbox Phone'. */
  account?: Partial<AccountOptions>;
  /** Contacts known up front. Any other plausible number becomes a contact when first looked up. */
  contacts?: ContactOptions[];
  /** Phone numbers usync reports as not on WhatsApp (no devices, contact type 'out'). */
  notOnWhatsApp?: string[];
  /**
   * Automatic receipts for each message a contact receives. Default: delivered, not read, 100 ms
   * after the message. The delay matters: a receipt that beats Baileys' own buffered upsert of the
   * sent message is merged into that upsert (status on messages.upsert, no messages.update).
   */
  receipts?: { deliver?: boolean; read?: boolean; delayMs?: number };
  /** How many QR refs a registering companion gets (each lives 60 s, then 20 s, in Baileys). Default 5. */
  qrRefs?: number;
  /** How the HTTPS media host treats idle keep-alive connections (see MediaServerOptions). */
  media?: MediaServerOptions;
  logger?: Logger;
}

export type KickCode = 515 | 440 | 401;

/** A receipt the companion sent for a message it received: type undefined = delivered, 'read', 'inactive', ... */
export interface ClientReceipt {
  id: string;
  to: string;
  type?: string;
}
export type ReceiptType = 'delivery' | 'read';

export interface Emulator {
  /** ws://127.0.0.1:PORT/ws/chat, for Baileys' waWebSocketUrl. */
  readonly wsUrl: string;
  readonly port: number;
  /** PEM of the media server's self-signed certificate. */
  readonly mediaCaPem: string;
  /** An https.Agent trusting that certificate, for Baileys' fetchAgent option. */
  readonly fetchAgent: Agent;
  readonly account: { phone: string; lid: string; jid: string; lidJid: string; pushName?: string };
  /** Every message copy the companion sent, decrypted, in arrival order. */
  readonly messages: readonly ReceivedMessage[];
  /** Receipts the companion sent for messages it received (type undefined = delivered). */
  readonly clientReceipts: readonly ClientReceipt[];
  /** Currently open client connections (handshaken or not). */
  readonly connections: number;
  /** Successful logins (a `<success>` sent) so far. */
  readonly logins: number;
  /** Uploads the media host reset because their keep-alive connection was past `media.idleCutoffMs`. */
  readonly mediaConnectionsCut: number;
  /** Pairing codes (companion_hello) accepted so far. */
  readonly pairingCodeRequests: number;
  /** The phones each number lookup (a usync with the contact protocol, e.g. Baileys' onWhatsApp) asked about, in order. */
  readonly numberLookups: readonly (readonly string[])[];
  scanQr(qr: string): Promise<LinkedDeviceInfo>;
  /**
   * The account's phone (or `phone`'s) types a pairing code a companion asked for: the primary's
   * side of the link_code_companion_reg exchange, then pair-success as after a scan. Rejects when
   * the code is wrong (the phone cannot open the companion's key bundle; the code is spent) or no
   * companion asked for a code for that number.
   */
  enterPairingCode(code: string, phone?: string): Promise<LinkedDeviceInfo>;
  /** WhatsApp refuses every companion_hello with this error from now on (e.g. 429 rate-overlimit); no argument to accept again. */
  refusePairingCodes(refusal?: { code: number; text: string }): void;
  pairedDevices(): LinkedDeviceInfo[];
  waitForMessage(predicate: (message: ReceivedMessage) => boolean, timeoutMs?: number): Promise<ReceivedMessage>;
  /** Resolves with the first receipt (past or future) the companion sent that matches, e.g. its read receipt. */
  waitForClientReceipt(predicate: (receipt: ClientReceipt) => boolean, timeoutMs?: number): Promise<ClientReceipt>;
  /** Resolves once a companion has logged in (`<success>` sent) at least `count` times in total. */
  waitForLogin(count?: number, timeoutMs?: number): Promise<void>;
  kick(code: KickCode): number;
  dropConnections(): number;
  goAway(): Promise<void>;
  comeBack(): Promise<void>;
  sendReceipt(messageId: string, type: ReceiptType): void;
  /** Changes how the server acks the next message stanza(s): swallow, drop the connection before the ack, or an error ack (see acks.ts). */
  interceptAcks(rule: AckRule): void;
  clearAckRules(): void;
  /**
   * The recipient's phone could not decrypt message `id` and asks the companion for it again (a
   * retry receipt). `keyBundle`: include a fresh key bundle (a new session). The answer arrives as
   * another copy in `messages` (`duplicate: true`, as the recipient already knows the id).
   */
  requestRetry(messageId: string, options?: { count?: number; keyBundle?: boolean }): void;
  /** What the reach-out timelock query answers: restricted until `endsAt`, or not restricted. */
  setReachoutTimelock(endsAt: Date | undefined): void;
  sendIncomingText(fromPhone: string, text: string, options?: IncomingMessageOptions): Promise<string>;
  sendIncomingMessage(fromPhone: string, message: import('@whiskeysockets/baileys').proto.IMessage, options?: IncomingMessageOptions): Promise<string>;
  /** Groups: state, changes by other members (with w:gp2 notifications), metadata query counts. */
  readonly groups: EmulatorGroups;
  /** A member writes to a group: sender-key encrypted (skmsg), with the distribution message to companions that lack it. */
  sendIncomingGroupMessage(groupJid: string, fromPhone: string, message: proto.IMessage, options?: IncomingMessageOptions): Promise<string>;
  /**
   * A contact (or, with `group`, a member) votes in a poll the companion sent, encrypted as WhatsApp
   * does with the poll's messageSecret. `poll` is the emulator's record of the poll creation message.
   */
  sendIncomingPollVote(fromPhone: string, poll: ReceivedMessage, chosen: string[], options?: IncomingMessageOptions): Promise<string>;
  /** Encrypts media (an image by default) as a phone does and puts it on the media host; returns the message to send. */
  uploadIncomingMedia(bytes: Buffer, details?: IncomingMediaDetails): Promise<proto.IMessage>;
  stop(): Promise<void>;
}

interface PendingRegistration {
  connection: ClientConnection;
  noiseKey: Buffer;
  pushName?: string;
}

const DEFAULT_ACCOUNT: AccountOptions = { phone: '6281111111111', lid: '99999999999', pushName: 'Sandbox Phone' };
const PAIRING_REPLY_TIMEOUT_MS = 10_000;
const unixNow = (): string => Math.floor(Date.now() / 1000).toString();

class WhatsAppEmulator implements Emulator {
  readonly messages: ReceivedMessage[] = [];
  readonly clientReceipts: ClientReceipt[] = [];
  readonly numberLookups: string[][] = [];
  logins = 0;
  private readonly directory: Directory;
  private readonly devices = new PairedDevices();
  private readonly staticKey: KeyPair = Curve.generateKeyPair();
  private readonly certChain: Uint8Array;
  private readonly open = new Set<ClientConnection>();
  private readonly pendingRefs = new Map<string, PendingRegistration>();
  private readonly messageWaiters = new Set<() => void>();
  // Pending waits are rejected on stop() so their timers cannot keep a test process alive.
  private readonly waiterCancels = new Set<() => void>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly ackRules = new AckRules();
  private reachoutTimelockEndsAt: Date | undefined;
  private readonly iqContext: IqContext;
  private readonly codePairings: CodePairings;
  readonly groups: GroupFeatures;
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private listeningPort = 0;

  constructor(
    private readonly options: EmulatorOptions,
    private readonly media: MediaServer,
    private readonly logger: Logger,
  ) {
    this.directory = new Directory({ ...DEFAULT_ACCOUNT, ...options.account }, options.contacts ?? [], new Set(options.notOnWhatsApp ?? []));
    this.certChain = makeCertChain(this.staticKey);
    this.groups = new GroupFeatures({
      directory: this.directory,
      devices: this.devices,
      media,
      logger,
      companions: () => this.devices.active().flatMap(device => {
        const connection = this.connectionFor(device.jid);
        return connection ? [{ device, connection }] : [];
      }),
    });
    this.iqContext = {
      directory: this.directory,
      devices: this.devices,
      groups: this.groups.state,
      mediaHost: media.host,
      mediaAuth: media.auth,
      logger: logger.child({ module: 'iq' }),
      onDeviceRemoved: device => {
        device.removed = true;
      },
      onNumberLookup: phones => this.numberLookups.push(phones),
    };
    this.codePairings = new CodePairings({
      primaryIdentity: this.directory.accountKey,
      registeringNoiseKey: connection => [...this.pendingRefs.values()].find(entry => entry.connection === connection)?.noiseKey,
      logger: logger.child({ module: 'pairing-code' }),
    });
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.listeningPort}/ws/chat`;
  }

  get port(): number {
    return this.listeningPort;
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

  get connections(): number {
    return this.open.size;
  }

  get mediaConnectionsCut(): number {
    return this.media.connectionsCut;
  }

  get pairingCodeRequests(): number {
    return this.codePairings.accepted;
  }

  async listen(port = 0): Promise<void> {
    const server = createServer((_req, res) => {
      res.writeHead(426).end();
    });
    const wss = new WebSocketServer({ server, path: '/ws/chat' });
    wss.on('connection', ws => {
      const connection = new ClientConnection(ws, this.staticKey, this.certChain, {
        onHandshake: (conn, result) => this.onHandshake(conn, result),
        onNode: (conn, node) => this.onNode(conn, node),
        onClose: conn => this.onClose(conn),
      }, this.logger);
      this.open.add(connection);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.wss = wss;
    this.listeningPort = (server.address() as AddressInfo).port;
  }

  pairedDevices(): LinkedDeviceInfo[] {
    return this.devices.list();
  }

  async scanQr(qr: string): Promise<LinkedDeviceInfo> {
    const fields = parseQr(qr);
    const pending = this.pendingRefs.get(fields.ref);
    if (!pending || !pending.connection.isOpen || !pending.connection.registration) {
      throw new Error(`no connected companion is showing QR ref ${fields.ref}`);
    }
    if (!pending.noiseKey.equals(fields.noiseKey)) throw new Error('QR noise key differs from the connection that showed it');
    return this.completePairing(pending.connection, fields);
  }

  async enterPairingCode(code: string, phone = this.directory.account.phone): Promise<LinkedDeviceInfo> {
    let linked: LinkedDeviceInfo | undefined;
    await this.codePairings.enter(pnJid(phone), code, PAIRING_REPLY_TIMEOUT_MS, async (connection, keys) => {
      linked = await this.completePairing(connection, { identityKey: keys.companionIdentity, advSecret: keys.advSecret });
    });
    return linked!;
  }

  refusePairingCodes(refusal?: { code: number; text: string }): void {
    this.codePairings.refuse(refusal);
  }

  waitForMessage(predicate: (message: ReceivedMessage) => boolean, timeoutMs = 5000): Promise<ReceivedMessage> {
    return this.waitFor(() => this.messages.find(predicate), timeoutMs, 'no matching message');
  }

  waitForClientReceipt(predicate: (receipt: ClientReceipt) => boolean, timeoutMs = 5000): Promise<ClientReceipt> {
    return this.waitFor(() => this.clientReceipts.find(predicate), timeoutMs, 'no matching receipt from the companion');
  }

  waitForLogin(count = 1, timeoutMs = 5000): Promise<void> {
    return this.waitFor(() => (this.logins >= count ? true : undefined), timeoutMs, `fewer than ${count} logins`).then(() => undefined);
  }

  kick(code: KickCode): number {
    const targets = [...this.open].filter(connection => connection.device !== undefined);
    for (const connection of targets) {
      if (code === 401) this.devices.get(connection.device!)!.removed = true;
      this.streamError(connection, code);
    }
    return targets.length;
  }

  dropConnections(): number {
    const targets = [...this.open];
    for (const connection of targets) connection.terminate();
    return targets.length;
  }

  async goAway(): Promise<void> {
    this.dropConnections();
    const { server, wss } = this;
    this.server = undefined;
    this.wss = undefined;
    wss?.close();
    if (server) {
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
    }
  }

  async comeBack(): Promise<void> {
    if (this.server) return;
    await this.listen(this.listeningPort);
  }

  sendReceipt(messageId: string, type: ReceiptType): void {
    const copy = this.messages.find(message => message.id === messageId && !message.isOwnDeviceCopy);
    if (!copy) throw new Error(`no message ${messageId} was received by a contact`);
    const connection = this.connectionFor(copy.from);
    if (!connection) throw new Error(`the companion ${copy.from} is not connected`);
    this.sendReceiptNode(connection, copy, type);
  }

  interceptAcks(rule: AckRule): void {
    this.ackRules.add(rule);
  }

  clearAckRules(): void {
    this.ackRules.clear();
  }

  requestRetry(messageId: string, options: { count?: number; keyBundle?: boolean } = {}): void {
    const copy = this.messages.find(message => message.id === messageId && !message.isOwnDeviceCopy);
    if (!copy) throw new Error(`no message ${messageId} was received by a contact`);
    const recipient = this.directory.resolve(copy.recipientDevice);
    const party = recipient && partyOf(recipient, jidDecode(copy.recipientDevice)?.device ?? 0);
    if (!party) throw new Error(`unknown recipient ${copy.recipientDevice}`);
    const connection = this.connectionFor(copy.from) ?? [...this.open].find(c => c.device !== undefined);
    if (!connection) throw new Error('no linked companion is connected');
    connection.send(retryReceiptNode({
      messageId,
      from: copy.stanza.to ?? copy.to,
      count: options.count ?? 1,
      registrationId: party.registrationId,
      bundle: options.keyBundle ? party.issueBundle() : undefined,
    }));
  }

  setReachoutTimelock(endsAt: Date | undefined): void {
    this.reachoutTimelockEndsAt = endsAt;
  }

  sendIncomingText(fromPhone: string, text: string, options: IncomingMessageOptions = {}): Promise<string> {
    return this.sendIncomingMessage(fromPhone, { conversation: text }, options);
  }

  async sendIncomingMessage(fromPhone: string, message: Parameters<Emulator['sendIncomingMessage']>[1], options: IncomingMessageOptions = {}): Promise<string> {
    const sender = this.directory.byPhoneNumber(fromPhone);
    if (!sender || sender.isAccount) throw new Error(`${fromPhone} is not a contact that can send messages`);
    const id = options.id ?? newMessageId();
    const targets = this.devices.active().filter(device => this.connectionFor(device.jid));
    if (!targets.length) throw new Error('no linked companion is connected to receive the message');
    for (const device of targets) {
      const stanza = await buildIncomingStanza(sender, this.directory.account.lid, device, this.devices, message, { ...options, id });
      this.connectionFor(device.jid)?.send(stanza);
    }
    return id;
  }

  sendIncomingGroupMessage(groupJid: string, fromPhone: string, message: proto.IMessage, options: IncomingMessageOptions = {}): Promise<string> {
    return this.groups.sendFromMember(groupJid, fromPhone, message, { ...options, id: options.id ?? newMessageId() });
  }

  sendIncomingPollVote(fromPhone: string, poll: ReceivedMessage, chosen: string[], options: IncomingMessageOptions = {}): Promise<string> {
    const voter = this.directory.byPhoneNumber(fromPhone);
    if (!voter) throw new Error(`${fromPhone} is not on WhatsApp`);
    const view = votingView(poll, voter, this.directory.account, poll.group ? this.groups.state.get(poll.group) : undefined, options.addressing);
    const vote = encryptPollVote(view.poll, view.voterJid, chosen);
    return poll.group ? this.sendIncomingGroupMessage(poll.group, fromPhone, vote, options) : this.sendIncomingMessage(fromPhone, vote, options);
  }

  uploadIncomingMedia(bytes: Buffer, details?: IncomingMediaDetails): Promise<proto.IMessage> {
    return uploadMedia(this.media, bytes, details);
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.goAway();
    await this.media.close();
    for (const cancel of this.waiterCancels) cancel();
  }

  private waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const found = probe();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const wake = (): void => {
        const value = probe();
        if (value === undefined) return;
        cleanup();
        resolve(value);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`emulator: ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const cancel = (): void => {
        cleanup();
        reject(new Error(`emulator stopped while waiting: ${what}`));
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        this.messageWaiters.delete(wake);
        this.waiterCancels.delete(cancel);
      };
      this.messageWaiters.add(wake);
      this.waiterCancels.add(cancel);
    });
  }

  private notifyWaiters(): void {
    for (const wake of [...this.messageWaiters]) wake();
  }

  private connectionFor(deviceJid: string): ClientConnection | undefined {
    return [...this.open].find(connection => connection.device !== undefined && this.devices.get(connection.device)?.jid === deviceJid);
  }

  /**
   * The phone signs the companion in (pair-success), checks its pair-device-sign, records the
   * device and asks the companion to restart (515), whether it was linked by QR or by code.
   */
  private async completePairing(connection: ClientConnection, keys: CompanionKeys): Promise<LinkedDeviceInfo> {
    const registration = connection.registration;
    const pending = [...this.pendingRefs.values()].find(entry => entry.connection === connection);
    if (!registration || !pending) throw new Error('the companion is no longer registering');
    if (!registration.eIdent || !keys.identityKey.equals(Buffer.from(registration.eIdent))) {
      throw new Error('companion identity key differs from the registration payload');
    }
    const { device, keyIndex } = this.devices.allocate();
    const { phone, lid } = this.directory.account;
    const jid = `${phone}:${device}@s.whatsapp.net`;
    const deviceLid = `${lid}:${device}@lid`;
    const identity = signDeviceIdentity(this.directory.accountKey, keys, keyIndex);
    const reply = await connection.request(pairSuccessNode(randomBytes(8).toString('hex'), identity, jid, deviceLid), PAIRING_REPLY_TIMEOUT_MS);
    verifyPairDeviceSign(reply, identity, this.directory.accountKey, keys);
    const paired: PairedDevice = {
      device,
      jid,
      lid: deviceLid,
      keyIndex,
      noiseKey: pending.noiseKey,
      identityKey: Buffer.from(registration.eIdent),
      registrationId: Buffer.from(registration.eRegid ?? Buffer.alloc(4)).readUInt32BE(0),
      signedPreKey: {
        keyId: Buffer.from(registration.eSkeyId ?? Buffer.alloc(3)).readUIntBE(0, 3),
        publicKey: Buffer.from(registration.eSkeyVal ?? []),
        signature: Buffer.from(registration.eSkeySig ?? []),
      },
      preKeys: new Map(),
      pushName: pending.pushName,
      removed: false,
      pairedAt: new Date(),
    };
    this.devices.add(paired);
    for (const [ref, entry] of this.pendingRefs) if (entry.connection === connection) this.pendingRefs.delete(ref);
    this.codePairings.forget(connection);
    connection.registration = undefined;
    this.logger.info({ jid }, 'companion paired; asking it to restart');
    this.streamError(connection, 515);
    return this.devices.list().find(info => info.device === device)!;
  }

  private streamError(connection: ClientConnection, code: KickCode): void {
    const content: BinaryNode[] | undefined =
      code === 440 ? [{ tag: 'conflict', attrs: { type: 'replaced' } }]
        : code === 401 ? [{ tag: 'conflict', attrs: { type: 'device_removed' } }]
          : undefined;
    connection.send({ tag: 'stream:error', attrs: code === 440 ? {} : { code: String(code) }, content });
    connection.closeSoon();
  }

  private onHandshake(connection: ClientConnection, { clientStatic, payload }: HandshakeResult): void {
    if (payload.devicePairingData) {
      this.startRegistration(connection, clientStatic, payload.pushName ?? undefined);
      connection.registration = payload.devicePairingData;
      return;
    }
    const user = payload.username === null || payload.username === undefined ? '' : String(payload.username);
    const device = this.devices.get(payload.device ?? 0);
    if (user !== this.directory.account.phone || !device || device.removed || !device.noiseKey.equals(clientStatic)) {
      this.logger.info({ user, device: payload.device }, 'refusing login of an unknown or removed device');
      connection.send({ tag: 'failure', attrs: { reason: '401', location: 'emulator' } });
      connection.closeSoon();
      return;
    }
    // A second login of the same device replaces the first, as on the real network.
    for (const other of this.open) {
      if (other !== connection && other.device === device.device) this.streamError(other, 440);
    }
    connection.device = device.device;
    this.logins++;
    connection.send({
      tag: 'success',
      attrs: { t: unixNow(), lid: device.lid, display_name: this.directory.account.pushName ?? '', creation: unixNow() },
    });
    // The offline marker ends Baileys' initial event buffering.
    connection.send({ tag: 'ib', attrs: { from: 's.whatsapp.net' }, content: [{ tag: 'offline', attrs: { count: '0' } }] });
    this.notifyWaiters();
  }

  private startRegistration(connection: ClientConnection, noiseKey: Buffer, pushName: string | undefined): void {
    const refs: BinaryNode[] = [];
    for (let i = 0; i < (this.options.qrRefs ?? 5); i++) {
      const ref = `2@${randomBytes(24).toString('base64')}`;
      this.pendingRefs.set(ref, { connection, noiseKey, pushName });
      refs.push({ tag: 'ref', attrs: {}, content: Buffer.from(ref) });
    }
    connection.send({
      tag: 'iq',
      attrs: { from: 's.whatsapp.net', type: 'set', id: randomBytes(6).toString('hex'), xmlns: 'md' },
      content: [{ tag: 'pair-device', attrs: {}, content: refs }],
    });
  }

  private onNode(connection: ClientConnection, node: BinaryNode): void {
    switch (node.tag) {
      case 'iq':
        if (node.attrs.type === 'get' || node.attrs.type === 'set') {
          connection.send(
            this.codePairings.answer(connection, node) ?? reachoutTimelockAnswer(node, this.reachoutTimelockEndsAt) ?? answerIq(this.iqContext, connection, node),
          );
        }
        return;
      case 'message':
        void this.onOutgoingMessage(connection, node);
        return;
      case 'receipt':
        this.clientReceipts.push({ id: node.attrs.id ?? '', to: node.attrs.to ?? '', type: node.attrs.type });
        connection.send({ tag: 'ack', attrs: { class: 'receipt', id: node.attrs.id ?? '', from: node.attrs.to ?? 's.whatsapp.net', ...(node.attrs.type ? { type: node.attrs.type } : {}) } });
        this.notifyWaiters();
        return;
      default:
        // acks, presence, unified_session telemetry: nothing to answer.
        return;
    }
  }

  private async onOutgoingMessage(connection: ClientConnection, stanza: BinaryNode): Promise<void> {
    const id = stanza.attrs.id ?? '';
    const to = stanza.attrs.to ?? '';
    const action = stanza.attrs.category === 'peer' ? undefined : this.ackRules.take(this.directory.resolve(to)?.phone);
    if (action === 'swallow') {
      this.logger.info({ id, to }, 'swallowing a message stanza: no ack, not delivered');
      return;
    }
    if (typeof action === 'object') {
      this.logger.info({ id, to, error: action.error }, 'refusing a message stanza with an error ack');
      connection.send(messageAck(id, to, action.error));
      return;
    }
    // The server acks receipt of the stanza right away; delivery to phones comes later as receipts.
    // 'drop-connection': the server has the stanza (it is delivered) but the ack never leaves.
    if (action === 'drop-connection') connection.terminate();
    else connection.send(messageAck(id, to));
    const sender = connection.device === undefined ? undefined : this.devices.get(connection.device);
    if (!sender) return;
    const toGroup = isJidGroup(to) === true;
    const copies = toGroup ? await this.groups.openSend(stanza, sender) : await openOutgoingMessage(stanza, sender, this.directory, this.media, this.logger);
    for (const copy of copies) {
      copy.duplicate = this.messages.some(m => m.id === copy.id && m.recipientDevice === copy.recipientDevice && m.type !== 'undecryptable');
    }
    this.messages.push(...copies);
    this.notifyWaiters();
    if (toGroup) return this.groups.scheduleReceipts(connection, copies, this.options.receipts ?? {}, (ms, task) => this.later(ms, task));
    const toContact = copies.find(copy => !copy.isOwnDeviceCopy && copy.type !== 'undecryptable');
    if (!connection.isOpen) return;
    const { deliver = true, read = false, delayMs = 100 } = this.options.receipts ?? {};
    if (!toContact || stanza.attrs.category === 'peer') return;
    if (deliver) this.later(delayMs, () => this.sendReceiptNode(connection, toContact, 'delivery'));
    if (read) this.later(delayMs * 2, () => this.sendReceiptNode(connection, toContact, 'read'));
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

  private onClose(connection: ClientConnection): void {
    this.open.delete(connection);
    for (const [ref, entry] of this.pendingRefs) if (entry.connection === connection) this.pendingRefs.delete(ref);
    this.codePairings.forget(connection);
  }
}

/** Starts the emulator: the chat WebSocket and the HTTPS media host, both on 127.0.0.1 ephemeral ports. */
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
