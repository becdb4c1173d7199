/**
 * Location, contact cards, reactions and polls end to end: HTTP → gateway → real Baileys → the
 * emulator, which decrypts what the recipient's phone got and shows its fields. A vote the
 * recipient's phone encrypts as WhatsApp does comes back decrypted as a poll.vote webhook and in
 * the tally of GET /api/messages/:id. One kind waits in the outbox while WhatsApp is away.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { ReceivedMessage } from '../../emulator/index.js';
import { startReceiver } from '../webhooks/receiver.js';
import { E2EHarness, waitFor } from './support/harness.js';

const BUDI = '6281234567890';
const BUDI_JID = `${BUDI}@s.whatsapp.net`;
const BUDI_LID = '123456789012345';

interface WebhookBody {
  event: string;
  data: Record<string, unknown>;
}

describe('the four kinds through the real socket and the emulator', () => {
  let h: E2EHarness;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const events = () => receiver.requests.map((r) => JSON.parse(r.body) as WebhookBody);
  /** Budi's phone's copy (not the account's own-device copy). */
  const delivered = (id: string): Promise<ReceivedMessage> => h.emu.waitForMessage((m) => m.id === id && m.to === BUDI_JID && !m.isOwnDeviceCopy);

  beforeAll(async () => {
    receiver = await startReceiver();
    h = await E2EHarness.startLinked({
      emulator: { contacts: [{ phone: BUDI, lid: BUDI_LID, pushName: 'Budi' }] },
      env: {
        WEBHOOK_URL: receiver.url,
        WEBHOOK_SECRET: 's'.repeat(32),
        QUEUE_WHEN_DISCONNECTED: 'true',
        PACING_RECIPIENT_INTERVAL_MS: '0',
        PACING_MAX_PER_MINUTE: '0',
      },
    });
  });

  afterAll(async () => {
    await h?.stop();
    await receiver?.close();
  });

  test('send-location: coordinates, name and address arrive', async () => {
    const res = await h.api
      .post('/api/send-location')
      .send({ phone: BUDI, latitude: -6.1754, longitude: 106.8272, name: 'Monas', address: 'Gambir, Jakarta Pusat' })
      .expect(200);
    const copy = await delivered(res.body.data.message_id);
    expect(copy.type).toBe('location');
    expect(copy.message.locationMessage).toMatchObject({
      degreesLatitude: -6.1754,
      degreesLongitude: 106.8272,
      name: 'Monas',
      address: 'Gambir, Jakarta Pusat',
    });
  });

  test('send-contact: one card as contactMessage, several as contactsArrayMessage, with the vCard text', async () => {
    const one = await h.api
      .post('/api/send-contact')
      .send({ phone: BUDI, contacts: [{ name: 'Siti, S.E.', phone: '081234567891', organization: 'Toko Makmur' }] })
      .expect(200);
    const card = (await delivered(one.body.data.message_id)).message.contactMessage;
    expect(card?.displayName).toBe('Siti, S.E.');
    expect(card?.vcard).toBe(
      [
        'BEGIN:VCARD',
        'VERSION:3.0',
        'N:;Siti\\, S.E.;;;',
        'FN:Siti\\, S.E.',
        'ORG:Toko Makmur',
        'TEL;type=CELL;type=VOICE;waid=6281234567891:+6281234567891',
        'END:VCARD',
      ].join('\n'),
    );
    const two = await h.api
      .post('/api/send-contact')
      .send({
        phone: BUDI,
        contacts: [
          { name: 'Siti', phone: '6281234567891' },
          { name: 'Andi', phone: '6281234567892', email: 'andi@example.com' },
        ],
      })
      .expect(200);
    const array = (await delivered(two.body.data.message_id)).message.contactsArrayMessage;
    expect(array?.displayName).toBe('2 contacts');
    expect(array?.contacts?.map((c) => c.displayName)).toEqual(['Siti', 'Andi']);
    expect(array?.contacts?.[1]?.vcard).toContain('TEL;type=CELL;type=VOICE;waid=6281234567892:+6281234567892\nEMAIL;type=INTERNET:andi@example.com');
  });

  test('send-reaction: to our message (fromMe) and to one Budi sent (not fromMe), and taken back', async () => {
    const ours = await h.api.post('/api/send-message').send({ phone: BUDI, message: 'Pesanan dikirim' }).expect(200);
    const mine = await h.api.post('/api/send-reaction').send({ phone: BUDI, message_id: ours.body.data.message_id, emoji: '👍' }).expect(200);
    expect((await delivered(mine.body.data.message_id)).message.reactionMessage).toMatchObject({
      text: '👍',
      key: { id: ours.body.data.message_id, remoteJid: BUDI_JID, fromMe: true },
    });

    const theirs = await h.emu.sendIncomingText(BUDI, 'Terima kasih!');
    await waitFor(() => events().some((e) => e.event === 'message.incoming' && e.data.message_id === theirs), 5000, 'the incoming message');
    const react = await h.api.post('/api/send-reaction').send({ phone: BUDI, message_id: theirs, emoji: '❤️' }).expect(200);
    expect((await delivered(react.body.data.message_id)).message.reactionMessage).toMatchObject({
      text: '❤️',
      key: { id: theirs, remoteJid: BUDI_JID, fromMe: false },
    });
    const removed = await h.api.post('/api/send-reaction').send({ phone: BUDI, message_id: theirs, emoji: '' }).expect(200);
    const back = await delivered(removed.body.data.message_id);
    expect(back.type).toBe('reaction');
    expect(back.message.reactionMessage?.text ?? '').toBe('');

    const unknown = await h.api.post('/api/send-reaction').send({ phone: BUDI, message_id: '3EB0NOTHERE', emoji: '👍' }).expect(404);
    expect(unknown.body).toMatchObject({ code: 'MESSAGE_NOT_FOUND', message: 'Message not found' });
  });

  test('send-poll: question, options and selectable count arrive; votes come back decrypted, a changed vote replaces the first', async () => {
    const single = await h.api
      .post('/api/send-poll')
      .send({ phone: BUDI, question: 'Makan di mana?', options: ['Padang', 'Sunda', 'Jawa'] })
      .expect(200);
    const poll = await delivered(single.body.data.message_id);
    expect(poll.type).toBe('poll');
    expect(poll.message.pollCreationMessageV3).toMatchObject({ name: 'Makan di mana?', selectableOptionsCount: 1 });
    expect(poll.message.pollCreationMessageV3?.options?.map((o) => o.optionName)).toEqual(['Padang', 'Sunda', 'Jawa']);
    expect(poll.message.messageContextInfo?.messageSecret).toHaveLength(32);

    const pollId = single.body.data.message_id as string;
    const votes = () => events().filter((e) => e.event === 'poll.vote' && e.data.poll_id === pollId);
    await h.emu.sendIncomingPollVote(BUDI, poll, ['Sunda']);
    await waitFor(() => votes().length === 1, 5000, 'the first poll.vote');
    expect(votes()[0]!.data).toEqual({ poll_id: pollId, voter_phone: BUDI, voter_lid: `${BUDI_LID}@lid`, options: ['Sunda'] });
    await h.emu.sendIncomingPollVote(BUDI, poll, ['Padang']);
    await waitFor(() => votes().length === 2, 5000, 'the changed vote');
    expect(votes()[1]!.data.options).toEqual(['Padang']);

    const record = await h.api.get(`/api/messages/${pollId}`).expect(200);
    expect(record.body.data.poll).toMatchObject({
      question: 'Makan di mana?',
      options: [
        { name: 'Padang', votes: 1 },
        { name: 'Sunda', votes: 0 },
        { name: 'Jawa', votes: 0 },
      ],
      voters: [{ phone: BUDI, options: ['Padang'] }],
    });
    // A vote is not a message of its own.
    expect(events().filter((e) => e.event === 'message.incoming' && String(e.data.type).startsWith('pollUpdate'))).toEqual([]);
  });

  test('a vote sent LID-addressed (creator and voter named by LID) decrypts too and is the same voter', async () => {
    const res = await h.api
      .post('/api/send-poll')
      .send({ phone: BUDI, question: 'Warna?', options: ['Merah', 'Biru'] })
      .expect(200);
    const poll = await delivered(res.body.data.message_id);
    const pollId = res.body.data.message_id as string;
    const votes = () => events().filter((e) => e.event === 'poll.vote' && e.data.poll_id === pollId);
    await h.emu.sendIncomingPollVote(BUDI, poll, ['Merah']);
    await waitFor(() => votes().length === 1, 5000, 'the phone-addressed vote');
    await h.emu.sendIncomingPollVote(BUDI, poll, ['Biru'], { addressing: 'lid' });
    await waitFor(() => votes().length === 2, 5000, 'the LID-addressed vote');
    expect(votes()[1]!.data).toEqual({ poll_id: pollId, voter_phone: BUDI, voter_lid: `${BUDI_LID}@lid`, options: ['Biru'] });
    const record = await h.api.get(`/api/messages/${pollId}`).expect(200);
    expect(record.body.data.poll.options).toEqual([
      { name: 'Merah', votes: 0 },
      { name: 'Biru', votes: 1 },
    ]);
  });

  test('multiple answers: pollCreationMessage with selectable count 0; a vote for two options counts both', async () => {
    const multi = await h.api
      .post('/api/send-poll')
      .send({ phone: BUDI, question: 'Hari apa?', options: ['Sabtu', 'Minggu', 'Senin'], multiple_answers: true })
      .expect(200);
    const poll = await delivered(multi.body.data.message_id);
    expect(poll.message.pollCreationMessage).toMatchObject({ name: 'Hari apa?', selectableOptionsCount: 0 });
    expect(poll.message.pollCreationMessage?.options?.map((o) => o.optionName)).toEqual(['Sabtu', 'Minggu', 'Senin']);
    await h.emu.sendIncomingPollVote(BUDI, poll, ['Sabtu', 'Senin']);
    await waitFor(() => events().some((e) => e.event === 'poll.vote' && e.data.poll_id === multi.body.data.message_id), 5000, 'the vote');
    const record = await h.api.get(`/api/messages/${multi.body.data.id}`).expect(200);
    expect(record.body.data.poll.options).toEqual([
      { name: 'Sabtu', votes: 1 },
      { name: 'Minggu', votes: 0 },
      { name: 'Senin', votes: 1 },
    ]);
  });

  test('a poll queued while WhatsApp is away goes out after it is back, and its votes still decrypt', async () => {
    await h.emu.goAway();
    let queued: Awaited<ReturnType<typeof h.api.get>> | undefined;
    try {
      await h.waitForStatus((s) => !s.bot_connected, 5000, 'disconnected');
      queued = await h.api
        .post('/api/send-poll')
        .send({ phone: BUDI, question: 'Rapat jam berapa?', options: ['09.00', '13.00'] })
        .expect(202);
      expect(queued.body).toMatchObject({ message: 'Poll queued for delivery', data: { delivery_status: 'queued' } });
    } finally {
      await h.emu.comeBack();
    }
    await h.waitForConnected(15_000);
    if (!queued) throw new Error('not queued');
    const poll = await delivered(queued.body.data.message_id);
    expect(poll.message.pollCreationMessageV3?.options?.map((o) => o.optionName)).toEqual(['09.00', '13.00']);
    await h.emu.sendIncomingPollVote(BUDI, poll, ['13.00']);
    await waitFor(() => events().some((e) => e.event === 'poll.vote' && e.data.poll_id === queued!.body.data.message_id), 5000, 'the vote');
    const record = await h.api.get(`/api/messages/${queued.body.data.id}`).expect(200);
    expect(['sent', 'delivered', 'read']).toContain(record.body.data.status);
    expect(record.body.data.poll.options).toEqual([
      { name: '09.00', votes: 0 },
      { name: '13.00', votes: 1 },
    ]);
  });
});
