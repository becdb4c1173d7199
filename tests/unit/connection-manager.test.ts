/**
 * The connection manager driven by simulated close reasons: a scripted session factory stands in
 * for Baileys sockets, and real (short) timers run the retries.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { ConnectionManager, type ConnectionUpdate, type SocketSession } from '../../src/whatsapp/connection-manager.js';
import { until } from '../support/until.js';

class ScriptedSession implements SocketSession<string> {
  private listener?: (u: ConnectionUpdate) => void;
  ended = false;
  constructor(readonly socket: string) {}
  onUpdate(listener: (u: ConnectionUpdate) => void) {
    this.listener = listener;
  }
  emit(update: ConnectionUpdate) {
    this.listener?.(update);
  }
  end() {
    this.ended = true;
  }
  account() {
    return { jid: '6281111111111:5@s.whatsapp.net' };
  }
}

const settings = { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 };
let manager: ConnectionManager<string> | undefined;
afterEach(() => manager?.stop());

function setup() {
  const sessions: ScriptedSession[] = [];
  let cleared = 0;
  const m = new ConnectionManager<string>({
    createSession: async () => {
      const s = new ScriptedSession(`socket-${sessions.length + 1}`);
      sessions.push(s);
      return s;
    },
    clearCredentials: async () => {
      cleared += 1;
    },
    settings,
    logger: pino({ level: 'silent' }),
    random: () => 0.5,
  });
  manager = m;
  const nextSession = async (count: number) => {
    for (let i = 0; i < 200 && sessions.length < count; i++) await new Promise((r) => setTimeout(r, 5));
    const s = sessions[count - 1];
    if (!s) throw new Error(`session ${count} never created`);
    return s;
  };
  return { m, sessions, nextSession, cleared: () => cleared };
}

describe('ConnectionManager', () => {
  test('shows the QR, then opens', async () => {
    const { m, nextSession } = setup();
    m.start();
    const s1 = await nextSession(1);
    s1.emit({ qr: '2@ref,noise,identity,secret' });
    expect(m.status().phase).toBe('awaiting_qr');
    expect(m.currentQr()).toBe('2@ref,noise,identity,secret');
    s1.emit({ connection: 'open' });
    expect(m.status()).toMatchObject({
      connected: true,
      phase: 'open',
      connectionAttempts: 0,
      running: true,
      account: { jid: '6281111111111:5@s.whatsapp.net' },
    });
    expect(m.currentQr()).toBeNull();
    expect(m.socket()).toBe('socket-1');
  });

  test('515 reconnects at once and keeps the attempt count at zero', async () => {
    const { m, nextSession } = setup();
    m.start();
    (await nextSession(1)).emit({ connection: 'close', closeCode: 515, closeMessage: 'restart required' });
    const s2 = await nextSession(2);
    expect(m.status().connectionAttempts).toBe(0);
    s2.emit({ connection: 'open' });
    expect(m.status().connected).toBe(true);
  });

  test('transient closes count attempts, then report a long outage, and an open resets the count', async () => {
    const { m, nextSession } = setup();
    m.start();
    (await nextSession(1)).emit({ connection: 'close', closeCode: 428, closeMessage: 'Connection Closed' });
    expect(m.status()).toMatchObject({ phase: 'waiting_to_retry', connectionAttempts: 1, running: true, slowRetry: false });
    expect(m.status().lastDisconnect).toMatchObject({ code: 428, reason: 'Connection Closed' });
    (await nextSession(2)).emit({ connection: 'close', closeCode: 408 });
    expect(m.status().connectionAttempts).toBe(2);
    (await nextSession(3)).emit({ connection: 'close', closeCode: 408 });
    expect(m.status()).toMatchObject({ connectionAttempts: 3, slowRetry: true, running: true });
    expect(m.status().nextRetryAt).toBeDefined();
    const s4 = await nextSession(4);
    s4.emit({ connection: 'open' });
    expect(m.status()).toMatchObject({ connected: true, connectionAttempts: 0, slowRetry: false });
  });

  test('401 wipes credentials and registers afresh with a new QR', async () => {
    const { m, nextSession, cleared } = setup();
    m.start();
    const s1 = await nextSession(1);
    s1.emit({ connection: 'open' });
    s1.emit({ connection: 'close', closeCode: 401, closeMessage: 'Connection Failure' });
    const s2 = await nextSession(2);
    expect(cleared()).toBe(1);
    expect(s1.ended).toBe(true);
    s2.emit({ qr: '2@new' });
    expect(m.currentQr()).toBe('2@new');
    expect(m.status()).toMatchObject({ phase: 'awaiting_qr', running: true, account: undefined });
  });

  test('440 replaced stops without a reconnect loop', async () => {
    const { m, sessions, nextSession } = setup();
    m.start();
    const s1 = await nextSession(1);
    s1.emit({ connection: 'open' });
    s1.emit({ connection: 'close', closeCode: 440, closeMessage: 'Stream Errored (conflict)' });
    await new Promise((r) => setTimeout(r, 100));
    expect(sessions).toHaveLength(1);
    expect(m.status()).toMatchObject({ connected: false, phase: 'replaced', running: false });
    expect(m.status().lastDisconnect?.code).toBe(440);
  });

  test('events from a socket already left behind are ignored', async () => {
    const { m, nextSession } = setup();
    m.start();
    const s1 = await nextSession(1);
    s1.emit({ connection: 'close', closeCode: 515 });
    const s2 = await nextSession(2);
    s1.emit({ connection: 'open' });
    expect(m.status().connected).toBe(false);
    s2.emit({ connection: 'open' });
    expect(m.status().connected).toBe(true);
  });

  test('stop ends the socket and cancels a pending retry', async () => {
    const { m, sessions, nextSession } = setup();
    m.start();
    (await nextSession(1)).emit({ connection: 'close', closeCode: 428 });
    m.stop();
    await new Promise((r) => setTimeout(r, 60));
    expect(sessions).toHaveLength(1);
    expect(m.status()).toMatchObject({ phase: 'stopped', running: false });
  });
});

describe('ConnectionManager generations', () => {
  test('a session still being created when stop() runs is ended, not adopted', async () => {
    let release: (() => void) | undefined;
    const created: ScriptedSession[] = [];
    const m = new ConnectionManager<string>({
      createSession: async () => {
        const s = new ScriptedSession(`socket-${created.length + 1}`);
        created.push(s);
        if (created.length === 1) await new Promise<void>((r) => (release = r));
        return s;
      },
      clearCredentials: async () => {},
      settings,
      logger: pino({ level: 'silent' }),
    });
    manager = m;
    m.start();
    for (let i = 0; i < 100 && !release; i++) await new Promise((r) => setTimeout(r, 5));
    await m.stop();
    m.start(); // a fresh start while the first socket is still being made
    for (let i = 0; i < 100 && created.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    release!();
    await until(() => created[0]!.ended);
    expect(created[0]!.ended).toBe(true);
    expect(created[1]!.ended).toBe(false);
    created[1]!.emit({ connection: 'open' });
    expect(m.socket()).toBe('socket-2');
  });
});
