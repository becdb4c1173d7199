/** Media metadata an outbox job keeps in its JSON options, and the OutgoingMedia rebuilt from it. */
import type { OutboxJob } from '../store/outbox-repository.js';
import type { OutgoingMedia } from '../whatsapp/transport.js';

/** Media metadata kept in the job's JSON options (thumbnail and waveform as base64). */
export function serialiseMediaOptions(media: OutgoingMedia): Record<string, unknown> {
  return {
    kind: media.kind,
    ptt: media.ptt,
    seconds: media.seconds,
    width: media.width,
    height: media.height,
    gifPlayback: media.gifPlayback,
    isAnimated: media.isAnimated,
    jpegThumbnail: media.jpegThumbnail?.toString('base64'),
    waveform: media.waveform ? Buffer.from(media.waveform).toString('base64') : undefined,
  };
}

export function restoreMedia(job: OutboxJob): OutgoingMedia {
  const o = (job.options ?? {}) as Record<string, unknown>;
  const media = job.media!;
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  const bool = (v: unknown) => (typeof v === 'boolean' ? v : undefined);
  return {
    kind: (typeof o.kind === 'string' ? o.kind : job.kind) as OutgoingMedia['kind'],
    path: media.path,
    mimetype: media.mimetype,
    fileName: media.fileName,
    caption: media.caption ?? undefined,
    ptt: bool(o.ptt),
    seconds: num(o.seconds),
    width: num(o.width),
    height: num(o.height),
    gifPlayback: bool(o.gifPlayback),
    isAnimated: bool(o.isAnimated),
    jpegThumbnail: typeof o.jpegThumbnail === 'string' ? Buffer.from(o.jpegThumbnail, 'base64') : undefined,
    waveform: typeof o.waveform === 'string' ? new Uint8Array(Buffer.from(o.waveform, 'base64')) : undefined,
  };
}

