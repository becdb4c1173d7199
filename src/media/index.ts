/** Media conversion: what the HTTP layer and /api/status use. */
export { createMediaPreparer } from './media-preparer.js';
export type { ConvertingMediaPreparer, MediaPreparerOptions } from './media-preparer.js';
export type { MediaCapabilities, MediaPreparer, PreparedMedia, PrepareInput } from '../messaging/media-preparation.js';
export { MediaError, isMediaError, type MediaErrorCode } from './errors.js';
export type { ConversionPoolStats } from './conversion-pool.js';
export { documentMimeType, DOCUMENT_MIME_TYPES } from './document-mime.js';
export { VOICE_NOTE_MIMETYPE } from './voice-note.js';
