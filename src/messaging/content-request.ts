/**
 * What a send asks for, before preparation: content that goes out as it is, or an uploaded file
 * that media preparation turns into OutgoingMedia (conversion, thumbnails). A new kind that needs
 * no preparation is a member of OutgoingContent and passes through here untouched.
 */
import type { MediaKind } from '../domain/vocabulary.js';
import type { PrepareInput } from './media-preparation.js';
import type { MessageContext, OutgoingContent, OutgoingMedia } from '../whatsapp/transport.js';

/** An uploaded file still to be prepared. */
export interface MediaUpload {
  kind: MediaKind;
  upload: PrepareInput;
  context?: MessageContext;
}

/** Content sent as the client gave it: every kind but media. */
export type ReadyContent = Exclude<OutgoingContent, OutgoingMedia>;

export type ContentRequest = ReadyContent | MediaUpload;

export function isMediaUpload(request: ContentRequest): request is MediaUpload {
  return 'upload' in request;
}

/** What the message record shows of a message: its text (or caption), and the client's file name. */
export interface RecordSummary {
  text: string | null;
  fileName: string | null;
}

export function recordSummary(request: ContentRequest, content: OutgoingContent): RecordSummary {
  // The client's name for the file, even when a converted file goes out under another name.
  const fileName = isMediaUpload(request) ? request.upload.originalName : null;
  switch (content.kind) {
    case 'text':
      return { text: content.text, fileName };
    case 'image':
    case 'video':
    case 'audio':
    case 'sticker':
    case 'document':
      return { text: content.caption ?? null, fileName };
    case 'location':
      return { text: [content.name, content.address].filter(Boolean).join(', ') || `${content.latitude}, ${content.longitude}`, fileName };
    case 'contact':
      return { text: content.contacts.map((c) => c.displayName).join(', '), fileName };
    case 'reaction':
      return { text: content.emoji, fileName };
    case 'poll':
      return { text: content.question, fileName };
    case 'edit':
      return { text: content.text, fileName: null };
    case 'delete':
      return { text: null, fileName: null };
  }
}
