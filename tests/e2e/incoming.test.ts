/**
 * Every incoming kind end to end: a contact's (or group member's) phone in the emulator sends it,
 * the real Baileys socket decrypts it, and it reaches the webhook receiver as message.incoming (and
 * message.reaction / message.edited / message.revoked) and GET /api/messages?direction=in.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { incomingContent } from '../../emulator/index.js';
import { startReceiver } from '../webhooks/receiver.js';
import { E2EHarness, waitFor } from './support/harness.js';

const BUDI = '6281234567890';
const BUDI_LID = '123456789012345@lid';
const SITI = '6281234567891';

interface WebhookBody {
  event: string;
  data: Record<string, unknown>;
}

describe('incoming messages of every kind', () => {
  let h: E2EHarness;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const events = () => receiver.requests.map((r) => JSON.parse(r.body) as WebhookBody);

  /** The webhook of `event` whose data.message_id is `id`. */
  const webhook = (event: string, id: string) =>
    waitFor(() => events().find((e) => e.event === event && e.data.message_id === id)?.data, 8000, `${event} for ${id}`);

  /** The received message with that id in GET /api/messages?direction=in. */
  const listed = (id: string, query = '') =>
    waitFor(
      async () => {
        const res = await h.api.get(`/api/messages?direction=in&limit=200${query}`).expect(200);
        return (res.body.data as Array<Record<string, unknown>>).find((m) => m.message_id === id);
      },
      5000,
      `${id} in direction=in`,
    );

  beforeAll(async () => {
    receiver = await startReceiver();
    h = await E2EHarness.startLinked({
      emulator: {
        contacts: [
          { phone: BUDI, lid: '123456789012345', pushName: 'Budi' },
          { phone: SITI, lid: '123456789012346', pushName: 'Siti' },
        ],
      },
      env: { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: 'incoming-test-secret-0123456789', WEBHOOK_BACKOFF_BASE_MS: '50' },
    });
  }, 30_000);

  afterAll(async () => {
    await h?.stop();
    await receiver?.close();
  });

  test('a text: webhook and direction=in, with phone, chat and no participant', async () => {
    const id = await h.emu.sendIncomingText(BUDI, 'halo gateway');
    const data = await webhook('message.incoming', id);
    expect(data).toMatchObject({
      type: 'text',
      wa_type: 'conversation',
      text: 'halo gateway',
      from_phone: BUDI,
      chat: BUDI,
      participant: null,
      reply_to: null,
      mentions: [],
    });
    expect(await listed(id)).toMatchObject({
      direction: 'in',
      type: 'text',
      text: 'halo gateway',
      summary: 'halo gateway',
      from_phone: BUDI,
      chat: BUDI,
      revoked: false,
    });
    // The existing filters work on received messages too.
    expect(await listed(id, `&type=text&phone=${BUDI}`)).toMatchObject({ message_id: id });
    const none = await h.api.get(`/api/messages?direction=in&type=location&phone=${BUDI}`).expect(200);
    expect((none.body.data as Array<{ message_id: string }>).some((m) => m.message_id === id)).toBe(false);
    await h.api.get('/api/messages?direction=in&status=sent').expect(400);
  });

  test('a LID-addressed sender: from_lid set, from_phone from the alternate', async () => {
    const id = await h.emu.sendIncomingText(SITI, 'dari lid', { addressing: 'lid' });
    const data = await webhook('message.incoming', id);
    expect(data.from_lid).toBe('123456789012346@lid');
    expect(data.from_phone).toBe(SITI);
    expect(await listed(id)).toMatchObject({ from_lid: '123456789012346@lid', from_phone: SITI });
  });

  test('a reply quoting our message carries reply_to; a mention lists the person', async () => {
    const sent = await h.sendText(BUDI, 'pesanan siap').expect(200);
    const ours = sent.body.data.message_id as string;
    const reply = incomingContent.text(`terima kasih @${SITI}`, {
      quoted: { id: ours, remoteJid: h.emu.account.jid, message: { conversation: 'pesanan siap' } },
      mentions: [`${SITI}@s.whatsapp.net`],
    });
    const id = await h.emu.sendIncomingMessage(BUDI, reply);
    expect(await webhook('message.incoming', id)).toMatchObject({ type: 'text', wa_type: 'extendedTextMessage', reply_to: ours, mentions: [SITI] });
    expect(await listed(id)).toMatchObject({ reply_to: ours, mentions: [SITI] });
  });

  test('a group text from a member: chat is the group, participant the member', async () => {
    const group = h.emu.groups.create({ subject: 'Arisan', participants: [h.emu.account.phone, BUDI, SITI], owner: BUDI });
    const id = await h.emu.sendIncomingGroupMessage(group.jid, SITI, incomingContent.text('kumpul jam 7'));
    const data = await webhook('message.incoming', id);
    expect(data).toMatchObject({ type: 'text', text: 'kumpul jam 7', chat: group.jid, participant: SITI, from_phone: SITI, from_lid: '123456789012346@lid' });
    expect(await listed(id, `&phone=${SITI}`)).toMatchObject({ chat: group.jid, participant: SITI });
  });

  test('an image with caption: media metadata, downloadable through GET /api/media/:messageId', async () => {
    const bytes = Buffer.from('\xff\xd8\xff\xe0 pretend jpeg '.repeat(40), 'latin1');
    const id = await h.emu.sendIncomingMessage(BUDI, await h.emu.uploadIncomingMedia(bytes, { caption: 'lihat ini', mimetype: 'image/jpeg' }));
    const data = await webhook('message.incoming', id);
    expect(data).toMatchObject({
      type: 'image',
      wa_type: 'imageMessage',
      media: { kind: 'image', mimetype: 'image/jpeg', caption: 'lihat ini', file_size: bytes.length },
    });
    expect(String((data.media as { download_url: string }).download_url)).toContain(`/api/media/${id}`);
    expect(await listed(id)).toMatchObject({ type: 'image', summary: 'lihat ini' });
    const file = await h.api
      .get(`/api/media/${id}`)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect((file.body as Buffer).equals(bytes)).toBe(true);
  });

  test('an image its sender deleted for everyone: GET /api/media/:messageId answers 404 as for a missing one', async () => {
    const bytes = Buffer.from('\xff\xd8\xff\xe0 soon gone '.repeat(40), 'latin1');
    const id = await h.emu.sendIncomingMessage(BUDI, await h.emu.uploadIncomingMedia(bytes, { caption: 'salah kirim', mimetype: 'image/jpeg' }));
    await webhook('message.incoming', id);
    await h.api.get(`/api/media/${id}`).expect(200);
    await h.emu.sendIncomingMessage(BUDI, incomingContent.revoke({ id, remoteJid: h.emu.account.jid }));
    await webhook('message.revoked', id);
    await waitFor(async () => (await listed(id)).revoked === true || undefined, 5000, 'revoked');
    const gone = await h.api.get(`/api/media/${id}`).expect(404);
    expect(gone.body).toEqual({ status: 'error', code: 'NOT_FOUND', message: 'Incoming media not found', timestamp: expect.any(String) });
    // What fetched and decrypted the file (the media key and URL) is no longer kept.
    expect(h.gateway.db.prepare<[string], { raw: string }>('SELECT raw FROM received_messages WHERE message_id = ?').get(id)).toEqual({ raw: '' });
  });

  test('a text has nothing to download', async () => {
    const id = await h.emu.sendIncomingText(BUDI, 'bukan media');
    await listed(id);
    await h.api.get(`/api/media/${id}`).expect(404);
  });

  test('a location', async () => {
    const id = await h.emu.sendIncomingMessage(BUDI, incomingContent.location(-6.175392, 106.827153, { name: 'Monas', address: 'Gambir, Jakarta' }));
    expect(await webhook('message.incoming', id)).toMatchObject({
      type: 'location',
      location: { latitude: -6.175392, longitude: 106.827153, name: 'Monas', address: 'Gambir, Jakarta' },
    });
    expect(await listed(id, '&type=location')).toMatchObject({ summary: 'Monas, Gambir, Jakarta' });
  });

  test('a contact card', async () => {
    const vcard = 'BEGIN:VCARD\nVERSION:3.0\nFN:Siti Aminah\nTEL;type=CELL;waid=6281234567891:+62 812-3456-7891\nEND:VCARD';
    const id = await h.emu.sendIncomingMessage(BUDI, incomingContent.contact('Siti Aminah', vcard));
    expect(await webhook('message.incoming', id)).toMatchObject({ type: 'contact', contacts: [{ name: 'Siti Aminah', phones: [SITI], vcard }] });
    expect(await listed(id)).toMatchObject({ type: 'contact', summary: 'Siti Aminah' });
  });

  test('a poll', async () => {
    const id = await h.emu.sendIncomingMessage(BUDI, incomingContent.poll('Makan di mana?', ['Warung', 'Kantin', 'Rumah'], 2));
    expect(await webhook('message.incoming', id)).toMatchObject({
      type: 'poll',
      poll: { question: 'Makan di mana?', options: ['Warung', 'Kantin', 'Rumah'], multiple_answers: true },
    });
    expect(await listed(id)).toMatchObject({ type: 'poll', summary: 'Makan di mana?' });
  });

  test('a reaction to our message: message.incoming (type reaction) and message.reaction', async () => {
    const sent = await h.sendText(BUDI, 'harga naik').expect(200);
    const ours = sent.body.data.message_id as string;
    const id = await h.emu.sendIncomingMessage(BUDI, incomingContent.reaction({ id: ours, remoteJid: h.emu.account.jid }, '😮'));
    expect(await webhook('message.incoming', id)).toMatchObject({ type: 'reaction', reaction: { message_id: ours, emoji: '😮', removed: false } });
    const reaction = await waitFor(() => events().find((e) => e.event === 'message.reaction' && e.data.reaction_id === id)?.data, 5000, 'message.reaction');
    expect(reaction).toMatchObject({ message_id: ours, emoji: '😮', removed: false, own_message: true, from_phone: BUDI, chat: BUDI });
    expect(await listed(id, '&type=reaction')).toMatchObject({ reaction: { message_id: ours, emoji: '😮', removed: false } });
  });

  test("a group member's reaction to another member's message, then taken back", async () => {
    const group = h.emu.groups.create({ subject: 'Reaksi', participants: [h.emu.account.phone, BUDI, SITI], owner: BUDI });
    const theirs = await h.emu.sendIncomingGroupMessage(group.jid, BUDI, incomingContent.text('foto besok'));
    await listed(theirs);
    const target = { id: theirs, remoteJid: group.jid, participant: BUDI_LID };
    const id = await h.emu.sendIncomingGroupMessage(group.jid, SITI, incomingContent.reaction(target, '👍'));
    const reaction = await waitFor(() => events().find((e) => e.event === 'message.reaction' && e.data.reaction_id === id)?.data, 5000, 'message.reaction');
    expect(reaction).toMatchObject({ message_id: theirs, emoji: '👍', removed: false, own_message: false, chat: group.jid, participant: SITI });
    const undo = await h.emu.sendIncomingGroupMessage(group.jid, SITI, incomingContent.reaction(target, ''));
    const removed = await waitFor(() => events().find((e) => e.event === 'message.reaction' && e.data.reaction_id === undo)?.data, 5000, 'the removal');
    expect(removed).toMatchObject({ message_id: theirs, emoji: '', removed: true });
    expect(await listed(undo)).toMatchObject({ type: 'reaction', reaction: { message_id: theirs, emoji: '', removed: true } });
  });

  test('an edit: message.edited, and the stored message shows the new text', async () => {
    const id = await h.emu.sendIncomingText(BUDI, 'besok jam 8');
    await listed(id);
    await h.emu.sendIncomingMessage(BUDI, incomingContent.edit({ id, remoteJid: h.emu.account.jid }, 'besok jam 9'));
    expect(await webhook('message.edited', id)).toMatchObject({ message_id: id, text: 'besok jam 9', from_phone: BUDI, chat: BUDI });
    const stored = await waitFor(
      async () => {
        const m = await listed(id);
        return m.edited_text ? m : undefined;
      },
      5000,
      'edited text',
    );
    expect(stored).toMatchObject({ text: 'besok jam 8', edited_text: 'besok jam 9', edited_at: expect.any(String) });
    // The edit is a change, not a new message.
    expect(events().filter((e) => e.event === 'message.incoming' && e.data.wa_type === 'protocolMessage')).toEqual([]);
  });

  test('a delete for everyone in a group: message.revoked, and the stored message is marked', async () => {
    const group = h.emu.groups.create({ subject: 'Kantor', participants: [h.emu.account.phone, BUDI], owner: BUDI });
    const id = await h.emu.sendIncomingGroupMessage(group.jid, BUDI, incomingContent.text('salah kirim'));
    await listed(id);
    await h.emu.sendIncomingGroupMessage(group.jid, BUDI, incomingContent.revoke({ id, remoteJid: group.jid, participant: BUDI_LID }));
    expect(await webhook('message.revoked', id)).toMatchObject({ message_id: id, text: null, chat: group.jid, participant: BUDI });
    const stored = await waitFor(
      async () => {
        const m = await listed(id);
        return m.revoked ? m : undefined;
      },
      5000,
      'revoked',
    );
    expect(stored).toMatchObject({ revoked: true, revoked_at: expect.any(String), text: 'salah kirim' });
  });
});
