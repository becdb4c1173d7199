import type { Logger } from 'pino';
import { decryptMediaBlob } from './media-crypto.js';
import type { MediaServer } from './media-server.js';
import { mediaSummary, type Classified, type ReceivedMessage } from './received-message.js';

/** Opens the media a message points at from the upload on the media host, as a receiving phone would. */
export async function attachMedia(record: ReceivedMessage, classified: Classified, media: MediaServer, logger: Logger): Promise<void> {
  if (!classified.media) return;
  try {
    const { content, mediaType } = classified.media;
    if (!content.mediaKey || !content.fileEncSha256) throw new Error('media message without mediaKey or fileEncSha256');
    const blob = media.blob(content.fileEncSha256);
    if (!blob) throw new Error('no upload matches the message fileEncSha256');
    const keys = { mediaKey: content.mediaKey, fileEncSha256: content.fileEncSha256, fileSha256: content.fileSha256 };
    record.media = mediaSummary(content, await decryptMediaBlob(blob.body, keys, mediaType));
  } catch (err) {
    record.mediaError = err instanceof Error ? err.message : String(err);
    logger.error({ err, id: record.id }, 'could not open the media of a message');
  }
}
