/**
 * The emulator's public face: its options and the `Emulator` interface tests and the sandbox use
 * (emulator/README.md documents each member). The implementation is composed in emulator.ts.
 */
import type { Agent } from 'node:https';
import type { Logger } from 'pino';
import type { proto } from '@whiskeysockets/baileys';
import type { AckRule } from './acks.js';
import type { AccountOptions, ContactOptions } from './directory.js';
import type { EmulatorGroups } from './group-features.js';
import type { IncomingMessageOptions } from './inbound-message.js';
import type { IncomingMediaDetails } from './incoming-kinds.js';
import type { MediaServerOptions } from './media-server.js';
import type { LinkedDeviceInfo } from './paired-devices.js';
import type { ReceivedMessage } from './received-message.js';

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
  /**
   * The address the chat WebSocket listens on. Default 127.0.0.1; a test whose gateway runs in
   * another network namespace gives the host side of its veth link. The media host stays on 127.0.0.1.
   */
  host?: string;
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
  /** ws://HOST:PORT/ws/chat (HOST 127.0.0.1 unless `host` was given), for Baileys' waWebSocketUrl. */
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
  /** Logins made while another connection was logged in as the same device (two live connections for one account). */
  readonly overlappingLogins: number;
  /** Uploads the media host reset because their keep-alive connection was past `media.idleCutoffMs`. */
  readonly mediaConnectionsCut: number;
  /** Pairing codes (companion_hello) accepted so far. */
  readonly pairingCodeRequests: number;
  /** The phones each number lookup (a usync with the contact protocol, e.g. Baileys' onWhatsApp) asked about, in order. */
  readonly numberLookups: readonly (readonly string[])[];
  /** The contacts each privacy-token iq (a companion issuing its trusted-contact token after a send) named, in order. */
  readonly privacyTokenIssues: readonly (readonly string[])[];
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
  sendIncomingMessage(fromPhone: string, message: proto.IMessage, options?: IncomingMessageOptions): Promise<string>;
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
