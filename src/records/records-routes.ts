/**
 * What happened to the messages: records with their delivery status, analytics over them, the
 * webhook delivery log (with replay), and downloads of media people sent to the gateway.
 * Query parameters are validated with the schemas in records-schemas.ts; a bad one is a 400 naming it.
 */
import type { Request, Response } from 'express';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../errors/app-error.js';
import { MESSAGE_TYPES, type IncomingKind, type MessageType } from '../domain/vocabulary.js';
import { hasMedia, type IncomingMessageRepository } from './incoming-message-repository.js';
import { receivedView } from './received-view.js';
import { findRecord, type MessageRecord, type MessageRepository } from './message-repository.js';
import type { WhatsAppTransport } from '../whatsapp/transport.js';
import type { PollTally } from '../kinds/poll-repository.js';
import { analyticsDoc, analyticsQuery, downloadMediaDoc, getMessageDoc, listMessagesDoc, listMessagesQuery } from './records-schemas.js';
import type { RouteSpec } from '../http/route-spec.js';
import { withCursor } from '../http/query-params.js';
import { parseRequest } from '../http/request-validation.js';
import { isGroupJid } from '../messaging/recipient.js';

const notFound = (what: string) => new AppError(404, 'NOT_FOUND', `${what} not found`);

export function messageView(m: MessageRecord) {
  return {
    id: m.id,
    message_id: m.waMessageId,
    phone: m.phone,
    jid: m.jid,
    group: isGroupJid(m.jid) ? m.jid : null,
    type: m.type,
    summary: m.summary,
    filename: m.fileName,
    status: m.status,
    error: m.error,
    created_at: m.createdAt,
    updated_at: m.updatedAt,
    status_timestamps: { queued: m.queuedAt, sent: m.sentAt, delivered: m.deliveredAt, read: m.readAt, failed: m.failedAt },
  };
}

export function listMessages(messages: MessageRepository, query: ReturnType<typeof listMessagesQuery>, incoming?: IncomingMessageRepository) {
  return async (req: Request, res: Response): Promise<void> => {
    const { direction, type, ...q } = parseRequest(query, req.query);
    // The same number formats as a send: 0812… finds what was sent to 62812….
    const phone = q.phone?.digits;
    if (direction === 'in' && incoming) {
      const received = await withCursor(() => incoming.list({ ...q, phone, type: type as IncomingKind | undefined }));
      res.json({ status: 'success', data: received.items.map(receivedView), total: received.total, next_cursor: received.nextCursor });
      return;
    }
    // A kind the gateway only receives (or does not send yet) has no records.
    if (type !== undefined && !(MESSAGE_TYPES as readonly string[]).includes(type)) {
      res.json({ status: 'success', data: [], total: 0, next_cursor: null });
      return;
    }
    const page = await withCursor(() => messages.list({ ...q, phone, type: type as MessageType | undefined }));
    res.json({ status: 'success', data: page.items.map(messageView), total: page.total, next_cursor: page.nextCursor });
  };
}

/** What one record shows beyond messageView: the edits and the delete WhatsApp took (src/changes/). */
export interface RecordChanges {
  describe(recordId: string): Promise<{ edited_at: string | null; edits: { text: string; at: string }[]; deleted: boolean; deleted_at: string | null }>;
}

export function getMessage(messages: MessageRepository, changes?: RecordChanges, pollTally?: RecordsRouteDeps['pollTally']) {
  return async (req: Request, res: Response): Promise<void> => {
    const id = String(req.params.id);
    const record = await findRecord(messages, id);
    if (!record) throw notFound('Message');
    // A poll we sent shows its votes so far.
    const poll = record.type === 'poll' ? await pollTally?.(record.id) : undefined;
    const changed = changes ? await changes.describe(record.id) : {};
    res.json({ status: 'success', data: { ...messageView(record), ...changed, ...(poll ? { poll } : {}) } });
  };
}

export function analytics(messages: MessageRepository, query: typeof analyticsQuery) {
  return async (req: Request, res: Response): Promise<void> => {
    const a = await messages.analytics(parseRequest(query, req.query));
    res.json({
      status: 'success',
      data: { from: a.from, to: a.to, total: a.total, by_type: a.byType, by_status: a.byStatus, by_type_and_status: a.byTypeAndStatus },
    });
  };
}

/** The incoming message types (IncomingMessage.type) that carry a downloadable file. */

/** Streams the decrypted media of an incoming message (never an upload: those are not kept). */
export function downloadIncomingMedia(
  incoming: IncomingMessageRepository,
  download: (raw: string) => Promise<{ stream: Readable; mimetype?: string; fileName?: string }>,
) {
  return async (req: Request, res: Response): Promise<void> => {
    const stored = await incoming.findReceived(String(req.params.messageId));
    // Every received message is stored; only those of a media kind have something to download, and
    // not once its sender deleted it for everyone (its handle to the file is dropped then).
    if (!stored || !hasMedia(stored.type) || stored.revokedAt !== null || stored.raw === '') throw notFound('Incoming media');
    let media;
    try {
      media = await download(stored.raw);
    } catch (error) {
      throw new AppError(502, 'MEDIA_DOWNLOAD_FAILED', `Could not download the media from WhatsApp: ${error instanceof Error ? error.message : String(error)}`);
    }
    res.setHeader('Content-Type', media.mimetype ?? 'application/octet-stream');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Disposition', `attachment; filename="${(media.fileName ?? stored.messageId).replace(/[^\w.-]/g, '_')}"`);
    // pipeline, not pipe: a client that goes away also ends the download from WhatsApp.
    pipeline(media.stream, res).catch(() => undefined);
  };
}

export interface RecordsRouteDeps {
  messages: MessageRepository;
  incoming: IncomingMessageRepository;
  transport: Pick<WhatsAppTransport, 'downloadIncomingMedia'>;
  defaultCountryCode: string;
  /** The tally of a poll we sent (src/kinds/poll-repository.ts), by its record id. */
  pollTally?: (recordId: string) => PollTally | null | Promise<PollTally | null>;
  /** Edits and deletes shown on GET /api/messages/:id. */
  changes?: RecordChanges;
}

/** Message records, their analytics, and the media of incoming messages. */
export function recordsRoutes(deps: RecordsRouteDeps): RouteSpec[] {
  const { messages, transport } = deps;
  const messagesQuery = listMessagesQuery(deps.defaultCountryCode);
  return [
    {
      method: 'GET',
      path: '/api/messages',
      description: 'Message records with delivery status (filters, pagination)',
      guarded: true,
      doc: () => listMessagesDoc(messagesQuery),
      handlers: [listMessages(messages, messagesQuery, deps.incoming)],
    },
    {
      method: 'GET',
      path: '/api/messages/:id',
      description: 'One message record',
      guarded: true,
      doc: getMessageDoc,
      handlers: [getMessage(messages, deps.changes, deps.pollTally)],
    },
    {
      method: 'GET',
      path: '/api/analytics',
      description: 'Message counts by type and status',
      guarded: true,
      doc: analyticsDoc,
      handlers: [analytics(messages, analyticsQuery)],
    },
    {
      method: 'GET',
      path: '/api/media/:messageId',
      description: 'Download media of an incoming message',
      guarded: true,
      doc: downloadMediaDoc,
      handlers: [downloadIncomingMedia(deps.incoming, (raw) => transport.downloadIncomingMedia(raw))],
    },
  ];
}
