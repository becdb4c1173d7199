/**
 * Owns the life of the WhatsApp connection: connect, show QRs, reconnect by the reconnect policy,
 * wipe a dead session, stop when replaced. Knows nothing of Baileys: a session factory supplies
 * sockets and translates their events into ConnectionUpdate, so the policy can be driven by
 * simulated close reasons in unit tests and by the real socket in production.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { decideOnClose, type CloseDecision, type ReconnectSettings } from './reconnect-policy.js';
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
  /** Linking by code: QRs are kept but not shown, and the code's registration is awaited. */
  private codePairing = false;
  private registrationWaiter?: { resolve: (socket: S) => void; reject: (error: Error) => void };

  constructor(private readonly options: ConnectionManagerOptions<S>) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.connect();
  }

  /** Closes the socket (credentials stay valid) and stops reconnecting. Idempotent. */
  async stop(): Promise<void> {
    this.running = false;
    this.endCodePairing('the connection was stopped');
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

  /**
   * Starts a fresh registration for linking by code and resolves with its socket once WhatsApp has
   * registered it (its QR refs arrived): a code lives only as long as the connection that asked for
   * it, so each code gets a whole one. From now on QRs are not shown, until the code is refused
   * (`resumeQr`) or its registration ends (used: 515 restart; expired: refs exhausted).
   */
  async startCodePairing(timeoutMs: number): Promise<S> {
    if (!this.running) throw new Error('the connection is not running');
    this.endCodePairing('a newer pairing code was requested');
    this.codePairing = true;
    this.generation += 1;
    const previous = this.current;
    this.current = undefined;
    this.qr = null;
    await previous?.end();
    const registered = new Promise<S>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.endCodePairing(`WhatsApp did not register a new connection within ${timeoutMs} ms`);
        this.resumeQrDisplay();
      }, timeoutMs);
      this.registrationWaiter = {
        resolve: (socket) => {
          clearTimeout(timer);
          resolve(socket);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
    });
    await this.connect();
    return registered;
  }

  /** The pairing code of `socket` was refused: show its QRs again, if it is still the current one. */
  resumeQr(socket: S): void {
    if (this.current?.socket !== socket || !this.codePairing) return;
    this.codePairing = false;
    this.resumeQrDisplay();
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
    this.endCodePairing('the session was reset');
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
    if (update.qr && this.codePairing) {
      // Kept (a refused code shows it again) but not shown: the user is linking by code.
      this.qr = update.qr;
      if (this.phase !== 'awaiting_pairing_code') this.setPhase('awaiting_pairing_code');
      const waiter = this.registrationWaiter;
      this.registrationWaiter = undefined;
      waiter?.resolve(session.socket);
    } else if (update.qr) {
      this.qr = update.qr;
      this.setPhase('awaiting_qr');
      // The QR is a credential for the next 20-60 s: only at debug (the terminal and /api/qr show it).
      log.debug({ qr: update.qr }, 'new pairing QR');
      log.info('WhatsApp offers a pairing QR: scan it (Linked devices) from the terminal or GET /api/qr, or use POST /api/pairing-code');
      this.events.emit('qr', update.qr);
    }
    if (update.connection === 'open') {
      this.codePairing = false;
      this.attempts = 0;
      this.slow = false;
      this.qr = null;
      this.accountInfo = session.account();
      this.setPhase('open');
      log.info({ account: this.accountInfo?.jid }, 'WhatsApp connection open');
      this.events.emit('open');
    } else if (update.connection === 'close') {
      this.current = undefined;
      if (this.phase === 'awaiting_pairing_code' && update.closeCode !== 515) {
        log.warn('the pairing code expired unused (its registration ended); QRs are shown again and a new code can be requested');
      }
      this.endCodePairing('the connection closed before WhatsApp registered it');
      this.onClose(session, update.closeCode, update.closeMessage ?? '');
    }
  }

  private onClose(session: SocketSession<S> | undefined, code: number | undefined, message: string): void {
    void session?.end();
    this.endCodePairing(`the connection closed (${message || code || 'no reason'})`);
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
        const wasSlow = this.slow;
        this.slow = decision.slow;
        this.nextRetryAt = new Date(Date.now() + decision.delayMs);
        this.setPhase('waiting_to_retry');
        const logLine = { reason: decision.reason, attempt: this.attempts, maxAttempts: this.options.settings.maxAttempts, delayMs: decision.delayMs };
        // Said loudly once, when the outage turns long; after that each retry is one warn line.
        if (decision.slow && !wasSlow) log.error(logLine, 'WhatsApp still unreachable; retrying at the capped interval until it is back');
        // A 515 after pairing and expired QRs are part of normal operation, not failures.
        else if (!decision.countsAsAttempt) log.info(logLine, 'WhatsApp connection restarting, as expected');
        else log.warn(logLine, 'WhatsApp connection closed; reconnecting');
        this.retryTimer = setTimeout(() => void this.connect(), decision.delayMs);
        return;
      }
    }
  }

  /** Leaves code-pairing mode; a request still waiting for its registration fails with `reason`. */
  private endCodePairing(reason: string): void {
    this.codePairing = false;
    const waiter = this.registrationWaiter;
    this.registrationWaiter = undefined;
    waiter?.reject(new Error(reason));
  }

  private resumeQrDisplay(): void {
    if (!this.qr || !this.current) return;
    this.setPhase('awaiting_qr');
    this.events.emit('qr', this.qr);
  }

  private setPhase(phase: ConnectionPhase): void {
    this.phase = phase;
    this.events.emit('status', this.status());
  }
}
