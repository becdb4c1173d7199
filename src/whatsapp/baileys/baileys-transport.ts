/**
 * The WhatsApp port on a real Baileys 7 socket. This folder is the only code that imports Baileys.
 * The ConnectionManager decides when to connect; this adapter builds sockets, maps Baileys events
 * to the port's events (message shapes: message-mapping.ts; socket options: socket-options.ts).
 */
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import {
  BufferJSON,
  generateMessageIDV2,
  makeWASocket,
  type AnyMessageContent,
  type AuthenticationCreds,
  type MiscMessageGenerationOptions,
  type WAMediaUploadFunction,
  type WAMessage,
  type WASocket,
} from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import { Errors } from '../../errors/app-error.js';
import { ConnectionManager, type SocketSession } from '../connection-manager.js';
import type { ConnectionStatus, NumberOnWhatsApp, OutgoingContent, SentMessage, TransportEventMap, WhatsAppTransport } from '../transport.js';
import type { AuthStore } from './auth-store.js';
import { createBaileysLogger, type BaileysLogger } from './baileys-logger.js';
import { BaileysGroups } from './baileys-groups.js';
import type { ReconnectSettings } from '../reconnect-policy.js';
import type { SentPollLookup } from '../kinds.js';
import type { RetryCounterStore, SentContentStore } from '../sent-content.js';
import { routeLibsignalConsole } from './libsignal-console.js';
import { MediaUploadAgent } from './media-upload-agent.js';
import type { ProxyAddress } from '../../proxy/proxy-address.js';
import { clearUnfinishedCodePairing, isUnfinishedCodePairing, PairingCodeError, requestPairingCode } from './pairing-code.js';
import { MediaDownloader } from './media-download.js';
import { reportMessageEvents } from './socket-message-events.js';
import { lookupNumbers } from './number-lookup.js';
import { toBaileysContent } from './outgoing-content.js';
import { withSentCaptionKind } from './caption-edit.js';
import { withOwnAuthor } from './own-reaction-author.js';
import { quotedMessage, withMentions } from './message-context.js';
import { QrPrinter } from './qr-printer.js';
import { encodeSentContent } from './retry-receipts.js';
import { reportServerAck, ServerAckTracker } from './server-acks.js';
import { BROWSER, SocketOptions } from './socket-options.js';
import { keepTcTokenWrites } from './tc-token-writes.js';

export interface BaileysTransportOptions {
  authStore: AuthStore;
  waWebSocketUrl: string;
  reconnect: ReconnectSettings;
  logger: Logger;
  baileysLogLevel: string;
  /** Baileys' timeout for each query to WhatsApp; tests lower it so nothing stalls for a minute. */
  queryTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** The only certificate authority media uploads trust (the emulator's self-signed host); default: the system's. */
  mediaCaPem?: string;
  /** The session's proxy: its WebSocket, media uploads and downloads go through it (WA_PROXY_URL, proxy_url). */
  proxy?: ProxyAddress;
  printQr?: boolean;
  random?: () => number;
  /** How long a send waits for WhatsApp's server ack before its outcome is reported unknown (SEND_ACK_TIMEOUT). */
  sendAckTimeoutMs?: number;
  /** Sent messages' content, for retry receipts (Baileys' getMessage). */
  sentContent?: SentContentStore;
  /** Baileys' per-message retry counters, kept across restarts. */
  retryCounters?: RetryCounterStore;
  /** How long group metadata is cached between group events (GROUP_METADATA_TTL); default 5 minutes. */
  groupMetadataTtlMs?: number;
  /** The polls the gateway sent (options and secret), to decrypt the votes they get. */
  polls?: SentPollLookup;
}

const DEFAULT_SEND_ACK_TIMEOUT_MS = 15_000;

type Boomish = { output?: { statusCode?: number }; message?: string };

export class BaileysTransport implements WhatsAppTransport {
  readonly events = new EventEmitter<TransportEventMap>();
  /** Group queries, and the metadata cache that the socket's group sends use too. */
  readonly groups: BaileysGroups;
  private readonly manager: ConnectionManager<WASocket>;
  private readonly baileysLogger: BaileysLogger;
  private readonly uploadAgent: MediaUploadAgent;
  private readonly downloader: MediaDownloader;
  private readonly socketOptions: SocketOptions;
  private readonly acks = new WeakMap<WASocket, ServerAckTracker>();
  /** The creds of the latest socket: whether an account is linked, even while reconnecting. */
  private creds?: AuthenticationCreds;
  /**
   * The credential writes not finished yet, one after another. The next socket loads its state only
   * after them: pairing's creds.update is followed within a round trip by WhatsApp's 515 restart,
   * and on a shared store the write is asynchronous, so a socket built at once could load the
   * unpaired credentials and register afresh, losing the link just made.
   */
  private credsWrites: Promise<void> = Promise.resolve();

