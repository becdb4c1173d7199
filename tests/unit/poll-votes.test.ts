/**
 * The adapter's vote decryption against votes sealed by the emulator's own implementation of
 * WhatsApp's scheme (emulator/poll-vote.ts, Node crypto): the right secret and JIDs open a vote,
 * anything else does not, and polls the gateway does not keep are ignored.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import type { WAMessage } from '@whiskeysockets/baileys';
import { encryptPollVote } from '../../emulator/poll-vote.js';
import { readPollVote } from '../../src/whatsapp/baileys/poll-votes.js';
import type { SentPoll } from '../../src/whatsapp/kinds.js';

const ACCOUNT = { id: '6281111111111:7@s.whatsapp.net', lid: '99999999999:7@lid' };
const POLL_ID = '3EB0POLL0000000001';
const OPTIONS = ['Padang', 'Sunda', 'Jawa'];

function vote(secret: Uint8Array, chosen: string[], by: { creator: string; voter: string }, key: Partial<WAMessage['key']> = {}): WAMessage {
  const message = encryptPollVote(
    { id: POLL_ID, messageSecret: secret, creatorJid: by.creator, key: { remoteJid: by.creator, fromMe: false, id: POLL_ID } },
    by.voter,
    chosen,
  );
  return { key: { remoteJid: by.voter, fromMe: false, id: '3A0VOTE', ...key }, message, messageTimestamp: 1_700_000_000 } as WAMessage;
}

const keeping = (poll?: SentPoll) => ({ find: async (id: string) => (id === POLL_ID ? poll : undefined) });

describe('readPollVote', () => {
  const secret = new Uint8Array(randomBytes(32));
  const polls = keeping({ options: OPTIONS, messageSecret: secret });

  test('a phone-addressed vote: the chosen names, the voter by phone', async () => {
    const read = await readPollVote(
      vote(secret, ['Jawa', 'Padang'], { creator: '6281111111111@s.whatsapp.net', voter: '6281234567890@s.whatsapp.net' }),
      ACCOUNT,
      polls,
    );
    expect(read).toMatchObject({
      pollId: POLL_ID,
      voterJid: '6281234567890@s.whatsapp.net',
      voterPhoneJid: '6281234567890@s.whatsapp.net',
      options: ['Padang', 'Jawa'],
    });
  });

  test('a LID-addressed vote (creator and voter by LID), with the phone WhatsApp gave beside it', async () => {
    const message = vote(secret, ['Sunda'], { creator: '99999999999@lid', voter: '123456789012345@lid' }, {
      remoteJidAlt: '6281234567890@s.whatsapp.net',
    } as Partial<WAMessage['key']>);
    const read = await readPollVote(message, ACCOUNT, polls);
    expect(read).toMatchObject({ voterLid: '123456789012345@lid', voterPhoneJid: '6281234567890@s.whatsapp.net', options: ['Sunda'] });
  });

  test('a vote taken back: no options', async () => {
    const read = await readPollVote(vote(secret, [], { creator: '6281111111111@s.whatsapp.net', voter: '6281234567890@s.whatsapp.net' }), ACCOUNT, polls);
    expect(read?.options).toEqual([]);
  });

  test('a vote sealed with another secret, or for other JIDs, does not open', async () => {
    await expect(
      readPollVote(
        vote(new Uint8Array(randomBytes(32)), ['Sunda'], { creator: '6281111111111@s.whatsapp.net', voter: '6281234567890@s.whatsapp.net' }),
        ACCOUNT,
        polls,
      ),
    ).rejects.toThrow();
    const forOther = vote(secret, ['Sunda'], { creator: '6289999999999@s.whatsapp.net', voter: '6281234567890@s.whatsapp.net' });
    await expect(readPollVote(forOther, ACCOUNT, polls)).rejects.toThrow();
  });

  test('a vote in a poll the gateway does not keep is ignored', async () => {
    expect(
      await readPollVote(
        vote(secret, ['Sunda'], { creator: '6281111111111@s.whatsapp.net', voter: '6281234567890@s.whatsapp.net' }),
        ACCOUNT,
        keeping(undefined),
      ),
    ).toBeUndefined();
  });
});
