/**
 * A fake of the WhatsApp port for component tests: records what would have been sent (reading
 * media bytes from disk at send time, as the real transport streams them) and lets a test set the
 * connection state or make the next send fail.
 */
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type {
  ConnectionPhase,
  ConnectionStatus,
  MessageContext,
  NumberOnWhatsApp,
  OutgoingContent,
  OutgoingMedia,
  SentMessage,
  TransportEventMap,
  WhatsAppTransport,
} from '../../src/whatsapp/transport.js';
import { FakeGroups } from './fake-groups.js';

export interface RecordedSend {
  jid: string;
  /** Set for kinds other than text and media (those are recorded as `text`, or `media` and `bytes`). */
  content?: OutgoingContent;
  text?: string;
  media?: OutgoingMedia;
  bytes?: Buffer;
  messageId?: string;
  /** A text's reply and mentions (media carry theirs in `media.context`). */
  context?: MessageContext;
}

export class FakeTransport implements WhatsAppTransport {
  readonly events = new EventEmitter<TransportEventMap>();
  readonly groups = new FakeGroups();
  readonly sent: RecordedSend[] = [];
  phase: ConnectionPhase = 'open';
  qr: string | null = null;
  connectionAttempts = 0;
  nextRetryAt?: string;
  nextFailure?: Error;
  /** What requestPairingCode answers: a code (and the phase moves to awaiting_pairing_code), or an error it throws. */
  pairingCodeAnswer: string | Error = 'FAKE2345';
  readonly pairingCodeRequests: string[] = [];
  /** Numbers WhatsApp's lookup reports as not on WhatsApp; every other number has an account. */
  readonly notOnWhatsApp = new Set<string>();
  /** The phones of each lookupNumbers call, in order (a cached number is never asked again). */
  readonly numberLookups: string[][] = [];
  /** Thrown by the next lookupNumbers call. */
  nextLookupFailure?: Error;
  /** Resolves the next send only when the test calls the returned function. */
  holdSends = false;
  private held: Array<() => void> = [];
  private counter = 0;

  status(): ConnectionStatus {
    return {
      connected: this.phase === 'open',
      phase: this.phase,
      connectionAttempts: this.connectionAttempts,
      maxAttempts: 5,
      running: !['stopped', 'replaced'].includes(this.phase),
      slowRetry: false,
      nextRetryAt: this.nextRetryAt,
    };
  }

  currentQr(): string | null {
    return this.phase === 'awaiting_qr' ? this.qr : null;
  }

  newMessageId(): string {
    return this.nextId();
  }

  async send(jid: string, content: OutgoingContent, messageId?: string): Promise<SentMessage> {
    await this.gate();
    // Text and media keep the shapes the tests compare against; any other kind is recorded whole.
    if (content.kind === 'text') this.sent.push({ jid, text: content.text, messageId, ...(content.context ? { context: content.context } : {}) });
    else if ('path' in content) this.sent.push({ jid, media: content, bytes: await readFile(content.path), messageId });
    else this.sent.push({ jid, content, messageId });
    return { messageId: messageId ?? this.nextId(), jid };
  }

  /** Changes the connection phase and tells listeners, as the real transport does. */
  setPhase(phase: ConnectionPhase): void {
    this.phase = phase;
    this.events.emit('connection', this.status());
  }

  /** Sends waiting for releaseHeld(): a test waits for its send to get here instead of sleeping. */
  get heldSends(): number {
    return this.held.length;
  }

  releaseHeld(): void {
    for (const release of this.held.splice(0)) release();
  }

  async downloadIncomingMedia(): Promise<{ stream: Readable; mimetype?: string; fileName?: string }> {
    return { stream: Readable.from([Buffer.from('incoming media bytes')]), mimetype: 'image/jpeg' };
  }

  async requestPairingCode(phone: string): Promise<string> {
    this.pairingCodeRequests.push(phone);
    if (this.pairingCodeAnswer instanceof Error) throw this.pairingCodeAnswer;
    this.setPhase('awaiting_pairing_code');
    return this.pairingCodeAnswer;
  }

  async lookupNumbers(phones: readonly string[]): Promise<NumberOnWhatsApp[]> {
    this.numberLookups.push([...phones]);
    const failure = this.nextLookupFailure;
    this.nextLookupFailure = undefined;
    if (failure) throw failure;
    return phones.map((phone) =>
      this.notOnWhatsApp.has(phone)
        ? { phone, exists: false }
        : { phone, exists: true, jid: `${phone}@s.whatsapp.net`, lid: `${FakeTransport.lidOf(phone)}@lid` },
    );
  }

  /** The LID the fake gives a number's account: its digits reversed, so it differs from the phone. */
  static lidOf(phone: string): string {
    return [...phone].reverse().join('');
  }

  async logout(): Promise<void> {
    this.phase = 'connecting';
  }

  async stop(): Promise<void> {
    this.phase = 'stopped';
  }

  private async gate(): Promise<void> {
    if (this.holdSends) await new Promise<void>((resolve) => this.held.push(resolve));
    const failure = this.nextFailure;
    this.nextFailure = undefined;
    if (failure) throw failure;
  }

  private nextId(): string {
    this.counter += 1;
    return `3EB0FAKE${String(this.counter).padStart(8, '0')}`;
  }
}
