/**
 * The content of an outbox job, kept as JSON in its `options` column: the OutgoingContent union
 * itself (bytes as base64), so a new kind needs no code here. Jobs queued by a gateway before
 * this format (v2.0.0: text in its column, media metadata hand-picked into options) are still
 * read, so a message queued before an upgrade is sent after it.
 */
import type { OutboxJob } from './outbox-repository.js';
import type { OutgoingContent, OutgoingMedia } from '../whatsapp/transport.js';

const FORMAT = 2;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The job's `options` for this content. */
export function encodeJobContent(content: OutgoingContent): Record<string, unknown> {
  return { format: FORMAT, content: toJson(content) };
}

/** The content to send for a queued job, whichever gateway version queued it. */
export function decodeJobContent(job: OutboxJob): OutgoingContent {
  const options = job.options;
  if (options?.format === FORMAT) return fromJson(options.content as Json) as OutgoingContent;
  return legacyJobContent(job);
}

/** Media content has a file, which the outbox keeps in its spool while the job waits. */
export function isMediaContent(content: OutgoingContent): content is OutgoingMedia {
  return 'path' in content;
}

function toJson(value: unknown): Json {
  if (value === null) return null;
  if (Buffer.isBuffer(value)) return { $bytes: value.toString('base64'), $type: 'Buffer' };
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64'), $type: 'Uint8Array' };
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [key, v] of Object.entries(value)) if (v !== undefined) out[key] = toJson(v);
    return out;
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  throw new TypeError(`cannot keep a ${typeof value} in an outbox job`);
}

function fromJson(value: Json): unknown {
  if (Array.isArray(value)) return value.map(fromJson);
  if (value === null || typeof value !== 'object') return value;
  if (typeof value.$bytes === 'string') {
    const bytes = Buffer.from(value.$bytes, 'base64');
    return value.$type === 'Uint8Array' ? new Uint8Array(bytes) : bytes;
  }
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, fromJson(v)]));
}

/** A job queued by v2.0.0: text in the text column, media in its columns plus picked options. */
function legacyJobContent(job: OutboxJob): OutgoingContent {
  if (job.kind === 'text') return { kind: 'text', text: job.text ?? '' };
  if (!job.media?.path) throw new Error('queued media job has no file');
  const o = (job.options ?? {}) as Record<string, unknown>;
  const media = { ...job.media, path: job.media.path };
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
