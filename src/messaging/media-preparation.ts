/**
 * The seam between receiving an upload and sending it: turns a validated file on disk into what
 * WhatsApp receives. This is the one MediaPreparer interface; the converting implementation lives
 * in src/media (ffmpeg + sharp), and the pass-through here is used when conversion is switched off
 * and by component tests.
 */
import type { MediaKind } from '../domain/vocabulary.js';
import type { OutgoingMedia } from '../whatsapp/transport.js';

export interface MediaCapabilities {
  /** Every kind can be converted: ffmpeg, ffprobe and sharp all work. */
  conversion: boolean;
  /** ffmpeg and ffprobe both run and have the encoders we need. */
  ffmpeg: boolean;
  sharp: boolean;
}

/** Which kinds can be sent at all with these tools (GET / must tell the truth). */
export type SendableKinds = Readonly<Record<MediaKind, boolean>>;

/** The converting preparer needs sharp for images and stickers, ffmpeg for audio and video. */
export function sendableKinds(capabilities: MediaCapabilities): SendableKinds {
  return { image: capabilities.sharp, sticker: capabilities.sharp, audio: capabilities.ffmpeg, video: capabilities.ffmpeg, document: true };
}

export const ALL_KINDS_SENDABLE: SendableKinds = { image: true, sticker: true, audio: true, video: true, document: true };

export interface PrepareInput {
  kind: MediaKind;
  /** The upload on disk; its extension was validated by the HTTP layer. */
  path: string;
  originalName: string;
  caption?: string;
  /** The mimetype sniffed from the bytes, when known. */
  detectedMime?: string;
  /** The session the file is for: sessions take turns in the shared conversion pool. */
  session?: string;
}

/** The shared preparer as one session uses it: its conversions queue under its name. */
export function preparerForSession(preparer: MediaPreparer, session: string): MediaPreparer {
  return { capabilities: () => preparer.capabilities(), prepare: (input) => preparer.prepare({ ...input, session }) };
}

export interface PreparedMedia {
  media: OutgoingMedia;
  /** Removes files the preparation created; never the input. Safe to call twice. */
  cleanup(): Promise<void>;
}

export interface MediaPreparer {
  /** Whether ffmpeg/ffprobe/sharp are usable (checked once at start). */
  capabilities(): MediaCapabilities;
  /** Turns an uploaded file (already on disk, extension validated) into what WhatsApp receives. */
  prepare(input: PrepareInput): Promise<PreparedMedia>;
}

const FALLBACK_MIME: Record<MediaKind, string> = {
  image: 'image/jpeg',
  document: 'application/octet-stream',
  audio: 'audio/mpeg',
  video: 'video/mp4',
  sticker: 'image/webp',
};

/** Sends files as they came: no conversion, no thumbnails beyond what Baileys makes itself. */
export function createPassThroughPreparer(): MediaPreparer {
  return {
    capabilities: () => ({ conversion: false, ffmpeg: false, sharp: false }),
    prepare: async (input) => ({
      media: {
        kind: input.kind,
        path: input.path,
        mimetype: input.detectedMime ?? FALLBACK_MIME[input.kind],
        fileName: input.originalName,
        caption: input.caption,
        ...(input.kind === 'audio' ? { ptt: true } : {}),
      },
      cleanup: async () => {},
    }),
  };
}
