/**
 * Migrations 4 onwards (kept apart so neither file grows past a screenful of schema). Append only,
 * like src/store/migrations.ts, which puts this list after its own.
 */
import type { Migration } from './migrations.js';

export const LATER_MIGRATIONS: readonly Migration[] = [
  {
    version: 4,
    name: 'edits and deletes of sent messages',
    up: (db) => {
      db.exec(`
        -- A change (edit or delete for everyone) of a message we sent: target_id is the changed
        -- message's record, action_id the record of the protocol message that carries the change
        -- (its status says whether WhatsApp took it). The change is linked before its action
        -- record is written (that record is written with its outbox job, in one transaction), so
        -- action_id has no foreign key: a link whose record never came is invisible (reads join
        -- on it) and removed by the retention pass. Purging the target drops the change.
        CREATE TABLE message_changes (
          action_id  TEXT PRIMARY KEY,
          target_id  TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
          kind       TEXT NOT NULL CHECK (kind IN ('edit', 'delete')),
          text       TEXT,
          created_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX message_changes_target ON message_changes (target_id, created_at);
      `);
    },
  },
  {
    version: 5,
    name: 'every received message kept: listed, quotable, edited and revoked',
    up: (db) => {
      db.exec(`
        -- Every message contacts send (not only media), for GET /api/messages?direction=in, for
        -- quoting and reacting to it, and for media download; purged after INCOMING_RETENTION days.
        -- data: the message.incoming webhook data (JSON); raw: the WhatsApp message (BufferJSON).
        CREATE TABLE received_messages (
          seq         INTEGER PRIMARY KEY AUTOINCREMENT,
          message_id  TEXT NOT NULL UNIQUE,
          chat        TEXT NOT NULL,
          from_jid    TEXT NOT NULL,
          from_phone  TEXT,
          type        TEXT NOT NULL,
          summary     TEXT,
          data        TEXT,
          raw         TEXT NOT NULL,
          sent_at     INTEGER NOT NULL,
          received_at INTEGER NOT NULL,
          edited_text TEXT,
          edited_at   INTEGER,
          revoked_at  INTEGER
        );
        CREATE INDEX received_messages_received_at ON received_messages (received_at);
        CREATE INDEX received_messages_chat ON received_messages (chat, seq);
        -- The media rows kept so far: phone JIDs become the digits the API shows.
        INSERT INTO received_messages (message_id, chat, from_jid, from_phone, type, raw, sent_at, received_at)
          SELECT message_id,
                 CASE WHEN from_jid LIKE '%@s.whatsapp.net' THEN substr(from_jid, 1, instr(from_jid, '@') - 1) ELSE from_jid END,
                 from_jid,
                 CASE WHEN from_jid LIKE '%@s.whatsapp.net' THEN substr(from_jid, 1, instr(from_jid, '@') - 1) END,
                 replace(type, 'Message', ''), raw, received_at, received_at
          FROM incoming_messages ORDER BY received_at;
        DROP TABLE incoming_messages;
      `);
    },
  },
  {
    version: 6,
    name: 'polls we sent and their votes',
    up: (db) => {
      db.exec(`
        -- A poll we sent, under its message record: the options and the secret its votes are
        -- encrypted with (kept as long as the record, not just MESSAGE_CONTENT_RETENTION).
        CREATE TABLE polls (
          record_id        TEXT PRIMARY KEY,
          question         TEXT NOT NULL,
          options          TEXT NOT NULL,
          selectable_count INTEGER NOT NULL,
          message_secret   BLOB NOT NULL,
          created_at       INTEGER NOT NULL
        ) WITHOUT ROWID;

        -- Each voter's latest vote (option names, JSON); [] = the vote was taken back.
        CREATE TABLE poll_votes (
          record_id   TEXT NOT NULL,
          voter       TEXT NOT NULL,
          voter_phone TEXT,
          voter_lid   TEXT,
          options     TEXT NOT NULL,
          voted_at    INTEGER NOT NULL,
          PRIMARY KEY (record_id, voter)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 7,
    name: 'sessions: several WhatsApp accounts',
    up: (db) => {
      db.exec(`
        -- The sessions besides \`default\` (which is this database's own account and has no row).
        -- Each has its own data folder and database (DATA_DIR/sessions/<name>/); this table in the
        -- default database is the list to start on boot. key_hash: SHA-256 of the session's API key
        -- (the key itself is shown once, never stored). webhook_secret is sealed with the content key.
        CREATE TABLE sessions (
          name           TEXT PRIMARY KEY,
          key_hash       BLOB NOT NULL UNIQUE,
          webhook_url    TEXT,
          webhook_secret BLOB,
          proxy_url      TEXT,
          created_at     INTEGER NOT NULL
        ) WITHOUT ROWID;
      `);
    },
  },
];
