/**
 * End-to-end harness: the real gateway (startGateway, the same wiring as production) with real
 * Baileys, talking to the in-process WhatsApp emulator, driven over HTTP. Temp session and upload
 * folders, 127.0.0.1 on an ephemeral port, reconnect delays in tens of milliseconds so fault tests
 * run in seconds instead of minutes.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import request from 'supertest';
import { startEmulator, unrefBaileysTimers, type Emulator, type EmulatorOptions, type ReceivedMessage } from '../../../emulator/index.js';
import { loadConfig, type Config } from '../../../src/config/config.js';
import { startGateway, type Gateway } from '../../../src/gateway.js';
import { REDACT_PATHS } from '../../../src/logger.js';
import type { MediaPreparer } from '../../../src/messaging/media-preparation.js';
import { decodeAuthValue } from '../../../src/whatsapp/baileys/sqlite-auth-state.js';
import type { ConnectionStatus } from '../../../src/whatsapp/transport.js';

export interface HarnessOptions {
  emulator?: EmulatorOptions;
  /** Extra environment keys for loadConfig (strings, as in .env). */
  env?: Record<string, string>;
  /** Defaults to the gateway's own default: the converting preparer of src/media. */
  mediaPreparer?: MediaPreparer;
  /** Collects the gateway's log lines (JSON, redacted as in production) at `level`. */
  log?: { level: string; lines: string[] };
  /** The gateway's logger; by default one at LOG_LEVEL that writes to stdout. */
  logger?: Logger;
  /** Where sessions other than default connect (an emulator each); by default the harness's emulator. */
  endpointFor?: (session: string) => Promise<{ wsUrl: string; mediaCaPem?: string }>;
}

/** The subset of GET /api/status the e2e tests read. */
export interface StatusBody {
  bot_connected: boolean;
  connection_attempts: number;
  max_attempts: number;
  thread_alive: boolean;
  connection: { state: string; slow_retry: boolean; next_retry_at: string | null; last_disconnect: { code: number; reason: string } | null };
}

