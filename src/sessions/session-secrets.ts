/**
 * How a session's settings are kept at rest, the same in the embedded and the shared session list:
 * the webhook secret sealed with the content key (bytes), the proxy URL (it may hold a password)
 * sealed the same way and kept as base64 text. Each is bound to the session's name, so a row's
 * secret cannot be moved to another session.
 */
import { ProxyAddress } from '../proxy/proxy-address.js';
import type { ContentCipher } from '../records/sent-content-cipher.js';
import type { SessionSettings } from './session-registry.js';

/** A session row's columns, as both stores keep them. */
export interface StoredSession {
  name: string;
  key_hash: Buffer;
  webhook_url: string | null;
  webhook_secret: Buffer | null;
  proxy_url: string | null;
  created_at: number;
}

const secretLabel = (name: string) => `session-webhook:${name}`;
const proxyLabel = (name: string) => `session-proxy:${name}`;

export function sealSession(cipher: ContentCipher, settings: SessionSettings, keyHash: Buffer): StoredSession {
  const { name, webhook, proxy } = settings;
  return {
    name,
    key_hash: keyHash,
    webhook_url: webhook?.url ?? null,
    webhook_secret: webhook ? cipher.seal(Buffer.from(webhook.secret, 'utf8'), secretLabel(name)) : null,
    proxy_url: proxy ? cipher.seal(Buffer.from(proxy.secretUrl(), 'utf8'), proxyLabel(name)).toString('base64') : null,
    created_at: settings.createdAt.getTime(),
  };
}

/** Throws when a secret does not open (the content key changed, the row was altered). */
export function openSession(cipher: ContentCipher, row: StoredSession): SessionSettings & { keyHash: Buffer } {
  return {
    name: row.name,
    keyHash: Buffer.from(row.key_hash),
    webhook:
      row.webhook_url && row.webhook_secret
        ? { url: row.webhook_url, secret: Buffer.from(cipher.open(row.webhook_secret, secretLabel(row.name))).toString('utf8') }
        : null,
    proxy: row.proxy_url ? openProxy(cipher, row.name, row.proxy_url) : null,
    createdAt: new Date(row.created_at),
  };
}

function openProxy(cipher: ContentCipher, name: string, sealed: string): ProxyAddress {
  const url = Buffer.from(cipher.open(Buffer.from(sealed, 'base64'), proxyLabel(name))).toString('utf8');
  const proxy = ProxyAddress.parse(url);
  // Written by sealSession from a parsed address, so this means the row was altered.
  if (!proxy) throw new Error(`session ${name}: its stored proxy_url is not a proxy URL`);
  return proxy;
}
