/**
 * The list of sessions besides `default`, in the default session's database (table `sessions`,
 * migration 7). Webhook secrets are sealed with the content key, like sent message content; so
 * are proxy URLs (they may hold a password), kept in the TEXT column proxy_url as base64.
 */
import { ProxyAddress } from '../proxy/proxy-address.js';
import type { ContentCipher } from '../records/sent-content-cipher.js';
import type { SqliteDatabase } from '../store/database.js';

export interface SessionSettings {
  name: string;
  /** This session's own webhook; null = the global WEBHOOK_URL and WEBHOOK_SECRET. */
  webhook: { url: string; secret: string } | null;
  /** Its WebSocket and media go through this proxy; null = direct (WA_PROXY_URL is default's only). */
  proxy: ProxyAddress | null;
  createdAt: Date;
}

interface SessionRow {
  name: string;
  key_hash: Buffer;
  webhook_url: string | null;
  webhook_secret: Buffer | null;
  proxy_url: string | null;
  created_at: number;
}

/** The sealed secret is bound to its session's name, so a row's secret cannot be moved to another. */
const secretLabel = (name: string) => `session-webhook:${name}`;
const proxyLabel = (name: string) => `session-proxy:${name}`;

export class SqliteSessionRegistry {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly cipher: ContentCipher,
  ) {}

  /** False when a session of that name exists already. */
  add(settings: SessionSettings, keyHash: Buffer): boolean {
    const { name, webhook, proxy } = settings;
    const sealed = webhook ? this.cipher.seal(Buffer.from(webhook.secret, 'utf8'), secretLabel(name)) : null;
    const sealedProxy = proxy ? this.cipher.seal(Buffer.from(proxy.secretUrl(), 'utf8'), proxyLabel(name)).toString('base64') : null;
    const result = this.db
      .prepare(
        `INSERT INTO sessions (name, key_hash, webhook_url, webhook_secret, proxy_url, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO NOTHING`,
      )
      .run(name, keyHash, webhook?.url ?? null, sealed, sealedProxy, settings.createdAt.getTime());
    return result.changes === 1;
  }

  remove(name: string): boolean {
    return this.db.prepare('DELETE FROM sessions WHERE name = ?').run(name).changes === 1;
  }

  /**
   * Every session whose settings can be read. A row whose secrets do not open (the content key
   * changed, the row was altered) is reported to `unreadable` and left out, so it cannot keep the
   * other sessions from starting.
   */
  list(unreadable: (name: string, error: unknown) => void = () => {}): Array<SessionSettings & { keyHash: Buffer }> {
    const rows = this.db.prepare('SELECT * FROM sessions ORDER BY name').all() as SessionRow[];
    return rows.flatMap((row) => {
      try {
        return [
          {
            name: row.name,
            keyHash: row.key_hash,
            webhook:
              row.webhook_url && row.webhook_secret
                ? { url: row.webhook_url, secret: Buffer.from(this.cipher.open(row.webhook_secret, secretLabel(row.name))).toString('utf8') }
                : null,
            proxy: row.proxy_url ? this.openProxy(row.name, row.proxy_url) : null,
            createdAt: new Date(row.created_at),
          },
        ];
      } catch (error) {
        unreadable(row.name, error);
        return [];
      }
    });
  }

  private openProxy(name: string, sealed: string): ProxyAddress {
    const url = Buffer.from(this.cipher.open(Buffer.from(sealed, 'base64'), proxyLabel(name))).toString('utf8');
    const proxy = ProxyAddress.parse(url);
    // Written by add() from a parsed address, so this means the row was altered.
    if (!proxy) throw new Error(`session ${name}: its stored proxy_url is not a proxy URL`);
    return proxy;
  }
}
