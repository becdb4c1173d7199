import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { addTransactionCapability, makeCacheableSignalKeyStore } from '@whiskeysockets/baileys';
import { pino } from 'pino';
import { keepTcTokenWrites } from '../../src/whatsapp/baileys/tc-token-writes.js';
import { useSqliteAuthState } from '../../src/whatsapp/baileys/sqlite-auth-state.js';
import { tempDatabase } from './temp-db.js';

const JID = '99999999999@lid';
const silent = pino({ level: 'silent' });

/**
 * What Baileys' send does with the token it issues: a write started inside the send's key
 * transaction that lands after the transaction committed (fire-and-forget after the stanza).
 */
async function writeAfterCommit(keys: ReturnType<typeof addTransactionCapability>): Promise<void> {
  let late: Promise<void> | undefined;
  await keys.transaction(async () => {
    late = new Promise<void>((resolve) => setTimeout(resolve, 10)).then(() =>
      keys.set({ tctoken: { [JID]: { token: Buffer.alloc(0), senderTimestamp: 1_700_000_000 } } }),
    );
  }, 'me');
  await late;
}

describe('keepTcTokenWrites', () => {
  let handle: ReturnType<typeof tempDatabase>;
  beforeEach(() => {
    handle = tempDatabase();
  });
  afterEach(() => handle.cleanup());

  test("Baileys' own transaction layer drops a token write that lands after its transaction committed", async () => {
    const { state } = await useSqliteAuthState(handle.db);
    const keys = addTransactionCapability(makeCacheableSignalKeyStore(state.keys), silent, { maxCommitRetries: 1, delayBetweenTriesMs: 0 });
    await writeAfterCommit(keys);
    expect((await state.keys.get('tctoken', [JID]))[JID]).toBeFalsy();
  });

  test('with it, the write reaches the store and survives a restart', async () => {
    const { state } = await useSqliteAuthState(handle.db);
    const store = makeCacheableSignalKeyStore(state.keys);
    const keys = addTransactionCapability(store, silent, { maxCommitRetries: 1, delayBetweenTriesMs: 0 });
    keepTcTokenWrites(keys, store);
    await writeAfterCommit(keys);
    const reopened = await useSqliteAuthState(handle.reopen());
    expect((await reopened.state.keys.get('tctoken', [JID]))[JID]?.senderTimestamp).toBe(1_700_000_000);
  });

  test('writes of other keys keep to the transaction: nothing reaches the store before the commit', async () => {
    const { state } = await useSqliteAuthState(handle.db);
    const store = makeCacheableSignalKeyStore(state.keys);
    const keys = addTransactionCapability(store, silent, { maxCommitRetries: 1, delayBetweenTriesMs: 0 });
    keepTcTokenWrites(keys, store);
    await keys.transaction(async () => {
      await keys.set({ session: { '6281234567890.0': Buffer.from('session') } });
      expect((await state.keys.get('session', ['6281234567890.0']))['6281234567890.0']).toBeFalsy();
    }, 'me');
    expect((await state.keys.get('session', ['6281234567890.0']))['6281234567890.0']).toBeTruthy();
  });
});