  constructor(private readonly options: BaileysTransportOptions) {
    this.baileysLogger = createBaileysLogger(options.logger.child({ module: 'baileys' }, { level: options.baileysLogLevel }));
    this.uploadAgent = new MediaUploadAgent({ ca: options.mediaCaPem, proxy: options.proxy });
    this.downloader = new MediaDownloader({ ca: options.mediaCaPem, proxy: options.proxy });
    routeLibsignalConsole(options.logger.child({ module: 'libsignal' }, { level: options.baileysLogLevel }));
    this.manager = new ConnectionManager<WASocket>({
      createSession: () => this.createSession(),
      clearCredentials: () => options.authStore.clear(),
      settings: options.reconnect,
      logger: options.logger.child({ module: 'connection' }),
      random: options.random,
    });
    this.manager.events.on('status', (s) => this.events.emit('connection', s));
    this.groups = new BaileysGroups(() => this.manager.socket(), options.groupMetadataTtlMs);
    this.socketOptions = new SocketOptions({
      waWebSocketUrl: options.waWebSocketUrl,
      logger: this.baileysLogger,
      queryTimeoutMs: options.queryTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs,
      proxy: options.proxy,
      uploadAgent: this.uploadAgent,
      downloader: this.downloader,
      sentContent: options.sentContent,
      retryCounters: options.retryCounters,
      cachedGroupMetadata: this.groups.metadata.cachedGroupMetadata,
    });
    const printer = options.printQr === false ? undefined : new QrPrinter();
    this.manager.events.on('qr', (qr) => {
      printer?.show(qr);
      this.events.emit('qr', qr);
    });
  }

  start(): void {
    this.manager.start();
  }

  status(): ConnectionStatus {
    return this.manager.status();
  }

  currentQr(): string | null {
    return this.manager.currentQr();
  }

  newMessageId(): string {
    return generateMessageIDV2(this.manager.socket()?.user?.id);
  }

  async send(jid: string, content: OutgoingContent, messageId?: string): Promise<SentMessage> {
    // A caption edit names the kind WhatsApp got (a GIF sent as an image went out as a video).
    if (content.kind === 'edit') content = await withSentCaptionKind(content, this.options.sentContent);
    if (content.kind === 'reaction') content = await withOwnAuthor(content, this.manager.socket(), this.groups.metadata);
    return this.sendBaileys(jid, withMentions(toBaileysContent(content), content.context), messageId, quotedMessage(jid, content.context));
  }

  async downloadIncomingMedia(raw: string): Promise<{ stream: Readable; mimetype?: string; fileName?: string }> {
    const socket = this.manager.socket();
    if (!socket) throw new Error('not connected to WhatsApp');
    return this.downloader.download(JSON.parse(raw, BufferJSON.reviver) as WAMessage, socket, this.baileysLogger);
  }

  async requestPairingCode(phone: string): Promise<string> {
    if (this.creds?.account) throw Errors.alreadyLinked();
    const timeoutMs = this.options.queryTimeoutMs ?? 60_000;
    let socket: WASocket;
    try {
      socket = await this.manager.startCodePairing(timeoutMs);
    } catch (error) {
      throw Errors.pairingCodeNoAnswer(error instanceof Error ? error.message : String(error));
    }
    try {
      const code = await requestPairingCode(socket, phone, BROWSER, timeoutMs);
      this.options.logger.info({ phone }, 'WhatsApp accepted the pairing code request; QRs are paused until the code is used or expires');
      return code;
    } catch (error) {
      this.manager.resumeQr(socket);
      if (!(error instanceof PairingCodeError)) throw error;
      const failure = error.failure;
      this.options.logger.warn({ phone, failure }, 'pairing code request failed');
      throw failure.kind === 'refused' ? Errors.pairingCodeRefused(failure.code, failure.text) : Errors.pairingCodeNoAnswer(failure.reason);
    }
  }

  async lookupNumbers(phones: readonly string[]): Promise<NumberOnWhatsApp[]> {
    const socket = this.manager.socket();
    if (!socket) throw new Error('not connected to WhatsApp');
    return lookupNumbers(socket, phones, this.options.logger);
  }

  async logout(): Promise<void> {
    const socket = this.manager.socket();
    // A logged-out socket closes with 401, which the manager answers by wiping and re-registering.
    if (socket) await socket.logout();
    else await this.manager.resetSession('logout requested while not connected');
  }

