/**
 * Our OutgoingContent in Baileys' terms (AnyMessageContent). One case per kind: adding a kind to
 * the port's union is one case here, and TypeScript refuses to build until it exists.
 */
import type { AnyMessageContent } from '@whiskeysockets/baileys';
import type { OutgoingContent, OutgoingMedia } from '../transport.js';

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
      return { contacts: { displayName: content.contacts.length === 1 ? content.contacts[0]?.displayName : `${content.contacts.length} contacts`, contacts: content.contacts } };
    case 'reaction':
      return { react: { text: content.emoji, key: { ...content.target, participant: content.target.participant } } };
    case 'poll':
      return { poll: { name: content.question, values: content.options, selectableCount: content.selectableCount, messageSecret: content.messageSecret } };
  }
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
