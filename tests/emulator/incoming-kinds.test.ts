import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { get } from 'node:https';
import { aesDecryptWithIV, decryptPollVote, getAggregateVotesInPollMessage, getMediaKeys, hmacSign, proto, type WAMessage } from '@whiskeysockets/baileys';
import { incomingContent, startEmulator, unrefBaileysTimers, type Emulator } from '../../emulator/index.js';
import { pairAndLogin, type Client } from './baileys-client.js';

const BUDI = '6281234567890';
const BUDI_LID = '123456789012345';
const pn = (phone: string): string => `${phone}@s.whatsapp.net`;
const VCARD = 'BEGIN:VCARD\nVERSION:3.0\nFN:Budi\nTEL;type=CELL;waid=6281234567890:+62 812-3456-7890\nEND:VCARD';

describe('emulator: every incoming kind reaches the real Baileys, from a person and in a group', () => {
  let emu: Emulator;
  let client: Client;
  let restoreTimers: () => void;
  let groupJid: string;

  const upserted = (id: string): Promise<WAMessage> =>
    client.waitFor(() => client.upserts.flatMap((u) => u.messages).find((m) => m.key.id === id), 5000, `upsert ${id}`);

  beforeAll(async () => {
    restoreTimers = unrefBaileysTimers();
    emu = await startEmulator({ contacts: [{ phone: BUDI, lid: BUDI_LID, pushName: 'Budi' }, { phone: '6281234567891' }] });
    client = await pairAndLogin(emu);
    groupJid = emu.groups.create({ subject: 'Masuk', participants: [emu.account.phone, '6281234567891'], owner: BUDI }).jid;
  });

  afterAll(async () => {
    await client?.dispose();
    await emu?.stop();
    restoreTimers();
  });

  type Target = { name: string; send: (message: proto.IMessage) => Promise<string>; chat: () => string; accountJid: () => string };
  const targets: Target[] = [
    { name: 'a person', send: (m) => emu.sendIncomingMessage(BUDI, m), chat: () => pn(BUDI), accountJid: () => emu.account.jid },
    { name: 'a group', send: (m) => emu.sendIncomingGroupMessage(groupJid, BUDI, m), chat: () => groupJid, accountJid: () => emu.account.lidJid },
  ];

  test.each(targets)('text, with the sender named (in groups: participant LID and phone) ($name)', async (target) => {
    const message = await upserted(await target.send({ conversation: 'halo' }));
    expect(message.message?.conversation).toBe('halo');
    expect(message.key.remoteJid).toBe(target.chat());
    if (target.chat() === groupJid) expect(message.key).toMatchObject({ participant: `${BUDI_LID}@lid`, participantAlt: pn(BUDI) });
    expect(message.pushName).toBe('Budi');
  });

  test.each(targets)('reply with quoted id and mentions ($name)', async (target) => {
    const sent = await client.sock.sendMessage(target.chat(), { text: 'pertanyaan' });
    const reply = incomingContent.text('jawaban', {
      quoted: {
        id: sent!.key.id!,
        remoteJid: target.chat(),
        participant: target.chat() === groupJid ? target.accountJid() : undefined,
        message: { conversation: 'pertanyaan' },
      },
      mentions: [target.accountJid()],
    });
    const message = await upserted(await target.send(reply));
    const context = message.message?.extendedTextMessage?.contextInfo;
    expect(message.message?.extendedTextMessage?.text).toBe('jawaban');
    expect(context?.stanzaId).toBe(sent!.key.id);
    expect(context?.mentionedJid).toEqual([target.accountJid()]);
  });

  test.each(targets)('location, contact card and poll ($name)', async (target) => {
    const location = await upserted(await target.send(incomingContent.location(-6.2, 106.8166, { name: 'Monas' })));
    expect(location.message?.locationMessage).toMatchObject({ degreesLatitude: -6.2, degreesLongitude: 106.8166, name: 'Monas' });
    const contact = await upserted(await target.send(incomingContent.contact('Budi', VCARD)));
    expect(contact.message?.contactMessage).toMatchObject({ displayName: 'Budi', vcard: VCARD });
    const poll = await upserted(await target.send(incomingContent.poll('Kapan?', ['Sabtu', 'Minggu'])));
    expect(poll.message?.pollCreationMessageV3?.options?.map((o) => o.optionName)).toEqual(['Sabtu', 'Minggu']);
    expect(poll.message?.messageContextInfo?.messageSecret).toHaveLength(32);
  });

  test.each(targets)('reaction to our message, edit and revoke of their own ($name)', async (target) => {
    const ours = await client.sock.sendMessage(target.chat(), { text: 'untuk direaksi' });
    const inGroup = target.chat() === groupJid;
    // From Budi's side the chat is the account (or the group), and the message is not his.
    const ref = { id: ours!.key.id!, remoteJid: inGroup ? groupJid : target.accountJid(), participant: inGroup ? target.accountJid() : undefined };
    const reaction = await upserted(await target.send(incomingContent.reaction(ref, '❤️')));
    // Baileys turns the key round to its own point of view: the reacted message is ours.
    expect(reaction.message?.reactionMessage).toMatchObject({ text: '❤️', key: { id: ours!.key.id, fromMe: true, remoteJid: target.chat() } });

    const theirs = await target.send({ conversation: 'salah ketik' });
    await upserted(theirs);
    const own = { id: theirs, remoteJid: inGroup ? groupJid : target.accountJid(), participant: inGroup ? `${BUDI_LID}@lid` : undefined };
    const edit = await upserted(await target.send(incomingContent.edit(own, 'benar ketik')));
    expect(edit.message?.protocolMessage).toMatchObject({
      type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
      key: { id: theirs },
      editedMessage: { conversation: 'benar ketik' },
    });
    const revoke = await upserted(await target.send(incomingContent.revoke(own)));
    expect(revoke.message?.protocolMessage).toMatchObject({ type: proto.Message.ProtocolMessage.Type.REVOKE, key: { id: theirs } });
  });

  test.each(targets)('image: real encrypted media on the media host, downloadable and verifiable ($name)', async (target) => {
    const bytes = Buffer.from('\xff\xd8\xff\xe0 pretend jpeg '.repeat(50), 'latin1');
    const content = await emu.uploadIncomingMedia(bytes, { caption: 'foto', mimetype: 'image/jpeg' });
    const message = await upserted(await target.send(content));
    const image = message.message!.imageMessage!;
    expect(image.caption).toBe('foto');
    // What a receiver does: fetch the URL, check the 10-byte MAC, decrypt, compare with fileSha256.
    const blob = await new Promise<Buffer>((resolve, reject) => {
      get(image.url!, { agent: emu.fetchAgent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk) => chunks.push(chunk as Buffer));
        res.on('end', () => resolve(Buffer.concat(chunks)));
      }).on('error', reject);
    });
    expect(createHash('sha256').update(blob).digest().equals(Buffer.from(image.fileEncSha256!))).toBe(true);
    const { iv, cipherKey, macKey } = await getMediaKeys(image.mediaKey!, 'image');
    const ciphertext = blob.subarray(0, -10);
    expect(
      hmacSign(Buffer.concat([iv, ciphertext]), macKey!)
        .subarray(0, 10)
        .equals(blob.subarray(-10)),
    ).toBe(true);
    const plain = aesDecryptWithIV(ciphertext, cipherKey, iv);
    expect(plain.equals(bytes)).toBe(true);
    expect(createHash('sha256').update(plain).digest().equals(Buffer.from(image.fileSha256!))).toBe(true);
  });

  test('a document keeps its kind, file name and mimetype', async () => {
    const bytes = Buffer.from('%PDF-1.4 faktur');
    const content = await emu.uploadIncomingMedia(bytes, { kind: 'document', mimetype: 'application/pdf', fileName: 'faktur.pdf' });
    const document = (await upserted(await emu.sendIncomingMessage(BUDI, content))).message?.documentMessage;
    expect(document).toMatchObject({ mimetype: 'application/pdf', fileName: 'faktur.pdf' });
    expect(Number(document?.fileLength)).toBe(bytes.length);
  });

  test.each(targets)('a poll vote, encrypted with the poll secret, opens with decryptPollVote and tallies ($name)', async (target) => {
    const poll = await client.sock.sendMessage(target.chat(), { poll: { name: 'Makan apa?', values: ['Sate', 'Soto', 'Bakso'], selectableCount: 1 } });
    const pollCopy = await emu.waitForMessage((m) => m.id === poll!.key.id && m.to === pn(BUDI));
    const voteId = await emu.sendIncomingPollVote(BUDI, pollCopy, ['Soto']);
    const vote = await upserted(voteId);
    const update = vote.message!.pollUpdateMessage!;
    expect(update.pollCreationMessageKey).toMatchObject({ id: poll!.key.id, fromMe: true });
    // As the gateway would: the secret from the poll it sent; creator and voter in the chat's addressing.
    const inGroup = target.chat() === groupJid;
    const decrypted = decryptPollVote(update.vote!, {
      pollEncKey: poll!.message!.messageContextInfo!.messageSecret!,
      pollCreatorJid: inGroup ? emu.account.lidJid : emu.account.jid,
      pollMsgId: poll!.key.id!,
      voterJid: inGroup ? vote.key.participant! : vote.key.remoteJid!,
    });
    expect(decrypted.selectedOptions.map((o) => Buffer.from(o).toString('hex'))).toEqual([createHash('sha256').update('Soto').digest('hex')]);
    const tally = getAggregateVotesInPollMessage({ message: poll!.message, pollUpdates: [{ pollUpdateMessageKey: vote.key, vote: decrypted }] });
    expect(tally.map((option) => [option.name, option.voters.length])).toEqual([
      ['Sate', 0],
      ['Soto', 1],
      ['Bakso', 0],
    ]);
  });

  test('in a LID-addressed chat the vote is bound to LIDs (creator and voter)', async () => {
    const poll = await client.sock.sendMessage(pn(BUDI), { poll: { name: 'Ya atau tidak?', values: ['Ya', 'Tidak'], selectableCount: 1 } });
    const pollCopy = await emu.waitForMessage((m) => m.id === poll!.key.id && m.to === pn(BUDI));
    const vote = await upserted(await emu.sendIncomingPollVote(BUDI, pollCopy, ['Tidak'], { addressing: 'lid' }));
    expect(vote.key).toMatchObject({ remoteJid: `${BUDI_LID}@lid`, remoteJidAlt: pn(BUDI) });
    const open = (creator: string, voter: string): proto.Message.PollVoteMessage =>
      decryptPollVote(vote.message!.pollUpdateMessage!.vote!, {
        pollEncKey: poll!.message!.messageContextInfo!.messageSecret!,
        pollCreatorJid: creator,
        pollMsgId: poll!.key.id!,
        voterJid: voter,
      });
    expect(() => open(emu.account.jid, pn(BUDI))).toThrow();
    const decrypted = open(emu.account.lidJid, `${BUDI_LID}@lid`);
    expect(Buffer.from(decrypted.selectedOptions[0]!).toString('hex')).toBe(createHash('sha256').update('Tidak').digest('hex'));
  });
});
