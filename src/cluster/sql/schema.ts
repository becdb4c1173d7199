/**
 * The tables of the shared store as Kysely sees them, one interface per table. Times are epoch
 * milliseconds in a bigint column on both dialects (PostgreSQL's int8 is parsed to a JS number by
 * openDatabase; every value we store stays far below 2^53).
 */
import type { Generated } from 'kysely';
import type { MessageType } from '../../domain/vocabulary.js';
import type { OutboxKind, OutboxStatus } from '../../outbox/outbox-repository.js';

/** Who drives a session. One row per session, kept forever so the token only ever grows. */
export interface SessionLeaseTable {
  session: string;
  /** The node that holds (or last held) the lease. */
  owner_node: string;
  /** Fencing token: +1 on every acquisition, never reused for the session. */
  token: number;
  /** The database clock's epoch ms after which the lease is free; 0 once released. */
  expires_at: number;
}

/** Baileys credentials (`type` = 'creds', `id` = '') and signal keys, as opaque bytes. */
export interface SessionKeyTable {
  session: string;
  type: string;
  id: string;
  /** NULL is a tombstone: a fenced delete (see FencedKeyStore). */
  value: Buffer | null;
}

/** Live gateway nodes: each keeps its row fresh; the balancer spreads sessions over these. */
export interface ClusterNodeTable {
  node_id: string;
  expires_at: number;
}

/**
 * The per-session tables below mirror the embedded store's (src/store/migrations.ts) column for
 * column, plus `session`: several sessions share one database, every key is unique per session and
 * every query is scoped by it. `seq` is one counter over all sessions (an identity column on
 * PostgreSQL, AUTOINCREMENT on SQLite): increasing within each session, which is all keyset paging
 * needs.
 */

/** Idempotency keys (src/http/idempotency-repository.ts). Primary key (session, scope, key). */
export interface IdempotencyKeyTable {
  session: string;
  scope: string;
  key: string;
  fingerprint: string;
  state: 'in_progress' | 'completed';
  status_code: number | null;
  /** The stored response body as JSON text. */
  response: string | null;
  message_id: string | null;
  /** 1 when a retry may resume the bound message record (an integer, as in SQLite). */
  resumable: Generated<number>;
  created_at: number;
  expires_at: number;
  /** The node whose request holds the key (cluster mode; migration 0023). NULL: no node recorded. */
  claimed_by: string | null;
}

/** The webhook delivery queue (src/webhooks/webhook-delivery-repository.ts). Unique (session, id). */
export interface WebhookDeliveryTable {
  seq: Generated<number>;
  session: string;
  id: string;
  event_id: string;
  event_type: string;
  url: string;
  payload: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: Generated<number>;
  next_attempt_at: number | null;
  last_error: string | null;
  last_status_code: number | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
}

/** Messages contacts sent (src/records/incoming-message-repository.ts). Unique (session, message_id). */
export interface ReceivedMessageTable {
  seq: Generated<number>;
  session: string;
  message_id: string;
  chat: string;
  from_jid: string;
  from_phone: string | null;
  type: string;
  summary: string | null;
  /** The published webhook data as JSON text. */
  data: string | null;
  raw: string;
  sent_at: number;
  received_at: number;
  edited_text: string | null;
  edited_at: number | null;
  revoked_at: number | null;
}

/** Message records (src/records/message-repository.ts). Unique (session, id) and (session, wa_message_id). */
export interface MessageTable {
  seq: Generated<number>;
  session: string;
  id: string;
  wa_message_id: string | null;
  phone: string;
  jid: string;
  type: MessageType;
  summary: string | null;
  file_name: string | null;
  status: 'queued' | 'sent' | 'delivered' | 'read' | 'failed';
  error: string | null;
  created_at: number;
  updated_at: number;
  queued_at: number | null;
  sent_at: number | null;
  delivered_at: number | null;
  read_at: number | null;
  failed_at: number | null;
}

/** Edits and deletes of sent messages (src/changes/message-change-repository.ts). Key (session, action_id). */
export interface MessageChangeTable {
  session: string;
  action_id: string;
  /** The changed message's record; deleting that record deletes the change. */
  target_id: string;
  kind: 'edit' | 'delete';
  text: string | null;
  created_at: number;
}

