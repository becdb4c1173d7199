/**
 * Media of a queued send that another node accepted (cluster mode): its bytes travel with the job
 * in the shared store (outbox_media), since that node's spool folder is out of reach here. The
 * driving node writes them to a spool file for the send, because the transport streams files, and
 * removes the file after; the stored row goes when the job settles (kysely-outbox-repository.ts).
 */
import type { OutgoingContent } from '../whatsapp/transport.js';
import { decodeJobContent, isMediaContent } from './job-content.js';
import type { MediaSpool } from './media-spool.js';
import type { OutboxJob, OutboxRepository } from './outbox-repository.js';

/** The stored bytes of a pending job are gone: nothing to send, and resending would not bring them back. */
export class StoredMediaMissingError extends Error {
  readonly retryable = false;
  constructor(messageId: string) {
    super(`the queued media of message ${messageId} is missing from the shared store`);
    this.name = 'StoredMediaMissingError';
  }
}

/** Sends a queued job's content; media kept in the store is on a spool file for the duration of `send`. */
export async function sendQueuedContent(
  job: OutboxJob,
  outbox: { repository: OutboxRepository; spool: MediaSpool },
  send: (content: OutgoingContent) => Promise<void>,
): Promise<void> {
  const content = decodeJobContent(job);
  if (!isMediaContent(content) || !job.media || job.media.path !== null) return send(content);
  const bytes = await outbox.repository.storedMedia(job.messageId);
  if (!bytes) throw new StoredMediaMissingError(job.messageId);
  const path = await outbox.spool.write(bytes, job.media.fileName);
  try {
    await send({ ...content, path });
  } finally {
    await outbox.spool.remove(path);
  }
}
