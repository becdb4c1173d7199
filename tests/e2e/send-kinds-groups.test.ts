/**
 * The kinds sent to groups end to end, through the real Baileys socket to the emulator: a location
 * (with a mention) and a poll (quoting the location) arrive at every member, decrypted with the
 * sender key; a reaction to a member's message names that member as WhatsApp keyed the message
 * (their LID in a LID-addressed group, their phone number in a phone-addressed one), and one to our
 * own message names the account the same way.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { ReceivedMessage } from '../../emulator/index.js';
import { E2EHarness, waitFor } from './support/harness.js';

const BUDI = '6281234567890';
const SITI = '6281234567891';
const SITI_LID = '123456789012346';
const CONTACTS = [
  { phone: BUDI, lid: '123456789012345', pushName: 'Budi' },
  { phone: SITI, lid: SITI_LID, pushName: 'Siti' },
];
const pn = (phone: string) => `${phone}@s.whatsapp.net`;

describe('the kinds to a group through the real socket and the emulator', () => {
  let h: E2EHarness;
  beforeAll(async () => {
    h = await E2EHarness.startLinked({ emulator: { contacts: CONTACTS } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  /** Every member's decrypted copy of `id`, once all arrived. */
  function memberCopies(id: string, members: string[]): Promise<ReceivedMessage[]> {
    return waitFor(
      () => {
        const copies = members.map((phone) => h.emu.messages.find((m) => m.id === id && m.to === pn(phone) && m.type !== 'undecryptable'));
        return copies.every(Boolean) ? (copies as ReceivedMessage[]) : undefined;
      },
      10_000,
      `copies of ${id} for ${members.join(', ')}`,
    );
  }

  test('a location with a mention and a poll quoting it: every member decrypts both', async () => {
    const group = h.emu.groups.create({ subject: 'Arisan', participants: [h.emu.account.phone, BUDI, SITI], owner: BUDI });
    const location = await h.api
      .post('/api/send-location')
      .send({ group: group.jid, latitude: -6.1754, longitude: 106.8272, name: 'Monas', mentions: [SITI] })
      .expect(200);
    expect(location.body.data).toMatchObject({ group: group.jid, type: 'location', name: 'Monas' });
    expect('phone' in location.body.data).toBe(false);
    for (const copy of await memberCopies(location.body.data.message_id, [BUDI, SITI])) {
      expect(copy).toMatchObject({ type: 'location', group: group.jid });
      expect(copy.message.locationMessage).toMatchObject({ degreesLatitude: -6.1754, degreesLongitude: 106.8272, name: 'Monas' });
      expect(copy.message.locationMessage?.contextInfo?.mentionedJid).toEqual([pn(SITI)]);
    }

    const poll = await h.api
      .post('/api/send-poll')
      .send({ group: group.jid.replace('@g.us', ''), question: 'Jam berapa?', options: ['09.00', '13.00'], reply_to: location.body.data.message_id })
      .expect(200);
    expect(poll.body.data).toMatchObject({ group: group.jid, type: 'poll', question: 'Jam berapa?' });
    for (const copy of await memberCopies(poll.body.data.message_id, [BUDI, SITI])) {
      expect(copy).toMatchObject({ type: 'poll', group: group.jid });
      const creation = copy.message.pollCreationMessageV3;
      expect(creation?.options?.map((o) => o.optionName)).toEqual(['09.00', '13.00']);
      expect(creation?.contextInfo).toMatchObject({ stanzaId: location.body.data.message_id, quotedMessage: { locationMessage: { name: 'Monas' } } });
    }
    const record = await h.api.get(`/api/messages/${poll.body.data.id}`).expect(200);
    expect(record.body.data).toMatchObject({ group: group.jid, jid: group.jid, type: 'poll' });
  });

  test.each([
    ['LID-addressed', 'lid' as const, `${SITI_LID}@lid`],
    ['phone-addressed', 'pn' as const, pn(SITI)],
  ])('a reaction to a member’s message in a %s group names the member as the message was keyed', async (_what, addressingMode, participant) => {
    const group = h.emu.groups.create({ subject: `Reaksi ${addressingMode}`, participants: [h.emu.account.phone, BUDI, SITI], owner: BUDI, addressingMode });
    const theirs = await h.emu.sendIncomingGroupMessage(group.jid, SITI, { conversation: 'besok arisan di rumah saya' });
    // The gateway keeps the message as it arrives; a reaction before that answers 404.
    const react = await waitFor(
      async () => {
        const res = await h.api.post('/api/send-reaction').send({ group: group.jid, message_id: theirs, emoji: '🙏' });
        return res.status === 200 ? res : undefined;
      },
      5000,
      'the reaction accepted',
    );
    expect(react.body.data).toMatchObject({ group: group.jid, target_message_id: theirs, emoji: '🙏', type: 'reaction' });
    for (const copy of await memberCopies(react.body.data.message_id, [BUDI, SITI])) {
      expect(copy).toMatchObject({ type: 'reaction', group: group.jid });
      expect(copy.message.reactionMessage).toMatchObject({ text: '🙏', key: { id: theirs, remoteJid: group.jid, fromMe: false, participant } });
    }

    const refused = await h.api.post('/api/send-reaction').send({ group: group.jid, message_id: theirs, emoji: '👍', reply_to: theirs }).expect(400);
    expect(refused.body).toMatchObject({ code: 'OPTION_NOT_SUPPORTED' });
  });

  // Baileys sends to a LID-addressed group as our LID (its sender key is the LID's), so members key
  // our message by it there, and by our phone JID in a phone-addressed group.
  test.each([
    ['LID-addressed', 'lid' as const, () => h.emu.account.lidJid],
    ['phone-addressed', 'pn' as const, () => h.emu.account.jid],
  ])('a reaction to our own message in a %s group names the account as its author (fromMe, participant)', async (_what, addressingMode, author) => {
    const group = h.emu.groups.create({
      subject: `Punya kita ${addressingMode}`,
      participants: [h.emu.account.phone, BUDI, SITI],
      owner: BUDI,
      addressingMode,
    });
    const ours = await h.api.post('/api/send-message').send({ group: group.jid, message: 'arisan jam 7' }).expect(200);
    const id = ours.body.data.message_id as string;
    await memberCopies(id, [BUDI, SITI]);

    const react = await h.api.post('/api/send-reaction').send({ group: group.jid, message_id: id, emoji: '👍' }).expect(200);
    expect(react.body.data).toMatchObject({ group: group.jid, target_message_id: id, emoji: '👍', type: 'reaction' });
    for (const copy of await memberCopies(react.body.data.message_id, [BUDI, SITI])) {
      expect(copy.message.reactionMessage).toMatchObject({ text: '👍', key: { id, remoteJid: group.jid, fromMe: true, participant: author() } });
    }
  });
});
