/**
 * Recipients with several devices: every device of the recipient gets its own copy, encrypted to
 * its own keys, and decrypts it (the emulator plays each device with libsignal).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { E2EHarness, waitFor } from './support/harness.js';

const THREE_DEVICES = { phone: '6281234567891', lid: '123456789012391', companions: 2 };

describe('recipients', () => {
  let h: E2EHarness;
  beforeAll(async () => {
    h = await E2EHarness.startLinked({ emulator: { contacts: [THREE_DEVICES] } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  test('a contact with a phone and two companion devices gets the message on all three, each decrypted', async () => {
    const res = await h.sendText(THREE_DEVICES.phone, 'to every device').expect(200);
    const id = res.body.data.message_id as string;
    const copies = await waitFor(
      () => {
        const found = h.emu.messages.filter((m) => m.id === id && !m.isOwnDeviceCopy);
        return found.length >= 3 ? found : undefined;
      },
      5000,
      'three device copies',
    );
    const devices = copies.map((m) => /:(\d+)@/.exec(m.recipientDevice)?.[1] ?? '0').sort();
    expect(devices).toEqual(['0', '1', '2']);
    for (const copy of copies) expect(copy).toMatchObject({ type: 'text', text: 'to every device', to: `${THREE_DEVICES.phone}@s.whatsapp.net` });
    const record = await h.api.get(`/api/messages/${res.body.data.id}`).expect(200);
    expect(['sent', 'delivered']).toContain(record.body.data.status);
  });
});
