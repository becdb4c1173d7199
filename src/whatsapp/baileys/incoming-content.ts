/**
 * The content of a received message in the port's terms: its kind and the kind's fields
 * (text, location, contact cards, poll, reaction, quoted id, mentions). message-mapping.ts adds
 * who sent it and where.
 */
import type { proto } from '@whiskeysockets/baileys';
import type { IncomingKind } from '../../domain/vocabulary.js';
import type { IncomingContactCard, IncomingMessage } from '../transport.js';

type ContentFields = Pick<IncomingMessage, 'kind' | 'text' | 'media' | 'replyTo' | 'mentions' | 'location' | 'contacts' | 'poll' | 'reaction'>;

const MEDIA_TYPES: Record<string, IncomingKind> = {
  imageMessage: 'image',
  videoMessage: 'video',
  ptvMessage: 'video',
  audioMessage: 'audio',
  documentMessage: 'document',
  stickerMessage: 'sticker',
};

const POLL_TYPES = ['pollCreationMessage', 'pollCreationMessageV2', 'pollCreationMessageV3'] as const;

/** `type` is Baileys' getContentType of the normalised content (unwrapped from ephemeral, view-once, ...). */
export function contentFields(content: proto.IMessage, type: string): ContentFields {
  const inner = (content as Record<string, unknown>)[type] as { contextInfo?: proto.IContextInfo | null } | null | undefined;
  const context = inner && typeof inner === 'object' ? (inner.contextInfo ?? undefined) : undefined;
  const common = {
    replyTo: context?.stanzaId ?? undefined,
    mentions: context?.mentionedJid?.length ? [...context.mentionedJid] : undefined,
  };
  if (type === 'conversation' || type === 'extendedTextMessage') {
    return { kind: 'text', text: content.conversation ?? content.extendedTextMessage?.text ?? undefined, ...common };
  }
  const mediaKind = MEDIA_TYPES[type];
  if (mediaKind) return { kind: mediaKind, media: mediaFields(content, type, mediaKind), ...common };
  if (content.locationMessage || content.liveLocationMessage) {
    const l = content.locationMessage ?? content.liveLocationMessage!;
    const name = 'name' in l ? (l.name ?? undefined) : undefined;
    const address = 'address' in l ? (l.address ?? undefined) : undefined;
    return {
      kind: 'location',
      location: {
        latitude: Number(l.degreesLatitude ?? 0),
        longitude: Number(l.degreesLongitude ?? 0),
        ...(name ? { name } : {}),
        ...(address ? { address } : {}),
      },
      ...common,
    };
  }
  if (content.contactMessage) return { kind: 'contact', contacts: [contactCard(content.contactMessage)], ...common };
  if (content.contactsArrayMessage) return { kind: 'contact', contacts: (content.contactsArrayMessage.contacts ?? []).map(contactCard), ...common };
  const pollType = POLL_TYPES.find((t) => content[t]);
  if (pollType) {
    const poll = content[pollType]!;
    return {
      kind: 'poll',
      poll: {
        question: poll.name ?? '',
        options: (poll.options ?? []).map((o) => o.optionName ?? ''),
        // 1 is single choice; 0 lets a voter pick any number.
        multipleAnswers: (poll.selectableOptionsCount ?? 0) !== 1,
      },
      ...common,
    };
  }
  if (content.reactionMessage) {
    const r = content.reactionMessage;
    return { kind: 'reaction', reaction: { targetId: r.key?.id ?? '', emoji: r.text ?? '', targetFromMe: r.key?.fromMe === true }, ...common };
  }
  return { kind: 'other', ...common };
}

function mediaFields(content: proto.IMessage, type: string, kind: IncomingKind): IncomingMessage['media'] {
  const m = (content as Record<string, unknown>)[type] as {
    mimetype?: string | null;
    fileLength?: number | Long | null;
    fileName?: string | null;
    caption?: string | null;
  };
  return {
    kind,
    mimetype: m.mimetype ?? undefined,
    fileLength: m.fileLength ? Number(m.fileLength) : undefined,
    fileName: m.fileName ?? undefined,
    caption: m.caption ?? undefined,
  };
}

type Long = { toNumber(): number };

/** The name and numbers of a vCard: WhatsApp writes `TEL;type=CELL;waid=6281234567890:+62 812-3456-7890`. */
export function contactCard(card: proto.Message.IContactMessage): IncomingContactCard {
  const vcard = card.vcard ?? '';
  const lines = vcard.split(/\r?\n/);
  const fn = lines.find((l) => /^FN[;:]/i.test(l))?.replace(/^FN[^:]*:/i, '');
  const phones = lines
    .filter((l) => /^(item\d+\.)?TEL[;:]/i.test(l))
    .map((l) => /waid=(\d+)/i.exec(l)?.[1] ?? l.slice(l.indexOf(':') + 1).replace(/\D/g, ''))
    .filter((p) => p.length > 0);
  return { name: card.displayName ?? fn ?? '', phones, vcard };
}

/** The text of an edited message: a text, or a media caption. */
export function editedText(message: proto.IMessage | null | undefined): string | undefined {
  if (!message) return undefined;
  return (
    message.conversation ??
    message.extendedTextMessage?.text ??
    message.imageMessage?.caption ??
    message.videoMessage?.caption ??
    message.documentMessage?.caption ??
    undefined
  );
}
