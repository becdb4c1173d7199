/**
 * Retry receipts answered from the store: the recipient's phone (the emulator) says it could not
 * decrypt a message, and the gateway — even after a restart, when Baileys' in-memory cache is
 * empty — re-encrypts the stored content, which the phone then decrypts.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import Database from 'better-sqlite3';
import { isSealed } from '../../src/records/sent-content-cipher.js';
import { E2EHarness, sleep, waitFor } from './support/harness.js';

const RECIPIENT = '6281234567890';

describe('retry receipts', () => {
  let h: E2EHarness;
  beforeAll(async () => {
    h = await E2EHarness.startLinked();
  });
  afterAll(async () => {
    await h?.stop();
  });

  const answers = (id: string) => h.emu.messages.filter((m) => m.id === id && !m.isOwnDeviceCopy && m.duplicate);

  test('a retry for a message sent before a gateway restart is re-encrypted and decrypted by the recipient', async () => {
    const first = await h.expectSendWorks(RECIPIENT, 'sent before the restart');
    // What the store keeps for the retry is encrypted at rest: the text is not in the file.
    const store = new Database(path.join(h.config.dataDir, 'gateway.db'), { readonly: true });
    const row = store.prepare('SELECT content FROM sent_content WHERE wa_message_id = ?').get(first.id) as { content: Buffer };
    store.close();
    expect(isSealed(row.content)).toBe(true);
    expect(row.content.includes(Buffer.from('sent before the restart'))).toBe(false);
    await h.restartGateway();
    await h.waitForConnected();

    h.emu.requestRetry(first.id);
    await waitFor(() => answers(first.id).length >= 1, 10_000, 'the re-sent copy');
    const [again] = answers(first.id);
    expect(again).toMatchObject({ type: 'text', text: 'sent before the restart', to: `${RECIPIENT}@s.whatsapp.net` });
  });

  test('a retry with a key bundle: the gateway builds a new session from it and the phone decrypts the resend', async () => {
    const first = await h.expectSendWorks(RECIPIENT, 'retry with fresh keys');
    h.emu.requestRetry(first.id, { count: 2, keyBundle: true });
    await waitFor(() => answers(first.id).length >= 1, 10_000, 'the re-sent copy');
    const [again] = answers(first.id);
    expect(again).toMatchObject({ type: 'text', text: 'retry with fresh keys' });
    // A new session from a bundle starts with a prekey message.
    expect(again!.stanza).toBeDefined();
  });

  test('retries per message are bounded, across a restart (persistent retry counters)', async () => {
    // Baileys rc14 counts each answered retry twice (handleReceipt and sendMessagesAgain both bump
    // the counter) against maxMsgRetryCount 5: two retries of a message per device are answered.
    const first = await h.expectSendWorks(RECIPIENT, 'retried too often');
    h.emu.requestRetry(first.id, { count: 1 });
    await waitFor(() => answers(first.id).length === 1, 10_000, 'answer 1');
    // A gateway that forgot its counters on restart would answer two more.
    await h.restartGateway();
    await h.waitForConnected();
    h.emu.requestRetry(first.id, { count: 2 });
    await waitFor(() => answers(first.id).length === 2, 10_000, 'answer 2');
    h.emu.requestRetry(first.id, { count: 3 });
    await sleep(1500);
    expect(answers(first.id)).toHaveLength(2);
  });
});
