/**
 * Media conversion end to end: each input format goes over HTTP through the gateway with its
 * default converting preparer (src/media), real Baileys encrypts and uploads it, and the emulator
 * decrypts what the recipient's phone would download. The decrypted bytes are then probed
 * (ffprobe, the Ogg Opus headers, sharp, the MP4 box layout) and compared with what the message
 * claims: mimetype, seconds, width/height, gifPlayback, thumbnail, caption, file name.
 */
import type { MediaKind } from '../../src/domain/vocabulary.js';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { ReceivedMedia, ReceivedMessage } from '../../emulator/index.js';
import { audioStream, displaySize, durationSeconds, videoStream, type ProbeResult } from '../../src/media/probe.js';
import { DEFAULT_UPLOAD_POLICIES } from '../../src/messaging/upload-policy.js';
import { AUDIO_SECONDS, createConversionFixtures, VIDEO_SECONDS, VOICE_NOTE_SECONDS, type ConversionFixtures } from './support/conversion-fixtures.js';
import { E2EHarness } from './support/harness.js';
import { imageInfo, mp4MajorBrand, mp4TopLevelBoxes, oggOpusInfoOf, probeBytes } from './support/probe-media.js';

const RECIPIENT = '6281234567890';
const RECIPIENT_JID = `${RECIPIENT}@s.whatsapp.net`;
const VOICE_NOTE_MIMETYPE = 'audio/ogg; codecs=opus';
/** Profiles the gateway promises for video it encodes or passes (every phone decodes them). */
const PHONE_H264_PROFILES = ['Constrained Baseline', 'Baseline', 'Main'];

let h: E2EHarness;
let fixtureDir: string;
let fx: ConversionFixtures;
/** Ids of every message the gateway said it sent: anything else the emulator decrypts is a stray. */
const sentIds = new Set<string>();

beforeAll(async () => {
  fixtureDir = await mkdtemp(path.join(tmpdir(), 'wa-gateway-e2e-conversion-'));
  // No mediaPreparer option: the gateway builds its own converting preparer, as in production.
  [fx, h] = await Promise.all([createConversionFixtures(fixtureDir), E2EHarness.start()]);
  await h.pair();
}, 60_000);

afterAll(async () => {
  await h?.stop();
  if (fixtureDir) await rm(fixtureDir, { recursive: true, force: true });
});

interface Delivered {
  received: ReceivedMessage;
  media: ReceivedMedia;
  body: { data: Record<string, unknown> & { message_id: string } };
}

