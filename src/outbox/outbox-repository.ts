/**
 * The outbox's contract (its implementation is sqlite-outbox-repository.ts): sends accepted while WhatsApp is disconnected (or held back by pacing), kept on disk
 * and handed out in order once they may go.
 *
 * Exactly once across a kill -9. A job moves queued → in_flight → sent|failed, and the WhatsApp
 * message id is chosen and committed with the move to in_flight, BEFORE the send (Baileys takes it
 * as `messageId`). A crash can then leave a job only in two places:
 *  - queued: the send was never attempted; it goes out normally.
 *  - in_flight: the send may or may not have reached WhatsApp. `recoverInFlight()` puts it back at
 *    the head of its recipient's queue, keeping its id, and `markInFlight` reuses that id instead of
 *    a new one. Before resending, the worker checks the message record: a receipt for that id
 *    (sent/delivered/read) proves it arrived, so the job is completed without sending. Otherwise it
 *    is resent under the SAME id. WhatsApp identifies a message by (chat, fromMe, id) and clients
 *    keep one message per key, so a duplicate of one that did arrive is dropped rather than shown
 *    twice — which is also how Baileys' own retry path resends. A fresh id here would be the one
 *    way to produce a visible duplicate, and dropping the job would lose a message.
 * Per-recipient order holds because a recipient's next job waits while one is in flight and a
 * recovered job keeps its original place (seq).
 */
import type { NewMessage } from '../records/message-repository.js';
import type { OutgoingKind } from '../whatsapp/transport.js';
import type { PacingPolicy, SendRecord } from './pacing.js';

export type OutboxKind = OutgoingKind;
export type OutboxStatus = 'queued' | 'in_flight' | 'sent' | 'failed';

export interface OutboxMedia {
  /**
   * The file in this node's outbox spool folder, or null when the bytes are kept with the job in
   * the shared store (a send accepted by a node that does not drive the session; see storedMedia).
   * The job owns either until it is sent or failed.
   */
  path: string | null;
  bytes: number;
  fileName: string;
  mimetype: string;
  caption?: string | null;
}

export interface NewOutboxJob {
  /** The message record's id; one job per message. */
  messageId: string;
  jid: string;
  kind: OutboxKind;
  text?: string | null;
  media?: OutboxMedia | null;
  /** Anything else the sender needs (e.g. `{ ptt: true }`), stored as JSON. */
  options?: Record<string, unknown> | null;
  /** WhatsApp id chosen at enqueue time, so the 202 response can already name it. */
  waMessageId?: string | null;
  /** The media's bytes, kept with the job in the store (`media.path` null); only the shared store keeps them. */
  mediaData?: Buffer | null;
}

export interface OutboxJob {
  seq: number;
  messageId: string;
  jid: string;
  kind: OutboxKind;
  text: string | null;
  media: OutboxMedia | null;
  options: Record<string, unknown> | null;
  status: OutboxStatus;
  /** Set when the job first goes in flight, and kept for every later attempt. */
  waMessageId: string | null;
  attempts: number;
  /** Epoch ms before which the job must not be tried again (after a transient failure). */
  notBefore: number | null;
  error: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

export interface OutboxLimits {
  /** Bytes of queued media the outbox may hold. */
  maxBytes: number;
  /** Jobs the outbox may hold. */
  maxJobs: number;
}

export type ReadyResult = { job: OutboxJob } | { job: null; /** When to look again; null when nothing is queued. */ wakeAt: number | null };

export interface OutboxUsage {
  jobs: number;
  bytes: number;
  inFlight: number;
  /** When the oldest job still waiting was accepted (ms), or null when none waits. */
  oldestAcceptedAt: number | null;
}

export interface OutboxRepository {
  /**
   * Throws OutboxFullError when the job or byte quota would be exceeded. `record`: the new message's
   * record, written in the same transaction after the job, so a crash can never leave a record
   * without its job or a job without its record (neither is written when the outbox is full).
   */
  enqueue(job: NewOutboxJob, now?: number, record?: NewMessage): Promise<OutboxJob>;
  /** The oldest job whose recipient has nothing in flight and which pacing lets go now. */
  nextReady(now: number, pacing: PacingPolicy, heldUntil?: HoldPolicy): Promise<ReadyResult>;
  /** queued → in_flight; the returned job's waMessageId (an earlier one wins) is the id to send with. */
  markInFlight(messageId: string, proposedWaMessageId: string, now?: number): Promise<OutboxJob>;
  /** in_flight → sent; records the send for pacing. */
  complete(messageId: string, now?: number): Promise<OutboxJob>;
  /** in_flight → queued after a transient failure (disconnected again), keeping place and id. */
  release(messageId: string, error: string, notBefore?: number | null, countAttempt?: boolean): Promise<OutboxJob>;
  /** queued|in_flight → failed, for good. */
  fail(messageId: string, error: string, now?: number): Promise<OutboxJob>;
  /** On start: in_flight jobs of a crashed run go back to queued; returns them. */
  recoverInFlight(): Promise<OutboxJob[]>;
  /** A send that bypassed the outbox still counts for pacing. */
  recordSend(jid: string, at?: number): Promise<void>;
  recentSends(since: number): Promise<SendRecord[]>;
  get(messageId: string): Promise<OutboxJob | null>;
  /** The media bytes kept with a pending job (enqueued with `mediaData`), or null. */
  storedMedia(messageId: string): Promise<Buffer | null>;
  /** Jobs still to send (queued + in flight) and the bytes of media they hold. */
  size(): Promise<OutboxUsage>;
  /** Whether a job to `jid` is still to send (queued or in flight): a new send to it must wait behind. */
  hasPendingFor(jid: string): Promise<boolean>;
  /** Media files pending jobs still need; anything else in the spool folder is an orphan. */
  referencedMediaPaths(): Promise<string[]>;
  /** Deletes sent/failed jobs finished before `before` and send history older than it. */
  purgeFinished(before: number): Promise<number>;
}

/** Epoch ms until which sends to a recipient must wait (an account restriction), or null. */
export type HoldPolicy = (jid: string) => number | null;

export class OutboxFullError extends Error {
  readonly code = 'OUTBOX_FULL';
  constructor(
    readonly reason: 'jobs' | 'bytes',
    readonly usage: OutboxUsage,
    readonly limits: OutboxLimits,
  ) {
    super(
      reason === 'jobs'
        ? `Outbox full: ${usage.jobs} of ${limits.maxJobs} messages already queued`
        : `Outbox full: queued media would exceed the ${Math.round(limits.maxBytes / (1024 * 1024))}MB disk quota`,
    );
    this.name = 'OutboxFullError';
  }
}

export class OutboxStateError extends Error {
  readonly code = 'OUTBOX_STATE';
  constructor(messageId: string, expected: string, actual: string | null) {
    super(`Outbox job ${messageId} is ${actual ?? 'missing'}, expected ${expected}`);
    this.name = 'OutboxStateError';
  }
}