  /**
   * Closes the socket (no logout) and stops reconnecting, keeping the rest for a later start():
   * a cluster node that lost a session's lease, while another node drives it.
   */
  async suspend(): Promise<void> {
    await this.manager.stop();
  }

  async stop(): Promise<void> {
    await this.manager.stop();
    this.uploadAgent.destroy();
    this.downloader.close();
  }

  private async sendBaileys(jid: string, content: AnyMessageContent, messageId?: string, quoted?: WAMessage): Promise<SentMessage> {
    const socket = this.manager.socket();
    if (!socket || this.options.authStore.mayDrive?.() === false) throw new Error('not connected to WhatsApp');
    const upload: WAMediaUploadFunction = (filePath, opts) =>
      this.uploadAgent.retryingStaleConnection(
        () => socket.waUploadToServer(filePath, opts),
        (reason) => this.options.logger.info({ reason, mediaType: opts.mediaType }, 'media upload failed on a reused connection; retrying once on a fresh one'),
      );
    // sendMessage spreads these over its own generation options (`upload: waUploadToServer,
    // ...options`), so this upload replaces Baileys' for the message; its type omits the key.
    // The id is chosen here, before the stanza exists, so its server ack cannot go unnoticed.
    const id = messageId ?? generateMessageIDV2(socket.user?.id);
    const tracker = this.acks.get(socket);
    if (!tracker) throw new Error('not connected to WhatsApp');
    const pending = tracker.expect(id);
    let sent: WAMessage | undefined;
    try {
      const options = { messageId: id, upload, ...(quoted ? { quoted } : {}) } as MiscMessageGenerationOptions;
      sent = await socket.sendMessage(jid, content, options);
    } catch (error) {
      pending.cancel();
      throw error;
    }
    if (sent?.message && this.options.sentContent) {
      // Kept before the ack is awaited: a retry receipt may follow the ack within milliseconds.
      await this.options.sentContent
        .save({ waMessageId: id, jid: sent.key.remoteJid ?? jid, content: encodeSentContent(sent.message) })
        .catch((error: unknown) => this.options.logger.warn({ err: error, id }, 'could not keep the content of a sent message for retries'));
    }
    pending.startTimeout();
    await pending.acked;
    return { messageId: id, jid: sent?.key.remoteJid ?? jid };
  }

  private async createSession(): Promise<SocketSession<WASocket>> {
    await this.credsWrites;
    const { state, saveCreds } = await this.options.authStore.load();
    if (isUnfinishedCodePairing(state.creds)) {
      // Else this connection would try to log in as a device WhatsApp never linked.
      clearUnfinishedCodePairing(state.creds);
      await saveCreds();
      this.options.logger.info('a pairing code that was never completed was discarded; registering afresh');
    }
    this.creds = state.creds;
    const built = await this.socketOptions.build(state.creds, state.keys);
    const socket = makeWASocket(built.config);
    keepTcTokenWrites(socket.authState.keys, built.keys);
    const acks = new ServerAckTracker(socket.ws, this.options.sendAckTimeoutMs ?? DEFAULT_SEND_ACK_TIMEOUT_MS, (ack) =>
      reportServerAck(ack, { events: this.events, socket, logger: this.options.logger }),
    );
    this.acks.set(socket, acks);
    this.groups.attach(
      socket,
      (update) => this.events.emit('group-update', update),
      (error) => this.options.logger.warn({ err: error }, 'could not report a group change'),
    );
    socket.ev.on('connection.update', (update) => {
      if (update.connection === 'close') acks.close();
    });
    socket.ev.on('creds.update', () => {
      this.credsWrites = this.credsWrites
        .then(saveCreds)
        .catch((error: unknown) => this.options.logger.error({ err: error }, 'could not save WhatsApp credentials'));
    });
    reportMessageEvents(socket, { events: this.events, polls: this.options.polls, logger: this.options.logger });
    return {
      socket,
      onUpdate: (listener) =>
        socket.ev.on('connection.update', (update) => {
          const error = update.lastDisconnect?.error as Boomish | undefined;
          listener({
            connection: update.connection,
            qr: update.qr,
            closeCode: error?.output?.statusCode,
            closeMessage: error?.message,
          });
        }),
      end: async () => {
        try {
          acks.close();
          await socket.end(undefined);
        } finally {
          built.close();
        }
      },
      account: () => (socket.user ? { jid: socket.user.id, lid: socket.user.lid } : undefined),
    };
  }
}
