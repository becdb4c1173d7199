/**
 * Keeps Baileys' record of the privacy tokens we issued. After a 1:1 send, Baileys 7 (rc14) issues
 * our trusted-contact token to the recipient, fire-and-forget, and stores when it did
 * (`senderTimestamp`) so that later sends in the same 7-day bucket skip it. But that write runs in
 * the async context of the send's key transaction, which has committed by then: the write lands in
 * a finished transaction's buffer and is dropped. So every text issued the token again — one more
 * iq round trip to WhatsApp (and its answer) per message, a tenth of a send's CPU on the gateway.
 *
 * Here a `tctoken` write made while a transaction context is active also goes straight to the
 * store. In a live transaction that is the same value the commit writes a moment later (tokens are
 * not part of the Signal session state the transaction keeps consistent); in a finished one it is
 * the only write there is.
 */
import type { SignalDataSet, SignalKeyStore, SignalKeyStoreWithTransaction } from '@whiskeysockets/baileys';

/** `keys`: the socket's transaction-capable store (`socket.authState.keys`), patched in place; `store`: the one beneath it. */
export function keepTcTokenWrites(keys: SignalKeyStore | SignalKeyStoreWithTransaction, store: SignalKeyStore): void {
  if (!('isInTransaction' in keys)) return;
  const set = keys.set.bind(keys);
  keys.set = async (data: SignalDataSet) => {
    if (data.tctoken && keys.isInTransaction()) await store.set({ tctoken: data.tctoken });
    await set(data);
  };
}