/** POSTs one file to its kind's endpoint and returns the recipient's decrypted copy. */
async function send(kind: MediaKind, name: string, caption?: string, arrivesAs: MediaKind = kind): Promise<Delivered> {
  const policy = DEFAULT_UPLOAD_POLICIES[kind];
  const base = h.api.post(policy.endpoint).field('phone', RECIPIENT);
  const request = caption === undefined ? base : base.field('caption', caption);
  const res = await request.attach('file', fx.get(name), name);
  // The body says why when a conversion refused a file: worth more than "expected 200, got 400".
  if (res.status !== 200) throw new Error(`${policy.endpoint} ${name}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  const body = res.body as Delivered['body'];
  sentIds.add(body.data.message_id);
  const received = await h.emu.waitForMessage((m) => m.id === body.data.message_id && !m.isOwnDeviceCopy);
  expect(received).toMatchObject({ type: arrivesAs, to: RECIPIENT_JID });
  expect(received.mediaError).toBeUndefined();
  expect(received.media).toBeDefined();
  return { received, media: received.media!, body };
}

/**
 * Files left in the upload folder, looking inside its sub-folders too: the converter writes to
 * `.converting/`, which stays (empty) for the gateway's lifetime, so it is the files that count.
 */
async function leftoverUploads(): Promise<string[]> {
  const top = await h.uploadFiles();
  const nested = await Promise.all(
    top.map(async (entry) => (await readdir(path.join(h.uploadDir, entry)).catch(() => null))?.map((inner) => `${entry}/${inner}`) ?? [entry]),
  );
  return nested.flat();
}

function secondsOf(probe: ProbeResult, stream: ReturnType<typeof audioStream>): number {
  const seconds = durationSeconds(probe, stream);
  if (seconds === undefined) throw new Error('ffprobe reports no duration');
  return seconds;
}

/** The JPEG thumbnail the message carries, decoded: proof it is a picture, not just bytes. */
async function expectJpegThumbnail(received: ReceivedMessage, shown: { width?: number; height?: number }): Promise<void> {
  const content = received.message.imageMessage ?? received.message.videoMessage;
  const thumbnail = content?.jpegThumbnail;
  expect(thumbnail?.length).toBeGreaterThan(0);
  const info = await imageInfo(Buffer.from(thumbnail!));
  expect(info.format).toBe('jpeg');
  // Same orientation as what it previews (landscape stays landscape).
  expect(Math.sign(info.width! - info.height!)).toBe(Math.sign(shown.width! - shown.height!));
}

/** What every converted or passed-through voice note must be, read from the bytes. */
async function expectWhatsAppVoiceNote(media: ReceivedMedia, received: ReceivedMessage, expectedSeconds: number): Promise<void> {
  expect(media.mimetype).toBe(VOICE_NOTE_MIMETYPE);
  expect(media.ptt).toBe(true);

  const probe = await probeBytes(media.bytes, 'ogg');
  expect(probe.format.format_name).toBe('ogg');
  expect(probe.streams).toHaveLength(1);
  const audio = audioStream(probe);
  expect(audio).toMatchObject({ codec_name: 'opus', channels: 1 });
  const duration = secondsOf(probe, audio);
  expect(Math.abs(duration - expectedSeconds)).toBeLessThan(0.15);
  // The message's seconds is the probed duration, whole (WhatsApp's field is an integer).
  expect(media.seconds).toBe(Math.round(duration));

  // ffprobe reports Opus at 48 kHz whatever was encoded; the recorded rate lives in OpusHead.
  const ogg = await oggOpusInfoOf(media.bytes);
  expect(ogg.head).toMatchObject({ channels: 1, inputSampleRate: 16_000, mappingFamily: 0 });
  // Three 20 ms frames per packet (TOC code 3), as WhatsApp's recorders write; iOS needs it.
  expect([...ogg.tocCodes]).toEqual([3]);
  expect(received.message.audioMessage?.waveform?.length).toBe(64);
}

/** What every video WhatsApp receives must be: H.264 4:2:0 (+ AAC) in a faststart mp4. */
async function expectPhonePlayableMp4(
  received: ReceivedMessage,
  media: ReceivedMedia,
  expected: { seconds: number; audioChannels?: number },
): Promise<ProbeResult> {
  expect(media.mimetype).toBe('video/mp4');
  expect(media.hasThumbnail).toBe(true);

  expect(mp4MajorBrand(media.bytes)).toMatch(/^(isom|mp41|mp42|avc1)$/);
  const boxes = mp4TopLevelBoxes(media.bytes);
  expect(boxes[0]).toBe('ftyp');
  expect(boxes.indexOf('moov')).toBeGreaterThan(-1);
  expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));

  const probe = await probeBytes(media.bytes, 'mp4');
  expect(probe.format.format_name).toContain('mp4');
  const video = videoStream(probe);
  expect(video).toMatchObject({ codec_name: 'h264', pix_fmt: 'yuv420p' });
  expect(PHONE_H264_PROFILES).toContain(video?.profile);
  const audio = audioStream(probe);
  if (expected.audioChannels === undefined) {
    expect(audio).toBeUndefined();
  } else {
    expect(audio).toMatchObject({ codec_name: 'aac', channels: expected.audioChannels });
  }

  const duration = secondsOf(probe, video);
  expect(Math.abs(duration - expected.seconds)).toBeLessThan(0.2);
  expect(media.seconds).toBe(Math.max(1, Math.round(duration)));
  expect({ width: media.width, height: media.height }).toEqual(displaySize(video!));
  await expectJpegThumbnail(received, displaySize(video!)!);
  return probe;
}

describe('audio: every format arrives as a WhatsApp voice note (Ogg Opus 16 kHz mono PTT)', () => {
  test.each(['tone.mp3', 'tone.wav', 'tone.ogg', 'tone.m4a', 'tone.aac', 'tone.flac'])(
    '%s is converted; the decrypted bytes probe as opus/mono/ogg of the claimed seconds',
    async (name) => {
      const { media, received, body } = await send('audio', name);
      // The input was stereo 44.1 kHz (vorbis, mp3, pcm, aac, flac): none of it may survive.
      expect(media.bytes.equals(fx.get(name))).toBe(false);
      await expectWhatsAppVoiceNote(media, received, AUDIO_SECONDS);
      expect(media.seconds).toBe(AUDIO_SECONDS);
      expect(received.caption).toBeUndefined();
      expect(body.data).toMatchObject({ type: 'audio', filename: name });
      expect(await leftoverUploads()).toEqual([]);
    },
  );

  test('a voice note already in WhatsApp format is passed through byte for byte', async () => {
    const { media, received } = await send('audio', 'voice.ogg');
    expect(media.bytes.equals(fx.get('voice.ogg'))).toBe(true);
    await expectWhatsAppVoiceNote(media, received, VOICE_NOTE_SECONDS);
    expect(media.seconds).toBe(VOICE_NOTE_SECONDS);
    expect(await leftoverUploads()).toEqual([]);
  });
});

describe('video: what phones cannot play is converted to H.264/AAC mp4, with thumbnail, seconds and caption', () => {
  test('an H.264/AAC mp4 is passed through byte for byte, still with thumbnail, seconds and caption', async () => {
    const caption = 'Video demo 🎬';
    const { media, received } = await send('video', 'clip.mp4', caption);
    expect(media.bytes.equals(fx.get('clip.mp4'))).toBe(true);
    expect(received.caption).toBe(caption);
    await expectPhonePlayableMp4(received, media, { seconds: VIDEO_SECONDS, audioChannels: 2 });
    expect(media.gifPlayback).toBeFalsy();
    expect(await leftoverUploads()).toEqual([]);
  });

  test.each([
    // [file, audio channels expected: the sources are stereo except the 3gp's mono]
    ['clip.avi', 2],
    ['clip.mov', 2],
    ['clip.mkv', 2],
    ['clip.webm', 2],
    ['clip.3gp', 1],
    ['clip.flv', 2],
  ] as const)('%s is converted; the decrypted bytes probe as h264 yuv420p + aac in a faststart mp4', async (name, channels) => {
    const caption = `Klip ${name} ✓`;
    const { media, received } = await send('video', name, caption);
    expect(media.bytes.equals(fx.get(name))).toBe(false);
    expect(received.caption).toBe(caption);
    expect(media.gifPlayback).toBeFalsy();
    await expectPhonePlayableMp4(received, media, { seconds: VIDEO_SECONDS, audioChannels: channels });
    expect(await leftoverUploads()).toEqual([]);
  });
});

describe('images: sizes and thumbnails match the picture; animations loop as video', () => {
  test.each([
    ['photo.png', 'image/png', 96, 64],
    ['photo.jpg', 'image/jpeg', 120, 80],
    // Stored 120×80 with EXIF orientation 6: phones show it 80×120, so that is what the message says.
    ['rotated.jpg', 'image/jpeg', 80, 120],
  ] as const)('%s goes out as it is, with a thumbnail and its shown width/height', async (name, mimetype, width, height) => {
    const caption = `Foto ${name}`;
    const { media, received } = await send('image', name, caption);
    expect(media.bytes.equals(fx.get(name))).toBe(true);
    expect(media.mimetype).toBe(mimetype);
    expect(media.hasThumbnail).toBe(true);
    expect(received.caption).toBe(caption);
    const info = await imageInfo(media.bytes);
    const shown = (info.orientation ?? 1) >= 5 ? { width: info.height, height: info.width } : { width: info.width, height: info.height };
    expect(shown).toEqual({ width, height });
    expect({ width: media.width, height: media.height }).toEqual(shown);
    await expectJpegThumbnail(received, shown);
    expect(await leftoverUploads()).toEqual([]);
  });

  // Both are 2 s long (20 × 100 ms, 10 × 200 ms) and 64×48.
  test.each(['anim.gif', 'anim.webp'])('an animated %s arrives as a looping video (gifPlayback, h264 mp4, no audio)', async (name) => {
    const caption = `Animasi ${name}`;
    const { media, received } = await send('image', name, caption, 'video');
    expect(received.caption).toBe(caption);
    expect(media.gifPlayback).toBe(true);
    await expectPhonePlayableMp4(received, media, { seconds: 2 });
    expect({ width: media.width, height: media.height }).toEqual({ width: 64, height: 48 });
    expect(await leftoverUploads()).toEqual([]);
  });

  test.each([
    // Transparency survives only as PNG; an opaque picture is smaller as JPEG.
    ['still.webp', 'image/png', 'png', true],
    ['opaque.webp', 'image/jpeg', 'jpeg', false],
  ] as const)('a static %s arrives as %s with its size and a thumbnail', async (name, mimetype, format, hasAlpha) => {
    const { media, received } = await send('image', name, 'WebP diam');
    expect(received.caption).toBe('WebP diam');
    expect(media.mimetype).toBe(mimetype);
    expect(media.hasThumbnail).toBe(true);
    const info = await imageInfo(media.bytes);
    expect(info).toMatchObject({ format, width: 80, height: 60, hasAlpha });
    expect({ width: media.width, height: media.height }).toEqual({ width: 80, height: 60 });
    await expectJpegThumbnail(received, { width: 80, height: 60 });
    expect(await leftoverUploads()).toEqual([]);
  });
});

describe('stickers: always a 512×512 WebP, animation kept', () => {
  test('a 200×100 WebP is fitted into a 512×512 static sticker', async () => {
    const { media, received } = await send('sticker', 'sticker.webp');
    expect(media.mimetype).toBe('image/webp');
    const info = await imageInfo(media.bytes);
    expect(info).toMatchObject({ format: 'webp', width: 512, height: 512, hasAlpha: true });
    expect(info.pages ?? 1).toBe(1);
    expect({ width: media.width, height: media.height }).toEqual({ width: 512, height: 512 });
    expect(received.message.stickerMessage?.isAnimated).toBeFalsy();
    expect(await leftoverUploads()).toEqual([]);
  });

  test('an animated 128×128 WebP stays animated at 512×512', async () => {
    const { media, received } = await send('sticker', 'sticker-animated.webp');
    expect(media.mimetype).toBe('image/webp');
    const info = await imageInfo(media.bytes);
    expect(info).toMatchObject({ format: 'webp', width: 512, pages: 3 });
    expect(info.pageHeight ?? info.height).toBe(512);
    expect({ width: media.width, height: media.height }).toEqual({ width: 512, height: 512 });
    expect(received.message.stickerMessage?.isAnimated).toBe(true);
    expect(await leftoverUploads()).toEqual([]);
  });
});

describe('documents: sent as they are, with their name and registered mimetype', () => {
  test.each([
    ['Invoice 42.pdf', 'application/pdf'],
    ['Laporan Q3.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
    ['Anggaran.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
    ['catatan.txt', 'text/plain'],
    ['arsip.zip', 'application/zip'],
  ])('%s → %s, bytes equal', async (name, mimetype) => {
    const caption = `Dokumen ${name}`;
    const { media, received } = await send('document', name, caption);
    expect(media.bytes.equals(fx.get(name))).toBe(true);
    expect(media.fileName).toBe(name);
    expect(media.mimetype).toBe(mimetype);
    expect(received.caption).toBe(caption);
    expect(await leftoverUploads()).toEqual([]);
  });
});

describe('a file that is not what its name says is refused before anything is sent', () => {
  test.each([
    // ffprobe already gives up on this one.
    ['corrupt.mp3'],
    // ffprobe "finds" a 0 Hz mp3 stream here; only decoding shows it is garbage.
    ['corrupt-long.mp3'],
  ])('%s (random bytes behind an ID3 header) → 400 "could not decode", nothing arrives, no file left', async (name) => {
    const res = await h.api.post('/api/send-audio').field('phone', RECIPIENT).attach('file', fx.get(name), name);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ status: 'error', code: 'MEDIA_UNDECODABLE' });
    expect((res.body as { message: string }).message).toMatch(/could not decode/i);

    // A text sent afterwards arrives in order behind anything the refused request might have
    // sent; every message the emulator ever decrypted is one the gateway reported sending.
    const sentinel = await h.expectSendWorks(RECIPIENT, `after ${name}`);
    sentIds.add(sentinel.id);
    const strays = h.emu.messages.filter((m) => !sentIds.has(m.id));
    expect(strays.map((m) => ({ type: m.type, to: m.to, fileName: m.media?.fileName }))).toEqual([]);
    expect(await leftoverUploads()).toEqual([]);
  });
});
