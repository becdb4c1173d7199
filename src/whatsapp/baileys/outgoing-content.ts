/**
 * Our OutgoingContent in Baileys' terms (AnyMessageContent). One case per kind: adding a kind to
 * the port's union is one case here, and TypeScript refuses to build until it exists.
 */
import type { AnyMessageContent, proto, WAMessageKey } from '@whiskeysockets/baileys';
import type { OutgoingContent, OutgoingEdit, OutgoingMedia, OwnMessageKey } from '../transport.js';

export function toBaileysContent(content: OutgoingContent): AnyMessageContent {
  switch (content.kind) {
    case 'text':
      return { text: content.text };
    case 'image':
    case 'video':
    case 'audio':
    case 'sticker':
    case 'document':
      return mediaContent(content);
    case 'location':
      return { location: { degreesLatitude: content.latitude, degreesLongitude: content.longitude, name: content.name, address: content.address } };
    case 'contact':
      // One card goes out as contactMessage, several as contactsArrayMessage (Baileys decides by count).
      return {
        contacts: {
          displayName: content.contacts.length === 1 ? content.contacts[0]?.displayName : `${content.contacts.length} contacts`,
          contacts: content.contacts,
        },
      };
    case 'reaction':
      return { react: { text: content.emoji, key: { ...content.target, participant: content.target.participant } } };
    case 'poll':
      return { poll: { name: content.question, values: content.options, selectableCount: content.selectableCount, messageSecret: content.messageSecret } };
    case 'edit':
      return editContent(content);
    case 'delete':
      return { delete: ownKey(content.target) };
  }
}

function ownKey(target: OwnMessageKey): WAMessageKey {
  return { remoteJid: target.remoteJid, fromMe: true, id: target.id };
}

/**
 * A text edit is Baileys' `{ edit: key, text }` (MESSAGE_EDIT wrapping the new text). Baileys has
 * no form for a caption edit (its media forms upload a file), but it wraps any generated content
 * in MESSAGE_EDIT when `edit` is set: `forward` of our own message (no forwarding marks, since
 * fromMe and not forced) generates exactly `{ <kind>Message: { caption } }`, which is how
 * WhatsApp carries a new caption. Both still go through sendMessage (the `edit` stanza attribute,
 * our message id, the server ack).
 */
function editContent(edit: OutgoingEdit): AnyMessageContent {
  const key = ownKey(edit.target);
  if (!edit.captionOf) return { text: edit.text, edit: key, linkPreview: null };
  const field = `${edit.captionOf}Message` as const;
  const message: proto.IMessage = { [field]: { caption: edit.text } };
  return { forward: { key, message }, edit: key } as AnyMessageContent;
}

function mediaContent(media: OutgoingMedia): AnyMessageContent {
  const source = { url: media.path };
  const thumbnail = media.jpegThumbnail ? { jpegThumbnail: media.jpegThumbnail.toString('base64') } : {};
  const dimensions = media.width && media.height ? { width: media.width, height: media.height } : {};
  switch (media.kind) {
    case 'image':
      return { image: source, caption: media.caption, mimetype: media.mimetype, ...thumbnail, ...dimensions };
    case 'video':
      return {
        video: source,
        caption: media.caption,
        mimetype: media.mimetype,
        gifPlayback: media.gifPlayback,
        ...thumbnail,
        ...dimensions,
        ...(media.seconds !== undefined ? { seconds: media.seconds } : {}),
      } as AnyMessageContent;
    case 'audio':
      return {
        audio: source,
        mimetype: media.mimetype,
        ptt: media.ptt ?? true,
        ...(media.seconds !== undefined ? { seconds: media.seconds } : {}),
        ...(media.waveform ? { waveform: media.waveform } : {}),
      } as AnyMessageContent;
    case 'sticker':
      return { sticker: source, mimetype: media.mimetype, isAnimated: media.isAnimated ?? false, ...dimensions };
    case 'document':
      return { document: source, mimetype: media.mimetype, fileName: media.fileName, caption: media.caption };
  }
}
