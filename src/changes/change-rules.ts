/**
 * What may be changed after it was sent, in WhatsApp's terms: only our own messages, only once
 * WhatsApp has them, an edit only of a text or a caption and within WhatsApp's edit window, a
 * delete for everyone within its window. Each refusal has its own code so clients can tell them
 * apart.
 */
import type { MessageType } from '../domain/vocabulary.js';
import { CHANGE_KINDS } from '../domain/vocabulary.js';
import { AppError } from '../errors/app-error.js';
import type { MessageRecord } from '../records/message-repository.js';

/** WhatsApp's phones accept an edit for 15 minutes after the message was sent. */
export const EDIT_WINDOW_MS = 15 * 60 * 1000;
/**
 * WhatsApp offers "delete for everyone" for about two days after sending. Refusing at 48 hours is
 * the safe side: past WhatsApp's limit the phones would ignore the revoke while we reported success.
 */
export const DELETE_WINDOW_MS = 48 * 60 * 60 * 1000;

/** Kinds whose text can be edited: a text's body, a caption of the media kinds that carry one. */
const EDITABLE: Partial<Record<MessageType, 'text' | 'image' | 'video' | 'document'>> = {
  text: 'text',
  image: 'image',
  video: 'video',
  document: 'document',
};

export const ChangeErrors = {
  messageNotFound: () => new AppError(404, 'NOT_FOUND', 'Message not found'),
  notOurs: () => new AppError(400, 'MESSAGE_NOT_OURS', 'Message not ours: only messages this gateway sent can be changed'),
  notEditable: (type: string) => new AppError(400, 'MESSAGE_NOT_EDITABLE', `Message not editable: a ${type} message has no text or caption to edit`),
  changeNotEditable: (type: string) => new AppError(400, 'MESSAGE_NOT_EDITABLE', `Message not editable: this record is the ${type} of another message`),
  changeNotDeletable: (type: string) =>
    new AppError(400, 'MESSAGE_NOT_DELETABLE', `Message not deletable: this record is the ${type} of another message; delete that message instead`),
  notSentYet: () => new AppError(400, 'MESSAGE_NOT_SENT', 'Message not sent yet: it can be changed once WhatsApp has acknowledged it'),
  failed: () => new AppError(400, 'MESSAGE_FAILED', 'Message failed to send: there is nothing to change'),
  deleted: () => new AppError(400, 'MESSAGE_DELETED', 'Message deleted: a deleted message cannot be edited'),
  editWindowExpired: () => new AppError(400, 'EDIT_WINDOW_EXPIRED', 'Message too old to edit: WhatsApp accepts edits for 15 minutes after sending'),
  deleteWindowExpired: () => new AppError(400, 'DELETE_WINDOW_EXPIRED', 'Message too old to delete for everyone: WhatsApp allows it for 2 days after sending'),
} as const;

function isChangeRecord(record: MessageRecord): boolean {
  return (CHANGE_KINDS as readonly string[]).includes(record.type);
}

/** Refusals both changes share: the message must have reached WhatsApp. */
function assertReachedWhatsApp(record: MessageRecord): void {
  if (record.status === 'failed') throw ChangeErrors.failed();
  if (record.status === 'queued' || !record.waMessageId) throw ChangeErrors.notSentYet();
}

function sentMs(record: MessageRecord): number {
  return new Date(record.sentAt ?? record.createdAt).getTime();
}

/** What an edit of `record` changes (the text, or the caption of a media kind); throws when it may not. */
export function checkEditable(record: MessageRecord, deleted: boolean, now: number): 'text' | 'image' | 'video' | 'document' {
  if (isChangeRecord(record)) throw ChangeErrors.changeNotEditable(record.type);
  const editable = EDITABLE[record.type];
  if (!editable) throw ChangeErrors.notEditable(record.type);
  assertReachedWhatsApp(record);
  if (deleted) throw ChangeErrors.deleted();
  if (now - sentMs(record) > EDIT_WINDOW_MS) throw ChangeErrors.editWindowExpired();
  return editable;
}

/** Throws when `record` may not be deleted for everyone (an earlier delete is answered before this). */
export function checkDeletable(record: MessageRecord, now: number): void {
  if (isChangeRecord(record)) throw ChangeErrors.changeNotDeletable(record.type);
  assertReachedWhatsApp(record);
  if (now - sentMs(record) > DELETE_WINDOW_MS) throw ChangeErrors.deleteWindowExpired();
}
