/**
 * A whole install with two accounts (DATA_DIR/gateway.db and DATA_DIR/sessions/sales/gateway.db)
 * moved into the shared store: each file under its own session, the session list once, and a
 * second run adds nothing.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useMultiFileAuthState } from '@whiskeysockets/baileys';
import { FencedKeyStore } from '../../src/cluster/fenced-key-store.js';
import type { SqlDatabase } from '../../src/cluster/sql/database.js';
import { AesGcmContentCipher } from '../../src/records/sent-content-cipher.js';
import { importInstall, installFiles } from '../../src/sessions/import-install.js';
import { KyselySessionRegistry } from '../../src/sessions/kysely-session-registry.js';
import { hashSessionKey, newSessionKey } from '../../src/sessions/session-keys.js';
import { SqliteSessionRegistry } from '../../src/sessions/session-registry.js';
import { openDatabase } from '../../src/store/database.js';
import { useFencedAuthState } from '../../src/whatsapp/baileys/fenced-auth-state.js';
import { KyselyWebhookDeliveryRepository } from '../../src/webhooks/kysely-webhook-delivery-repository.js';
import { SqliteWebhookDeliveryRepository } from '../../src/webhooks/webhook-delivery-repository.js';
import { DIALECTS, useTestDatabases } from '../support/cluster-databases.js';

const cipher = new AesGcmContentCipher(randomBytes(32));

async function account(file: string, eventIds: string[], addSession?: string): Promise<void> {
  const db = openDatabase(file);
  try {
    const deliveries = new SqliteWebhookDeliveryRepository(db);
    for (const eventId of eventIds)
      await deliveries.enqueue([{ eventId, eventType: 'message.sent', url: 'https://crm.example.com/hook', payload: '{}' }], 1000);
    if (addSession) {
      new SqliteSessionRegistry(db, cipher).add({ name: addSession, webhook: null, proxy: null, createdAt: new Date(1000) }, hashSessionKey(newSessionKey()));
    }
  } finally {
    db.close();
  }
}

describe.each(DIALECTS)('importing a whole install into the shared store on %s', (dialect) => {
  const dbs = useTestDatabases(dialect);
  let dataDir = '';
  let store: SqlDatabase;
  beforeEach(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'wa-install-'));
    [store] = (await dbs.nodes(1)) as [SqlDatabase];
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  test("each account's file lands under its session; the list comes from default's; a second run adds nothing", async () => {
    await account(path.join(dataDir, 'gateway.db'), ['D1', 'D2'], 'sales');
    mkdirSync(path.join(dataDir, 'sessions', 'sales'), { recursive: true });
    await account(path.join(dataDir, 'sessions', 'sales', 'gateway.db'), ['S1']);
    // Not a session: a folder without a database, and a name no session can have.
    mkdirSync(path.join(dataDir, 'sessions', 'empty'), { recursive: true });
    mkdirSync(path.join(dataDir, 'sessions', 'Not A Name'), { recursive: true });
    expect((await installFiles(dataDir)).map((f) => f.session)).toEqual(['default', 'sales']);

    const reports = await importInstall(dataDir, store);
    expect(reports.map((r) => [r.session, r.copied.webhook_deliveries, r.copied.sessions])).toEqual([
      ['default', 2, 1],
      ['sales', 1, 0],
    ]);
    const eventsOf = async (session: string) => (await new KyselyWebhookDeliveryRepository(store.db, session).list()).items.map((d) => d.eventId).sort();
    expect(await eventsOf('default')).toEqual(['D1', 'D2']);
    expect(await eventsOf('sales')).toEqual(['S1']);
    expect((await new KyselySessionRegistry(store.db, cipher).list()).map((s) => s.name)).toEqual(['sales']);

    const again = await importInstall(dataDir, store);
    expect(again.flatMap((r) => Object.values(r.copied)).every((n) => n === 0)).toBe(true);
    expect(await eventsOf('default')).toEqual(['D1', 'D2']);
  });

  test("an install older than the SQLite store: its session folder's credentials reach the shared store", async () => {
    const sessionDir = path.join(dataDir, 'session');
    const files = await useMultiFileAuthState(sessionDir);
    await files.saveCreds();
    await files.state.keys.set({ 'pre-key': { '7': { public: Buffer.alloc(32, 7), private: Buffer.alloc(32, 8) } } });
    // No gateway.db yet: the install never ran a version with the SQLite store.
    expect(await installFiles(dataDir)).toEqual([]);

    const [report] = await importInstall(dataDir, store, { defaultSessionDir: sessionDir });
    expect(report!.credentials).toEqual({ imported: true, keys: 1 });
    const shared = await useFencedAuthState(new FencedKeyStore(store, 'reader'), 'default', 0);
    expect(shared.state.creds).toEqual(files.state.creds);
    expect(await shared.state.keys.get('pre-key', ['7'])).toEqual(await files.state.keys.get('pre-key', ['7']));
  });

  test('an install that never started has nothing to import', async () => {
    expect(await importInstall(dataDir, store)).toEqual([]);
  });
});
