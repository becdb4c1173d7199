/**
 * The session list in the shared store (SQLite or PostgreSQL through Kysely): one `sessions` table
 * that every node reads, so a session created through one node is started wherever the balancer
 * puts it. Same answers as SqliteSessionRegistry, secrets sealed the same way (session-secrets.ts).
 */
import type { Kysely } from 'kysely';
import type { StoreSchema } from '../cluster/sql/schema.js';
import type { ContentCipher } from '../records/sent-content-cipher.js';
import { openReadable, type ListedSession, type SessionRegistry, type SessionSettings } from './session-registry.js';
import { sealSession } from './session-secrets.js';

export class KyselySessionRegistry implements SessionRegistry {
  constructor(
    private readonly db: Kysely<StoreSchema>,
    private readonly cipher: ContentCipher,
  ) {}

  async add(settings: SessionSettings, keyHash: Buffer): Promise<boolean> {
    // One statement: two nodes creating the same name at once get one true and one false.
    const row = await this.db
      .insertInto('sessions')
      .values(sealSession(this.cipher, settings, keyHash))
      .onConflict((oc) => oc.column('name').doNothing())
      .returning('name')
      .executeTakeFirst();
    return row !== undefined;
  }

  async remove(name: string): Promise<boolean> {
    const result = await this.db.deleteFrom('sessions').where('name', '=', name).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async list(unreadable: (name: string, error: unknown) => void = () => {}): Promise<ListedSession[]> {
    const rows = await this.db.selectFrom('sessions').selectAll().execute();
    // Sorted here, byte order as SQLite sorts: PostgreSQL's ORDER BY follows the database's
    // collation, which in most locales ignores the '-' and '_' that session names may hold.
    rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return openReadable(this.cipher, rows, unreadable);
  }
}