/** Polls we sent (src/kinds/poll-repository.ts). Key (session, record_id). */
export interface PollTable {
  session: string;
  record_id: string;
  question: string;
  /** Option names, JSON. */
  options: string;
  selectable_count: number;
  message_secret: Buffer;
  created_at: number;
}

/** Each voter's latest vote. Key (session, record_id, voter). */
export interface PollVoteTable {
  session: string;
  record_id: string;
  voter: string;
  voter_phone: string | null;
  voter_lid: string | null;
  /** Option names, JSON; [] = the vote was taken back. */
  options: string;
  voted_at: number;
}

/** The outbox (src/outbox/outbox-repository.ts): sends waiting to go. Unique (session, message_id) and (session, wa_message_id). */
export interface OutboxJobTable {
  seq: Generated<number>;
  session: string;
  /** The message record's id. */
  message_id: string;
  jid: string;
  kind: OutboxKind;
  text: string | null;
  media_path: string | null;
  media_bytes: Generated<number>;
  file_name: string | null;
  mimetype: string | null;
  caption: string | null;
  /** The job's content and options as JSON text. */
  options: string | null;
  status: OutboxStatus;
  wa_message_id: string | null;
  attempts: Generated<number>;
  not_before: number | null;
  error: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

/**
 * The media of an outbox job accepted by a node that does not drive the session (its bytes, as
 * prepared there). Key (session, message_id), the job's; gone once the job is sent or failed.
 */
export interface OutboxMediaTable {
  session: string;
  message_id: string;
  bytes: Buffer;
  mimetype: string;
  file_name: string;
}

/** Recent sends of a session, outbox or direct, for pacing (src/outbox/pacing.ts). */
export interface SendLogTable {
  session: string;
  jid: string;
  at: number;
}

/*
 * Session data added by src/cluster/sql/session-data-migrations.ts (0020 onwards).
 */

/** Content of messages we sent, for retry receipts (src/records/kysely-sent-content-repository.ts). Key (session, wa_message_id). */
export interface SentContentTable {
  session: string;
  wa_message_id: string;
  jid: string;
  /** Sealed with the content cipher (see sent-content-cipher.ts). */
  content: Buffer;
  created_at: number;
}

/** Baileys' msgRetryCounterCache entries, JSON. Key (session, key). */
export interface RetryCounterTable {
  session: string;
  key: string;
  value: string;
  expires_at: number;
}

/** The session list, one for the whole cluster (src/sessions/kysely-session-registry.ts). Key name. */
export interface SessionTable {
  name: string;
  /** SHA-256 of the session's API key; unique. */
  key_hash: Buffer;
  webhook_url: string | null;
  /** Sealed with the content cipher, bound to the session's name. */
  webhook_secret: Buffer | null;
  /** Sealed with the content cipher, base64. */
  proxy_url: string | null;
  created_at: number;
}

/** A restriction WhatsApp put on a session's account (src/messaging/kysely-restriction-store.ts). Key session. */
export interface AccountRestrictionTable {
  session: string;
  code: number;
  reason: string;
  /** Epoch ms. */
  since: number;
  until: number;
  /** 1 when WhatsApp said when it ends, 0 when `until` is the gateway's assumption. */
  until_from_whatsapp: number;
}

/** The tables of session-data-migrations.ts. */
export interface SessionDataSchema {
  sent_content: SentContentTable;
  retry_counters: RetryCounterTable;
  sessions: SessionTable;
  account_restrictions: AccountRestrictionTable;
}

/** Every table of the shared store: the cluster's own and the sessions' data. */
export interface StoreSchema extends SessionDataSchema {
  session_leases: SessionLeaseTable;
  session_keys: SessionKeyTable;
  cluster_nodes: ClusterNodeTable;
  idempotency_keys: IdempotencyKeyTable;
  webhook_deliveries: WebhookDeliveryTable;
  received_messages: ReceivedMessageTable;
  messages: MessageTable;
  message_changes: MessageChangeTable;
  polls: PollTable;
  poll_votes: PollVoteTable;
  outbox_jobs: OutboxJobTable;
  outbox_media: OutboxMediaTable;
  send_log: SendLogTable;
}

/** The name the cluster modules were written against; one schema for the whole shared store. */
export type ClusterSchema = StoreSchema;
