/**
 * One misbehaving session cannot starve the others (issue 14 item 2): while the `noisy` session is
 * kicked off WhatsApp again and again (a reconnect loop) and its recipients flood it with retry
 * receipts, the default session sends on without a single failure or reconnect of its own. The
 * noisy session's work stays bounded (two answers per retried message, as Baileys allows) and is
 * logged and counted under its own name.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { E2EHarness, sleep, waitFor } from './support/harness.js';

const RECIPIENT = '6281234567890';

describe('a misbehaving session does not starve the others', () => {
  let h: E2EHarness;
  let noisy: Emulator | undefined;
  const log = { level: 'info', lines: [] as string[] };

  beforeAll(async () => {
    h = await E2EHarness.startLinked({
      log,
      endpointFor: async () => {
        noisy = await startEmulator({ logger: pino({ level: 'silent' }), account: { phone: '6282333000001', lid: '77000000001', pushName: 'noisy' } });
        return { wsUrl: noisy.wsUrl, mediaCaPem: noisy.mediaCaPem };
      },
    });
    await h.api.post('/api/sessions').send({ name: 'noisy' }).expect(201);
    const qr = await waitFor(async () => {
      const res = await h.api.get('/api/sessions/noisy/qr');
      return res.status === 200 ? (res.body as { qr: string }).qr : undefined;
    }, 10_000);
    await noisy!.scanQr(qr);
    await waitFor(async () => (await h.api.get('/api/sessions/noisy')).body.bot_connected === true, 10_000, 'noisy linked');
  });

  afterAll(async () => {
    await h?.stop();
    await noisy?.stop();
  });

  /** wa_gateway_reconnects_total summed per session. */
  async function reconnectCounts(): Promise<{ default: number; noisy: number }> {
    const metrics = (await h.api.get('/metrics').expect(200)).text;
    const sum = (session: string) =>
      metrics
        .split('\n')
        .filter((line) => line.startsWith('wa_gateway_reconnects_total{') && line.includes(`session="${session}"`))
        .reduce((total, line) => total + Number(line.split(' ').at(-1)), 0);
    return { default: sum('default'), noisy: sum('noisy') };
  }

  test('a reconnect loop and a retry storm on one session; the other sends every message, once', async () => {
    const noisyIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await h.api
        .post('/api/sessions/noisy/send-message')
        .send({ phone: RECIPIENT, message: `noisy ${i}` })
        .expect(200);
      noisyIds.push((res.body as { data: { message_id: string } }).data.message_id);
    }
    await waitFor(() => noisyIds.every((id) => noisy!.messages.some((m) => m.id === id && !m.isOwnDeviceCopy)), 10_000, 'noisy sends arrived');
    const defaultLogins = h.emu.logins;
    const noisyLogins = noisy!.logins;
    const reconnectsBefore = await reconnectCounts();
    const logStart = log.lines.length;

    let storming = true;
    let round = 0;
    const storm = (async () => {
      while (storming) {
        // Asked to resend every message it sent (more often than Baileys answers) while it is
        // connected, then kicked as WhatsApp does when it wants the client to reconnect.
        if (noisy!.connections > 0) {
          try {
            for (const id of noisyIds) noisy!.requestRetry(id, { count: (round % 5) + 1 });
          } catch {
            // Between login and the kick there may be no logged-in companion to ask.
          }
        }
        // Long enough for a loaded machine to answer some of them before the kick.
        await sleep(250);
        noisy!.kick(515);
        round++;
        await sleep(150);
      }
    })();

    const sent: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await h.api.post('/api/send-message').send({ phone: RECIPIENT, message: `steady ${i}` });
      expect(res.status).toBe(200);
      sent.push((res.body as { data: { message_id: string } }).data.message_id);
    }
    // However fast the sends went, the noisy session went through several kicks meanwhile.
    await waitFor(() => round >= 5, 30_000, 'five kicks of the noisy session');
    storming = false;
    await storm;

    for (const id of sent) await h.emu.waitForMessage((m) => m.id === id && !m.isOwnDeviceCopy);
    for (const id of sent) expect(h.emu.messages.filter((m) => m.id === id && !m.isOwnDeviceCopy && !m.duplicate)).toHaveLength(1);
    // The default session never lost its connection; the noisy one reconnected many times.
    expect(h.emu.logins).toBe(defaultLogins);
    expect(noisy!.logins).toBeGreaterThan(noisyLogins + 2);

    // Bounded: however often asked, each noisy message is re-sent at most twice.
    const resends = noisyIds.map((id) => noisy!.messages.filter((m) => m.id === id && !m.isOwnDeviceCopy && m.duplicate).length);
    expect(Math.max(...resends)).toBeGreaterThan(0);
    for (const count of resends) expect(count).toBeLessThanOrEqual(2);

    // Logged and counted under the noisy session's name, none of it under default's.
    await waitFor(async () => (await h.api.get('/api/sessions/noisy')).body.bot_connected === true, 10_000, 'noisy back');
    const reconnects = await reconnectCounts();
    expect(reconnects.noisy - reconnectsBefore.noisy).toBeGreaterThan(2);
    expect(reconnects.default).toBe(reconnectsBefore.default);
    const restarts = log.lines.slice(logStart).filter((line) => line.includes('WhatsApp connection restarting'));
    expect(restarts.length).toBeGreaterThan(2);
    expect(restarts.every((line) => line.includes('"session":"noisy"'))).toBe(true);
  });

  test('a Bad MAC flood on one session; the other sends every message, once', async () => {
    await waitFor(async () => (await h.api.get('/api/sessions/noisy')).body.bot_connected === true, 10_000, 'noisy connected');
    // A contact writes `msg`s (not `pkmsg`s) only after the companion has written to it.
    const first = await h.api.post('/api/sessions/noisy/send-message').send({ phone: RECIPIENT, message: 'hello' }).expect(200);
    const firstId = (first.body as { data: { message_id: string } }).data.message_id;
    await waitFor(() => noisy!.messages.some((m) => m.id === firstId), 10_000, 'noisy hello arrived');
    const undecryptableBefore = await undecryptableCount('noisy');
    const logStart = log.lines.length;

    const BAD = 40;
    const badIds: string[] = [];
    const flood = (async () => {
      for (let i = 0; i < BAD; i++) badIds.push(await noisy!.sendIncomingText(RECIPIENT, `forged ${i}`, { corruptMac: true }));
    })();
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await h.api.post('/api/send-message').send({ phone: RECIPIENT, message: `during the flood ${i}` });
      expect(res.status).toBe(200);
      sent.push((res.body as { data: { message_id: string } }).data.message_id);
    }
    await flood;

    for (const id of sent) await h.emu.waitForMessage((m) => m.id === id && !m.isOwnDeviceCopy);
    for (const id of sent) expect(h.emu.messages.filter((m) => m.id === id && !m.isOwnDeviceCopy && !m.duplicate)).toHaveLength(1);
    // Every forged message is counted under noisy and none of them reached anyone as a message.
    await waitFor(async () => (await undecryptableCount('noisy')) - undecryptableBefore >= BAD, 60_000, 'every forged message counted');
    expect((await undecryptableCount('noisy')) - undecryptableBefore).toBe(BAD);
    expect(await undecryptableCount('default')).toBe(0);
    const received = (await h.api.get('/api/sessions/noisy/messages?direction=in&limit=100').expect(200)).body as { data: Array<{ message_id: string }> };
    expect(received.data.filter((m) => badIds.includes(m.message_id))).toEqual([]);
    // Bounded: one retry receipt per forged message, no more (the sender is asked once to resend).
    const retries = noisy!.clientReceipts.filter((r) => r.type === 'retry' && badIds.includes(r.id));
    expect(new Set(retries.map((r) => r.id)).size).toBe(BAD);
    expect(retries.length).toBe(BAD);
    // Logged under noisy's name, a few lines rather than one per message.
    const lines = log.lines.slice(logStart).filter((line) => line.includes('could not be decrypted'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThan(BAD / 4);
    expect(lines.every((line) => line.includes('"session":"noisy"'))).toBe(true);
  });

  async function undecryptableCount(session: string): Promise<number> {
    const metrics = (await h.api.get('/metrics').expect(200)).text;
    const line = metrics.split('\n').find((l) => l.startsWith(`wa_gateway_undecryptable_messages_total{session="${session}"}`));
    return line ? Number(line.split(' ').at(-1)) : 0;
  }
});
