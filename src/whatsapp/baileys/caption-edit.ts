/**
 * A caption edit must name the kind of message WhatsApp got, which is not always the kind the
 * client asked for: an animated GIF sent with send-image goes out as a looping video. The content
 * we sent is kept (for retry receipts, MESSAGE_CONTENT_RETENTION), so the edit reads the kind
 * from there; without it (purged, or no store) the edit keeps the kind the record names.
 */
import { normalizeMessageContent, proto } from '@whiskeysockets/baileys';
import type { SentContentStore } from '../sent-content.js';
import type { OutgoingEdit } from '../transport.js';

export async function withSentCaptionKind(edit: OutgoingEdit, store: SentContentStore | undefined): Promise<OutgoingEdit> {
  if (!edit.captionOf || !store) return edit;
  const bytes = await store.find(edit.target.id).catch(() => undefined);
  if (!bytes) return edit;
  const sent = normalizeMessageContent(proto.Message.decode(bytes));
  const kind = sent?.videoMessage ? 'video' : sent?.imageMessage ? 'image' : sent?.documentMessage ? 'document' : undefined;
  return kind && kind !== edit.captionOf ? { ...edit, captionOf: kind } : edit;
}
