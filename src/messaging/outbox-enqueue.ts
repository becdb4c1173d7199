/**
 * Putting an accepted send into the outbox: its job (and, for a new message, its record, in the
 * same transaction) with its media either moved into this node's spool folder (embedded store) or,
 * in cluster mode, read into the job's row in the shared store: whichever node sends the job (the
 * session's driver now, or the one that takes it over later) cannot reach this node's disk.
 */
import { readFile, stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import { AppError } from '../errors/app-error.js';
import { tooLarge } from '../media-source/stored-file.js';
import { encodeJobContent, isMediaContent } from '../outbox/job-content.js';
import type { MediaSpool } from '../outbox/media-spool.js';
import { OutboxFullError, type NewOutboxJob, type OutboxRepository } from '../outbox/outbox-repository.js';
import type { OutboxWorker } from '../outbox/outbox-worker.js';
import type { PacingPolicy } from '../outbox/pacing.js';
import type { MessageRepository, NewMessage } from '../records/message-repository.js';
import type { OutgoingContent, OutgoingMedia } from '../whatsapp/transport.js';
import { isMediaUpload, type ContentRequest } from './content-request.js';
import { resolveRecipient, type Recipient } from './recipient.js';
import type { UploadPolicies } from './upload-policy.js';

export interface OutboxParts {
  repository: OutboxRepository;
  spool: MediaSpool;
  pacing: PacingPolicy;
  /** Set once the worker exists (it needs the delivery service's sender). */
  worker?: OutboxWorker;
}

/** A record about to be written: its ids are chosen before anything is stored or sent. */
export type NewRecord = NewMessage & { id: string; waMessageId: string };

export interface QueuedSend {
  id: string;
  messageId: string;
  to: Recipient;
  request: ContentRequest;
  content: OutgoingContent;
  /** The message's record is not written yet and goes in with the job, atomically. */
  newRecord?: NewRecord;
}

export class OutboxEnqueue {
  constructor(
    private readonly deps: {
      messages: MessageRepository;
      /** Marks a record failed and tells the listeners (the delivery service's status changes). */
      markFailed: (id: string, reason: string) => Promise<void>;
      logger: Logger;
      /**
       * Cluster mode: every job's media bytes go into the shared store with it, bounded by the
       * upload limit of the request's kind, since any node may be the one to send it (routed, or
       * after a takeover). Absent (embedded store): the prepared file moves into this node's spool.
       */
      storeMediaWithin?: UploadPolicies;
    },
  ) {}

  async enqueue(outbox: OutboxParts, send: QueuedSend): Promise<void> {
    const { id, messageId, content, newRecord } = send;
    const to = resolveRecipient(send.to);
    let spooled: { path: string; bytes: number } | undefined;
    try {
      let job: Pick<NewOutboxJob, 'media' | 'mediaData' | 'options'> = { media: null, options: encodeJobContent(content) };
      if (isMediaContent(content)) {
        if (this.deps.storeMediaWithin) {
          job = await storedMediaJob(content, send.request, this.deps.storeMediaWithin);
        } else {
          // A media file moves into the spool, and the queued content points at it there.
          spooled = await outbox.spool.adopt(content.path, content.fileName);
          job = { media: jobMedia(content, spooled.path, spooled.bytes), options: encodeJobContent({ ...content, path: spooled.path }) };
        }
      }
      await outbox.repository.enqueue({ messageId: id, waMessageId: messageId, jid: to.jid, kind: content.kind, ...job }, Date.now(), newRecord);
    } catch (error) {
      if (spooled) await outbox.spool.remove(spooled.path);
      const reason = error instanceof Error ? error.message : String(error);
      const full = error instanceof OutboxFullError;
      // A full outbox is the message's failure, kept on its record; any other error wrote neither row.
      if (newRecord && full) await this.deps.messages.create(newRecord);
      if (!newRecord || full) await this.deps.markFailed(id, reason);
      if (error instanceof OutboxFullError) throw new AppError(503, 'OUTBOX_FULL', error.message, {}, { 'Retry-After': '60' });
      throw error;
    }
    this.deps.logger.info({ id, messageId, to: to.phone, kind: send.request.kind }, 'message queued in the outbox');
    outbox.worker?.kick();
  }
}

function jobMedia(content: OutgoingMedia, path: string | null, bytes: number): NewOutboxJob['media'] {
  return { path, bytes, fileName: content.fileName, mimetype: content.mimetype, caption: content.caption ?? null };
}

/**
 * The prepared file's bytes for the job's row. A conversion may come out larger than the upload it
 * was made from; the kind's upload limit bounds what one row (and the memory reading it) holds.
 * The file itself stays where it is: the request's cleanup removes it once the answer is ready.
 */
async function storedMediaJob(
  content: OutgoingMedia,
  request: ContentRequest,
  limits: UploadPolicies,
): Promise<Pick<NewOutboxJob, 'media' | 'mediaData' | 'options'>> {
  const policy = limits[isMediaUpload(request) ? request.upload.kind : content.kind];
  if ((await stat(content.path)).size > policy.maxBytes) throw tooLarge(policy);
  const data = await readFile(content.path);
  // The content names no file: the driving node writes the bytes to one of its own for the send.
  return { media: jobMedia(content, null, data.length), mediaData: data, options: encodeJobContent({ ...content, path: '' }) };
}
