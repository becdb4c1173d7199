import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  makeWASocket,
  proto,
  useMultiFileAuthState,
  type BaileysEventMap,
  type ConnectionState,
  type UserFacingSocketConfig,
  type WASocket,
} from '@whiskeysockets/baileys';
import { pino } from 'pino';
import type { Emulator } from '../../emulator/index.js';

/**
 * How long a wait for the socket may take before the test fails: a fresh companion uploads 800+
 * prekeys after pairing, which took over 5 s on a loaded 2-core CI machine (inside the 30 s test timeout).
 */
const WAIT_MS = 15_000;
import { routeLibsignalConsole } from '../../src/whatsapp/baileys/libsignal-console.js';

const { HistorySyncType } = proto.HistorySync;

/**
 * Socket options for running the real Baileys against the emulator; the gateway should use the same
 * history options (see emulator/README.md). Queries time out after 5 s, so nothing can stall a test for a minute.
 */
export function emulatorSocketConfig(emu: Emulator): Omit<UserFacingSocketConfig, 'auth'> {
  return {
    waWebSocketUrl: emu.wsUrl,
    fetchAgent: emu.fetchAgent,
    logger: pino({ level: process.env.BAILEYS_LOG_LEVEL ?? 'silent' }),
    defaultQueryTimeoutMs: 5000,
    connectTimeoutMs: 5000,
    markOnlineOnConnect: false,
    syncFullHistory: false,
    // Declining RECENT (and FULL) history means Baileys goes online at once instead of buffering
    // events for 20 s while it waits for a history notification; bootstrap history (and its LID
    // mappings) is still accepted, so Baileys does not print its "disabling all sync" warning.
    shouldSyncHistoryMessage: ({ syncType }) => syncType !== HistorySyncType.RECENT && syncType !== HistorySyncType.FULL,
  };
}

/** A Baileys socket plus everything it emitted, in a throwaway auth folder. */
export class Client {
  readonly updates: Partial<ConnectionState>[] = [];
  readonly upserts: BaileysEventMap['messages.upsert'][] = [];
  readonly messageUpdates: BaileysEventMap['messages.update'] = [];
  private listeners = new Set<() => void>();

  private constructor(
    readonly sock: WASocket,
    readonly authDir: string,
  ) {
    sock.ev.on('connection.update', (update) => this.record(() => this.updates.push(update)));
    sock.ev.on('messages.upsert', (upsert) => this.record(() => this.upserts.push(upsert)));
    sock.ev.on('messages.update', (updates) => this.record(() => this.messageUpdates.push(...updates)));
  }

  /** Connects a socket with the creds in authDir (a new temp dir when absent: a fresh, unpaired companion). */
  static async connect(emu: Emulator, authDir?: string, extra: Partial<UserFacingSocketConfig> = {}): Promise<Client> {
    // A raw socket has no gateway to keep libsignal's session dumps out of the test output.
    routeLibsignalConsole(pino({ level: process.env.BAILEYS_LOG_LEVEL ?? 'silent' }));
    const dir = authDir ?? (await mkdtemp(join(tmpdir(), 'wa-emulator-auth-')));
    const { state, saveCreds } = await useMultiFileAuthState(dir);
    const sock = makeWASocket({ ...emulatorSocketConfig(emu), ...extra, auth: state });
    sock.ev.on('creds.update', () => void saveCreds());
    return new Client(sock, dir);
  }

  /** Resolves with the first connection update (past or future) that matches. */
  waitForUpdate(match: (update: Partial<ConnectionState>) => boolean, timeoutMs = WAIT_MS): Promise<Partial<ConnectionState>> {
    return this.waitFor(() => this.updates.find(match), timeoutMs, 'connection update');
  }

  async waitForClose(timeoutMs = WAIT_MS): Promise<number | undefined> {
    const update = await this.waitForUpdate((u) => u.connection === 'close', timeoutMs);
    const error = update.lastDisconnect?.error as { output?: { statusCode?: number } } | undefined;
    return error?.output?.statusCode;
  }

  waitForOpen(timeoutMs = WAIT_MS): Promise<Partial<ConnectionState>> {
    return this.waitForUpdate((u) => u.connection === 'open', timeoutMs);
  }

  /**
   * A status of a message we sent, as a messages.update, or folded into the message's own upsert:
   * Baileys buffers that upsert, and a receipt landing in the same buffer window is merged into it
   * (status on the message) with no messages.update of its own (the gateway reads both the same way,
   * src/whatsapp/baileys/socket-message-events.ts). A busy machine makes that window likely.
   */
  waitForStatus(id: string, status: number, timeoutMs = WAIT_MS): Promise<{ key: proto.IMessageKey; status: number }> {
    return this.waitFor(
      () => {
        const update = this.messageUpdates.find((u) => u.key.id === id && u.update.status === status);
        if (update) return { key: update.key, status };
        const upserted = this.upserts.flatMap((u) => u.messages).find((m) => m.key.id === id && m.key.fromMe && m.status === status);
        return upserted && { key: upserted.key, status };
      },
      timeoutMs,
      `status ${status} for ${id}`,
    );
  }

  waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const found = probe();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const value = probe();
        if (value === undefined) return;
        done();
        resolve(value);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
    });
  }

  /** Ends the socket (if still open); keeps the auth folder for a later connect. */
  async end(): Promise<void> {
    if (!this.updates.some((u) => u.connection === 'close')) {
      this.sock.end(undefined);
      await this.waitForUpdate((u) => u.connection === 'close').catch(() => undefined);
    }
  }

  async dispose(): Promise<void> {
    await this.end();
    // Baileys may still be flushing key files; rm retries instead of failing with ENOTEMPTY.
    await rm(this.authDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  }

  private record(push: () => void): void {
    push();
    for (const check of [...this.listeners]) check();
  }
}

/** QR → scan → 515 → reconnect with the saved creds → open. Returns the open, logged-in client. */
export async function pairAndLogin(emu: Emulator, extra: Partial<UserFacingSocketConfig> = {}): Promise<Client> {
  const registering = await Client.connect(emu, undefined, extra);
  const { qr } = await registering.waitForUpdate((u) => !!u.qr);
  await emu.scanQr(qr!);
  const code = await registering.waitForClose();
  if (code !== 515) throw new Error(`expected a 515 restart after pairing, got ${code}`);
  const client = await Client.connect(emu, registering.authDir, extra);
  await client.waitForOpen();
  return client;
}