/** Polls `probe` until it returns something other than undefined/false; rejects after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 5000,
  what = 'condition',
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// Reconnect steps of 50..200 ms: a fault test sees the whole backoff sequence (growing waits, then
// the long-outage report at the cap) in a couple of seconds.
const FAST_RECONNECT_ENV = {
  RECONNECT_BASE_DELAY_MS: '50',
  RECONNECT_MAX_DELAY_MS: '200',
  MAX_RECONNECT_ATTEMPTS: '3',
};

export class E2EHarness {
  /** Every QR any gateway instance of this harness offered, in order. */
  readonly qrs: string[] = [];
  /**
   * Every connection status the transport emitted (the source /api/status reads). Reconnects
   * with 50 ms steps are too quick to catch by polling HTTP; this log sees each step.
   */
  readonly connectionLog: ConnectionStatus[] = [];
  private current?: Gateway;
  private restoreTimers?: () => void;

  private constructor(
    private emulator: Emulator,
    private gatewayConfig: Config,
    private readonly root: string,
    private readonly options: HarnessOptions,
  ) {}

  get emu(): Emulator {
    return this.emulator;
  }

  get config(): Config {
    return this.gatewayConfig;
  }

  static async start(options: HarnessOptions = {}): Promise<E2EHarness> {
    // Baileys rc14 leaves 30 s timers behind after sock.end() (see emulator/unref-baileys-timers.ts);
    // unref'd, they no longer hold the jest worker open after the suite.
    const restoreTimers = unrefBaileysTimers();
    const root = await mkdtemp(path.join(tmpdir(), 'wa-gateway-e2e-'));
    // Set E2E_LOG_LEVEL=debug to watch the gateway and emulator while debugging a test.
    const level = process.env.E2E_LOG_LEVEL ?? 'silent';
    const emu = await startEmulator({ logger: pino({ level }).child({ module: 'emulator' }), ...options.emulator });
    const base = loadConfig({
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      LOG_LEVEL: level,
      BAILEYS_LOG_LEVEL: process.env.E2E_BAILEYS_LOG_LEVEL ?? 'silent',
      WA_WS_URL: emu.wsUrl,
      SESSION_DIR: path.join(root, 'session'),
      UPLOAD_DIR: path.join(root, 'uploads'),
      DATA_DIR: path.join(root, 'data'),
      RATE_LIMIT_ENABLED: 'false',
      SHUTDOWN_TIMEOUT: '2',
      ...FAST_RECONNECT_ENV,
      ...options.env,
    });
    // PORT must be >= 1 in the schema; 0 (an ephemeral port) is a test-only override.
    const config: Config = Object.freeze({ ...base, port: 0 });
    const harness = new E2EHarness(emu, config, root, options);
    harness.restoreTimers = restoreTimers;
    try {
      await harness.startGateway();
    } catch (error) {
      await emu.stop();
      await rm(root, { recursive: true, force: true });
      restoreTimers();
      throw error;
    }
    return harness;
  }

  /** start() then pair(): a linked gateway, or everything stopped again when linking fails. */
  static async startLinked(options: HarnessOptions = {}): Promise<E2EHarness> {
    const harness = await E2EHarness.start(options);
    try {
      await harness.pair();
    } catch (error) {
      await harness.stop();
      throw error;
    }
    return harness;
  }

  get gateway(): Gateway {
    if (!this.current) throw new Error('the gateway is not running');
    return this.current;
  }

  /** supertest bound to the running gateway's URL. */
  get api() {
    return request(this.gateway.url);
  }

  get sessionDir(): string {
    return this.config.sessionDir;
  }

  get uploadDir(): string {
    return this.config.uploadDir;
  }

  async status(): Promise<StatusBody> {
    const res = await this.api.get('/api/status').expect(200);
    return res.body as StatusBody;
  }

  /** Resolves with the first /api/status body that satisfies `predicate`. */
  waitForStatus(predicate: (status: StatusBody) => boolean, timeoutMs = 5000, what = 'status'): Promise<StatusBody> {
    return waitFor(
      async () => {
        const s = await this.status();
        return predicate(s) ? s : undefined;
      },
      timeoutMs,
      what,
    );
  }

  waitForConnected(timeoutMs = 10_000): Promise<StatusBody> {
    return this.waitForStatus((s) => s.bot_connected, timeoutMs, 'bot_connected');
  }

  /** Polls GET /api/qr until a QR is offered and returns it (without scanning). */
  waitForQr(timeoutMs = 10_000): Promise<string> {
    return waitFor(
      async () => {
        const res = await this.api.get('/api/qr');
        const body = res.body as { qr?: string };
        return res.status === 200 && typeof body.qr === 'string' ? body.qr : undefined;
      },
      timeoutMs,
      'a QR at /api/qr',
    );
  }

  /** POST /api/send-message (the response, whatever its status). */
  sendText(phone: string, message: string) {
    return this.api.post('/api/send-message').send({ phone, message });
  }

  /**
   * Sends a text over HTTP and waits until the recipient's phone decrypted exactly that text:
   * proof that the connection works end to end, not just that /api/status says so.
   */
  async expectSendWorks(phone: string, text: string): Promise<ReceivedMessage> {
    const res = await this.sendText(phone, text);
    if (res.status !== 200) throw new Error(`send failed: ${res.status} ${JSON.stringify(res.body)}`);
    const id = (res.body as { data: { message_id: string } }).data.message_id;
    const received = await this.emu.waitForMessage((m) => m.id === id && !m.isOwnDeviceCopy);
    if (received.text !== text || received.to !== `${phone}@s.whatsapp.net`) {
      throw new Error(`recipient got ${JSON.stringify({ text: received.text, to: received.to })}`);
    }
    return received;
  }

  /** Links the gateway the way a person would: QR from the API, the phone scans it, wait until connected. */
  async pair(): Promise<string> {
    const qr = await this.waitForQr();
    await this.emu.scanQr(qr);
    await this.waitForConnected();
    return qr;
  }

  /** Closes the gateway (credentials kept) and starts a new one on the same folders. */
  async restartGateway(): Promise<void> {
    await this.stopGateway();
    await this.startGateway();
  }

  /**
   * Stops the gateway and swaps in a brand-new emulator (a WhatsApp that has never seen this
   * device), then starts the gateway on the same folders: its stored credentials are now refused
   * at login, as after the device was removed on the phone while the gateway was offline.
   */
  async replaceEmulator(): Promise<void> {
    await this.stopGateway();
    await this.emulator.stop();
    this.emulator = await startEmulator({ logger: pino({ level: this.config.logLevel }).child({ module: 'emulator' }), ...this.options.emulator });
    this.gatewayConfig = Object.freeze({ ...this.config, waWebSocketUrl: this.emulator.wsUrl });
    await this.startGateway();
  }

  async stopGateway(): Promise<void> {
    const gateway = this.current;
    this.current = undefined;
    await gateway?.close();
  }

  /**
   * The Baileys credentials the gateway has stored (SQLite auth_creds), or undefined when none:
   * `me` is set once a device is linked and gone after a wipe.
   */
  storedCreds(): { me?: { id: string }; registered?: boolean } | undefined {
    const row = this.gateway.db.prepare<[], { data: string }>('SELECT data FROM auth_creds WHERE id = 1').get();
    return row ? (decodeAuthValue(row.data) as { me?: { id: string }; registered?: boolean }) : undefined;
  }

  async uploadFiles(): Promise<string[]> {
    return readdir(this.uploadDir).catch(() => []);
  }

  /** Stops gateway and emulator and removes the temp folders; nothing is left listening. */
  async stop(): Promise<void> {
    await this.stopGateway();
    await this.emu.stop();
    // Baileys may still be flushing a creds write of the socket just ended; retry until it settles.
    await rm(this.root, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
    this.restoreTimers?.();
  }

  private gatewayLogger() {
    const capture = this.options.log;
    if (!capture) return pino({ level: this.config.logLevel });
    return pino({ level: capture.level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, { write: (line: string) => void capture.lines.push(line) });
  }

  private async startGateway(): Promise<void> {
    if (this.current) throw new Error('the gateway is already running');
    this.current = await startGateway({
      config: this.config,
      logger: this.options.logger ?? this.gatewayLogger(),
      mediaCaPem: this.emu.mediaCaPem,
      // The emulator answers in milliseconds: a query it ignores should fail a test in seconds.
      queryTimeoutMs: 5000,
      printQr: false,
      mediaPreparer: this.options.mediaPreparer,
      endpointFor: this.options.endpointFor,
      // Shutdown must never exit the jest worker.
      exit: () => {},
    });
    this.current.transport.events.on('qr', (qr) => this.qrs.push(qr));
    this.current.transport.events.on('connection', (status) => this.connectionLog.push(status));
  }
}
