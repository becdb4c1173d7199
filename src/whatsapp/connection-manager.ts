/**
 * Owns the life of the WhatsApp connection: connect, show QRs, reconnect by the reconnect policy,
 * wipe a dead session, stop when replaced. Knows nothing of Baileys: a session factory supplies
 * sockets and translates their events into ConnectionUpdate, so the policy can be driven by
 * simulated close reasons in unit tests and by the real socket in production.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { decideOnClose, type CloseDecision, type ReconnectSettings } from './baileys/reconnect-policy.js';
import type { ConnectionPhase, ConnectionStatus, DisconnectInfo } from './transport.js';

export interface ConnectionUpdate {
  connection?: 'connecting' | 'open' | 'close';
  qr?: string;
  closeCode?: number;
  closeMessage?: string;
}

export interface SocketSession<S> {
  socket: S;
  onUpdate(listener: (update: ConnectionUpdate) => void): void;
  /** Closes the socket without logging out. */
  end(): Promise<void> | void;
  account(): { jid: string; lid?: string } | undefined;
}

export interface ConnectionManagerOptions<S> {
  createSession: () => Promise<SocketSession<S>>;
  /** Deletes the stored credentials (after 401), so the next session registers afresh. */
  clearCredentials: () => Promise<void>;
  settings: ReconnectSettings;
  logger: Logger;
  random?: () => number;
}

interface ManagerEvents {
  status: [ConnectionStatus];
  qr: [string];
  open: [];
}

export class ConnectionManager<S> {
  readonly events = new EventEmitter<ManagerEvents>();
  private phase: ConnectionPhase = 'starting';
  private running = false;
  private attempts = 0;
  private slow = false;
  private qr: string | null = null;
  private lastDisconnect?: DisconnectInfo;
  private nextRetryAt?: Date;
  private retryTimer?: NodeJS.Timeout;
  private current?: SocketSession<S>;
  private accountInfo?: { jid: string; lid?: string };
  /** Bumped by stop/reset: a connect that was under way when it changed must not adopt its socket. */
  private generation = 0;

  constructor(private readonly options: ConnectionManagerOptions<S>) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.connect();
  }

  /** Closes the socket (credentials stay valid) and stops reconnecting. Idempotent. */
  async stop(): Promise<void> {
    this.running = false;
    this.generation += 1;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const session = this.current;
    this.current = undefined;
    this.qr = null;
    this.nextRetryAt = undefined;
    this.setPhase('stopped');
    await session?.end();
  }

  /** The open socket, or undefined when not connected. */
  socket(): S | undefined {
    return this.phase === 'open' ? this.current?.socket : undefined;
  }

  currentQr(): string | null {
    return this.phase === 'awaiting_qr' ? this.qr : null;
  }

  status(): ConnectionStatus {
    return {
      connected: this.phase === 'open',
      phase: this.phase,
      connectionAttempts: this.attempts,
      maxAttempts: this.options.settings.maxAttempts,
      running: this.running,
      slowRetry: this.slow,
      nextRetryAt: this.nextRetryAt?.toISOString(),
      lastDisconnect: this.lastDisconnect,
      account: this.accountInfo,
    };
  }

  /** Wipes credentials and registers afresh (used by logout and by a 401). */
  async resetSession(reason: string): Promise<void> {
    const log = this.options.logger;
    log.warn({ reason }, 'WhatsApp session reset: credentials wiped, a new QR will be offered');
    this.generation += 1;
    const session = this.current;
    this.current = undefined;
    await session?.end();
    await this.options.clearCredentials();
    this.attempts = 0;
    this.slow = false;
    this.accountInfo = undefined;
    if (this.running) await this.connect();
  }

  private async connect(): Promise<void> {
    if (!this.running) return;
    clearTimeout(this.retryTimer);
    this.nextRetryAt = undefined;
    this.setPhase('connecting');
    const generation = this.generation;
    let session: SocketSession<S>;
    try {
      session = await this.options.createSession();
    } catch (error) {
      this.options.logger.error({ err: error }, 'could not create WhatsApp socket');
      this.onClose(undefined, undefined, error instanceof Error ? error.message : String(error));
      return;
    }
    if (!this.running || generation !== this.generation) {
      await session.end();
      return;
    }
    this.current = session;
    session.onUpdate((update) => this.onUpdate(session, update));
  }

  private onUpdate(session: SocketSession<S>, update: ConnectionUpdate): void {
    if (session !== this.current) return; // a late event from a socket we already left
    const log = this.options.logger;
    if (update.qr) {
      this.qr = update.qr;
      this.setPhase('awaiting_qr');
      log.info({ qr: update.qr }, 'scan this QR with WhatsApp (Linked devices); also served at GET /api/qr');
      this.events.emit('qr', update.qr);
    }
    if (update.connection === 'open') {
      this.attempts = 0;
      this.slow = false;
      this.qr = null;
      this.accountInfo = session.account();
      this.setPhase('open');
      log.info({ account: this.accountInfo?.jid }, 'WhatsApp connection open');
      this.events.emit('open');
    } else if (update.connection === 'close') {
      this.current = undefined;
      this.onClose(session, update.closeCode, update.closeMessage ?? '');
    }
  }

  private onClose(session: SocketSession<S> | undefined, code: number | undefined, message: string): void {
    void session?.end();
    this.qr = null;
    this.lastDisconnect = { code: code ?? 0, reason: message || 'connection closed', at: new Date().toISOString() };
    if (!this.running) return;
    const decision = decideOnClose({ code, message, attempts: this.attempts }, this.options.settings, this.options.random);
    void this.apply(decision);
  }

  private async apply(decision: CloseDecision): Promise<void> {
    const log = this.options.logger;
    switch (decision.action) {
      case 'reset-session':
        try {
          await this.resetSession(decision.reason);
        } catch (error) {
          log.error({ err: error }, 'could not wipe WhatsApp credentials');
          this.onClose(undefined, undefined, 'credential wipe failed');
        }
        return;
      case 'stop':
        this.running = false;
        this.setPhase(decision.phase);
        log.error({ reason: decision.reason }, 'WhatsApp connection stopped; restart the service to connect again');
        return;
      case 'reconnect': {
        if (decision.countsAsAttempt) this.attempts += 1;
        this.slow = decision.slow;
        this.nextRetryAt = new Date(Date.now() + decision.delayMs);
        this.setPhase('waiting_to_retry');
        const logLine = { reason: decision.reason, attempt: this.attempts, maxAttempts: this.options.settings.maxAttempts, delayMs: decision.delayMs };
        if (decision.slow) log.error(logLine, 'fast reconnect attempts spent; still retrying on a slow interval');
        // A 515 after pairing and expired QRs are part of normal operation, not failures.
        else if (!decision.countsAsAttempt) log.info(logLine, 'WhatsApp connection restarting, as expected');
        else log.warn(logLine, 'WhatsApp connection closed; reconnecting');
        this.retryTimer = setTimeout(() => void this.connect(), decision.delayMs);
        return;
      }
    }
  }

  private setPhase(phase: ConnectionPhase): void {
    this.phase = phase;
    this.events.emit('status', this.status());
  }
}
