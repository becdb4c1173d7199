/**
 * POST /api/check-number through the real Baileys socket: the emulator's usync answers as
 * WhatsApp's directory does (contact type in/out, the LID), and counts every number lookup, so the
 * cache is proven by WhatsApp not being asked again.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { E2EHarness } from './support/harness.js';

const BUDI = { phone: '6281234567890', lid: '123456789012345', pushName: 'Budi' };
const SITI = { phone: '6281298765432', lid: '987654321098765', pushName: 'Siti', companions: 1 };
const NOBODY = '6285711112222';

describe('check number', () => {
  let h: E2EHarness;
  beforeAll(async () => {
    h = await E2EHarness.startLinked({ emulator: { contacts: [BUDI, SITI], notOnWhatsApp: [NOBODY] } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  test("answers from WhatsApp's lookup, one query for the batch: jid and lid of each account, nulls for a number not on WhatsApp", async () => {
    const before = h.emu.numberLookups.length;
    const res = await h.api
      .post('/api/check-number')
      .send({ phones: ['+62 812-3456-7890', '0857-1111-2222', SITI.phone] })
      .expect(200);
    expect(res.body).toEqual({
      status: 'success',
      message: 'Phone numbers checked',
      data: [
        { phone: BUDI.phone, exists: true, jid: `${BUDI.phone}@s.whatsapp.net`, lid: `${BUDI.lid}@lid` },
        { phone: NOBODY, exists: false, jid: null, lid: null },
        { phone: SITI.phone, exists: true, jid: `${SITI.phone}@s.whatsapp.net`, lid: `${SITI.lid}@lid` },
      ],
    });
    expect(h.emu.numberLookups.slice(before)).toEqual([[BUDI.phone, NOBODY, SITI.phone]]);
  });

  test('a second check is answered from the cache: WhatsApp is not asked again, a new number alone is', async () => {
    const before = h.emu.numberLookups.length;
    const again = await h.api
      .post('/api/check-number')
      .send({ phones: [SITI.phone, NOBODY, BUDI.phone] })
      .expect(200);
    expect(again.body.data.map((d: { exists: boolean }) => d.exists)).toEqual([true, false, true]);
    expect(h.emu.numberLookups.length).toBe(before);

    const fresh = '6281377778888'; // unknown to the emulator, plausible: on WhatsApp, as any such number there
    const res = await h.api
      .post('/api/check-number')
      .send({ phones: [BUDI.phone, fresh] })
      .expect(200);
    expect(res.body.data[1]).toMatchObject({ phone: fresh, exists: true, jid: `${fresh}@s.whatsapp.net`, lid: expect.stringMatching(/^\d+@lid$/) });
    expect(h.emu.numberLookups.slice(before)).toEqual([[fresh]]);
  });

  test('a number checked (its LID now known) still gets a send on every device', async () => {
    const res = await h.sendText(SITI.phone, 'after the check').expect(200);
    const id = res.body.data.message_id as string;
    const copies = await Promise.all(
      [0, 1].map((device) =>
        h.emu.waitForMessage((m) => m.id === id && !m.isOwnDeviceCopy && (/:(\d+)@/.exec(m.recipientDevice)?.[1] ?? '0') === String(device)),
      ),
    );
    for (const copy of copies) expect(copy).toMatchObject({ type: 'text', text: 'after the check' });
  });

  test('while WhatsApp is unreachable: 503 Bot not connected, as the sends answer; fine again once back', async () => {
    await h.emu.goAway();
    try {
      await h.waitForStatus((s) => !s.bot_connected, 5000, 'disconnected');
      const res = await h.api
        .post('/api/check-number')
        .send({ phones: [BUDI.phone] })
        .expect(503);
      expect(res.body).toMatchObject({ code: 'BOT_NOT_CONNECTED', message: 'Bot not connected' });
    } finally {
      await h.emu.comeBack();
    }
    await h.waitForStatus((s) => s.bot_connected, 10_000, 'reconnected');
    await h.api
      .post('/api/check-number')
      .send({ phones: [BUDI.phone] })
      .expect(200);
  });
});
