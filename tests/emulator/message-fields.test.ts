import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { proto, type AnyMessageContent, type MiscMessageGenerationOptions, type WAMessageKey } from '@whiskeysockets/baileys';
import { startEmulator, unrefBaileysTimers, type Emulator, type ReceivedMessage } from '../../emulator/index.js';
import { pairAndLogin, type Client } from './baileys-client.js';

const BUDI = '6281234567890';
const SITI = '6281234567891';
const pn = (phone: string): string => `${phone}@s.whatsapp.net`;
const VCARD = 'BEGIN:VCARD\nVERSION:3.0\nFN:Siti Aminah\nTEL;type=CELL;waid=6281234567891:+62 812-3456-7891\nEND:VCARD';

describe('emulator: the fields of every kind the companion sends, to a person and to a group', () => {
  let emu: Emulator;
  let client: Client;
  let restoreTimers: () => void;
  let groupJid: string;

  beforeAll(async () => {
    restoreTimers = unrefBaileysTimers();
    emu = await startEmulator({
      contacts: [
        { phone: BUDI, lid: '123456789012345', pushName: 'Budi' },
        { phone: SITI, lid: '123456789012346' },
      ],
    });
    client = await pairAndLogin(emu);
    groupJid = emu.groups.create({ subject: 'Semua jenis', participants: [BUDI, SITI] }).jid;
  });

  afterAll(async () => {
    await client?.dispose();
    await emu?.stop();
    restoreTimers();
  });

  const targets = (): [string, string][] => [
    ['a person', pn(BUDI)],
    ['a group', groupJid],
  ];

  /** Sends with the real socket; resolves with Budi's decrypted copy (his phone's view). */
  async function send(to: string, content: AnyMessageContent, options?: MiscMessageGenerationOptions): Promise<{ key: WAMessageKey; copy: ReceivedMessage }> {
    const sent = await client.sock.sendMessage(to, content, options);
    const copy = await emu.waitForMessage((m) => m.id === sent!.key.id && m.to === pn(BUDI) && !m.isOwnDeviceCopy);
    return { key: sent!.key, copy };
  }

  test.each([0, 1])('reply and mentions: stanzaId, participant, quoted text, mentionedJid (target %i)', async (index) => {
    const [, to] = targets()[index]!;
    const { key, copy: original } = await send(to, { text: 'pesan asli' });
    expect(original.text).toBe('pesan asli');
    const { copy } = await send(to, { text: `balas @${SITI}`, mentions: [pn(SITI)] }, { quoted: { key, message: { conversation: 'pesan asli' } } });
    const context = copy.message.extendedTextMessage?.contextInfo;
    expect(copy.text).toBe(`balas @${SITI}`);
    expect(context?.stanzaId).toBe(key.id);
    expect(context?.quotedMessage?.conversation).toBe('pesan asli');
    expect(context?.mentionedJid).toEqual([pn(SITI)]);
    expect(context?.participant).toBeTruthy();
  });

  test.each([0, 1])('location and contact card (target %i)', async (index) => {
    const [, to] = targets()[index]!;
    const { copy: location } = await send(to, { location: { degreesLatitude: -6.2, degreesLongitude: 106.816666, name: 'Monas' } });
    expect(location.type).toBe('location');
    expect(location.message.locationMessage).toMatchObject({ degreesLatitude: -6.2, degreesLongitude: 106.816666, name: 'Monas' });
    const { copy: contact } = await send(to, { contacts: { displayName: 'Siti Aminah', contacts: [{ displayName: 'Siti Aminah', vcard: VCARD }] } });
    expect(contact.type).toBe('contact');
    expect(contact.message.contactMessage).toMatchObject({ displayName: 'Siti Aminah', vcard: VCARD });
  });

  test.each([0, 1])('poll (v3 single choice, v1 multiple) with its messageSecret (target %i)', async (index) => {
    const [, to] = targets()[index]!;
    const { copy: single } = await send(to, { poll: { name: 'Makan di mana?', values: ['Padang', 'Sunda'], selectableCount: 1 } });
    expect(single.type).toBe('poll');
    expect(single.message.pollCreationMessageV3).toMatchObject({
      name: 'Makan di mana?',
      selectableOptionsCount: 1,
      options: [{ optionName: 'Padang' }, { optionName: 'Sunda' }],
    });
    expect(single.message.messageContextInfo?.messageSecret).toHaveLength(32);
    const { copy: multi } = await send(to, { poll: { name: 'Hari apa?', values: ['Sabtu', 'Minggu', 'Senin'], selectableCount: 2 } });
    expect(multi.message.pollCreationMessage).toMatchObject({ name: 'Hari apa?', selectableOptionsCount: 2 });
    expect(multi.message.pollCreationMessage?.options?.map((o) => o.optionName)).toEqual(['Sabtu', 'Minggu', 'Senin']);
  });

  test.each([0, 1])('reaction, edit and delete for everyone name their target (target %i)', async (index) => {
    const [, to] = targets()[index]!;
    const { key } = await send(to, { text: 'akan diubah' });
    const { copy: reaction } = await send(to, { react: { text: '👍', key } });
    expect(reaction.type).toBe('reaction');
    expect(reaction.message.reactionMessage).toMatchObject({ text: '👍', key: { id: key.id, remoteJid: to, fromMe: true } });
    const { copy: edit } = await send(to, { edit: key, text: 'sudah diubah' });
    expect(edit.message.protocolMessage).toMatchObject({ type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT, key: { id: key.id } });
    const edited = edit.message.protocolMessage?.editedMessage;
    expect(edited?.conversation ?? edited?.extendedTextMessage?.text).toBe('sudah diubah');
    const { copy: revoke } = await send(to, { delete: key });
    expect(revoke.message.protocolMessage).toMatchObject({ type: proto.Message.ProtocolMessage.Type.REVOKE, key: { id: key.id } });
  });
});
