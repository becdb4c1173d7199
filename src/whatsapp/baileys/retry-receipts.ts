/**
 * Answers to retry receipts from the store. A recipient device that could not decrypt a message
 * asks for it again; Baileys re-encrypts what `getMessage` returns. Without it Baileys can answer
 * only from its in-memory cache, so after a restart the recipient waited forever.
 */
import { proto, type CacheStore, type WAMessageKey } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { RetryCounterStore, SentContentStore } from '../sent-content.js';

/** What is kept of a sent message: its protobuf, exactly as Baileys encrypted it. */
export function encodeSentContent(message: proto.IMessage): Uint8Array {
  return proto.Message.encode(message).finish();
}

/** Baileys' `getMessage`: a miss is undefined (never an empty message, which would be re-sent as blank). */
export function storedMessageLookup(store: SentContentStore, logger: Pick<Logger, 'info' | 'warn'>) {
  return async (key: WAMessageKey): Promise<proto.IMessage | undefined> => {
    if (!key.id) return undefined;
    try {
      const bytes = await store.find(key.id);
      if (!bytes) {
        logger.info({ id: key.id, jid: key.remoteJid }, 'retry requested for a message whose content is no longer kept');
        return undefined;
      }
      return proto.Message.decode(bytes);
    } catch (error) {
      logger.warn({ err: error, id: key.id }, 'could not read a sent message for a retry');
      return undefined;
    }
  };
}

/** The store as Baileys' CacheStore (sync get/set/del, as Baileys calls it). */
export function retryCounterCache(store: RetryCounterStore): CacheStore {
  return {
    get: <T>(key: string) => store.get<T>(key),
    set: <T>(key: string, value: T) => store.set(key, value),
    del: (key: string) => store.del(key),
    flushAll: () => store.flushAll(),
  };
}
