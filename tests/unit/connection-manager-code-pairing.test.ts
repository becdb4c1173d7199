/**
 * The connection manager while linking by code: a fresh registration per code, QRs kept but not
 * shown while the code is pending, shown again when it is refused or its registration ends.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { ConnectionManager, type ConnectionUpdate, type SocketSession } from '../../src/whatsapp/connection-manager.js';

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

let manager: ConnectionManager<string> | undefined;
afterEach(() => manager?.stop());

function setup(logger = pino({ level: 'silent' })) {
  const sessions: ScriptedSession[] = [];
  const m = new ConnectionManager<string>({
    createSession: async () => {
      const s = new ScriptedSession(`socket-${sessions.length + 1}`);
      sessions.push(s);
      return s;
    },
    clearCredentials: async () => {},
    settings: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
    logger,
    random: () => 0.5,
  });
  manager = m;
  const shown: string[] = [];
  m.events.on('qr', (qr) => shown.push(qr));
  const nextSession = async (count: number) => {
    for (let i = 0; i < 200 && sessions.length < count; i++) await new Promise((r) => setTimeout(r, 5));
    const s = sessions[count - 1];
    if (!s) throw new Error(`session ${count} never created`);
    return s;
  };
  return { m, sessions, shown, nextSession };
}

describe('ConnectionManager: linking by code', () => {
  test('a code gets a fresh registration; its QRs are kept but not shown', async () => {
    const { m, shown, nextSession } = setup();
    m.start();
    const s1 = await nextSession(1);
    s1.emit({ qr: 'qr-1' });
    expect(shown).toEqual(['qr-1']);

    const registered = m.startCodePairing(1000);
    const s2 = await nextSession(2);
    expect(s1.ended).toBe(true);
    expect(m.status().phase).toBe('connecting');
    s2.emit({ qr: 'qr-2' });
    await expect(registered).resolves.toBe('socket-2');
    expect(m.status().phase).toBe('awaiting_pairing_code');
    expect(m.currentQr()).toBeNull();
    s2.emit({ qr: 'qr-3' }); // Baileys' next ref, 20 s later
    expect(shown).toEqual(['qr-1']);
    expect(m.status().phase).toBe('awaiting_pairing_code');
  });

  test("a refused code shows the registration's latest QR again", async () => {
    const { m, shown, nextSession } = setup();
    m.start();
    await nextSession(1);
    const registered = m.startCodePairing(1000);
    (await nextSession(2)).emit({ qr: 'qr-1' });
    m.resumeQr(await registered);
    expect(m.status().phase).toBe('awaiting_qr');
    expect(m.currentQr()).toBe('qr-1');
    expect(shown).toEqual(['qr-1']);
  });

  test('resumeQr for a socket already replaced by a newer code changes nothing', async () => {
    const { m, nextSession } = setup();
    m.start();
    await nextSession(1);
    const first = m.startCodePairing(1000);
    (await nextSession(2)).emit({ qr: 'qr-1' });
    const firstSocket = await first;
    const second = m.startCodePairing(1000);
    (await nextSession(3)).emit({ qr: 'qr-2' });
    await second;
    m.resumeQr(firstSocket);
    expect(m.status().phase).toBe('awaiting_pairing_code');
  });

  test('the code used: 515, login, open; QRs are shown again on a later registration', async () => {
    const { m, shown, nextSession } = setup();
    m.start();
    await nextSession(1);
    const registered = m.startCodePairing(1000);
    const s1 = await nextSession(2);
    s1.emit({ qr: 'qr-1' });
    await registered;
    s1.emit({ connection: 'close', closeCode: 515 });
    const s2 = await nextSession(3);
    s2.emit({ connection: 'open' });
    expect(m.status().connected).toBe(true);
    s2.emit({ connection: 'close', closeCode: 401 });
    const s3 = await nextSession(4);
    s3.emit({ qr: 'qr-after-logout' });
    expect(shown).toEqual(['qr-after-logout']);
  });

  test('the code expired (refs exhausted): a new registration shows QRs again', async () => {
    const { m, shown, nextSession } = setup();
    m.start();
    await nextSession(1);
    const registered = m.startCodePairing(1000);
    const s1 = await nextSession(2);
    s1.emit({ qr: 'qr-1' });
    await registered;
    s1.emit({ connection: 'close', closeCode: 408, closeMessage: 'QR refs attempts ended' });
    const s2 = await nextSession(3);
    s2.emit({ qr: 'qr-2' });
    expect(m.status().phase).toBe('awaiting_qr');
    expect(shown).toEqual(['qr-2']);
  });

  test('a registration that closes before WhatsApp registered it fails the request', async () => {
    const { m, nextSession } = setup();
    m.start();
    await nextSession(1);
    const registered = m.startCodePairing(1000);
    (await nextSession(2)).emit({ connection: 'close', closeCode: 428, closeMessage: 'Connection Closed' });
    await expect(registered).rejects.toThrow(/closed/);
    expect(m.status().phase).toBe('waiting_to_retry');
  });

  test('no registration within the timeout fails the request; QRs that come later are shown', async () => {
    const { m, shown, nextSession } = setup();
    m.start();
    await nextSession(1);
    const registered = m.startCodePairing(30);
    await expect(registered).rejects.toThrow(/did not register/);
    (await nextSession(2)).emit({ qr: 'late-qr' });
    expect(shown).toEqual(['late-qr']);
    expect(m.status().phase).toBe('awaiting_qr');
  });

  test('stop fails a request still waiting for its registration', async () => {
    const { m, nextSession } = setup();
    m.start();
    await nextSession(1);
    const registered = m.startCodePairing(1000);
    await nextSession(2);
    await m.stop();
    await expect(registered).rejects.toThrow(/stopped/);
  });
});

describe('ConnectionManager: the QR in the log', () => {
  function capture(level: string) {
    const lines: Array<{ level: number; msg: string; qr?: string }> = [];
    const logger = pino({ level }, { write: (line: string) => lines.push(JSON.parse(line) as (typeof lines)[number]) });
    return { lines, logger };
  }

  test('at info the log says a QR is waiting, never what it is', async () => {
    const { lines, logger } = capture('info');
    const { m, nextSession } = setup(logger);
    m.start();
    (await nextSession(1)).emit({ qr: '2@secret-ref,noise,identity,adv' });
    expect(lines.some((l) => l.msg.includes('pairing QR'))).toBe(true);
    expect(JSON.stringify(lines)).not.toContain('secret-ref');
  });

  test('at debug the QR string is logged', async () => {
    const { lines, logger } = capture('debug');
    const { m, nextSession } = setup(logger);
    m.start();
    (await nextSession(1)).emit({ qr: '2@secret-ref,noise,identity,adv' });
    expect(lines).toContainEqual(expect.objectContaining({ level: 20, qr: '2@secret-ref,noise,identity,adv' }));
  });
});
