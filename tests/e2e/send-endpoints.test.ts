/**
 * The six send endpoints, end to end: HTTP request → gateway → real Baileys (Signal encryption,
 * media upload to the emulator's HTTPS host) → the emulator decrypts what the recipient would get.
 * Each test checks what arrived (type, recipient, exact text or caption, media bytes, mimetype,
 * file name, PTT) and that the response's message_id is the id WhatsApp saw.
 */
import type { MediaKind } from '../../src/domain/vocabulary.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { ReceivedMessage } from '../../emulator/index.js';
import { createPassThroughPreparer } from '../../src/messaging/media-preparation.js';
import { DEFAULT_UPLOAD_POLICIES } from '../../src/messaging/upload-policy.js';
import { E2EHarness } from './support/harness.js';
import { createMediaFiles, type MediaFiles } from './support/media-files.js';

const RECIPIENT = '6281234567890';
const RECIPIENT_JID = `${RECIPIENT}@s.whatsapp.net`;

interface MediaCase {
  kind: MediaKind;
  fileName: string;
  file: (files: MediaFiles) => Buffer;
  /** Sent with every request; only kinds that take captions may deliver it. */
  caption: string;
  expected: { mimetype: string; fileName?: string; ptt?: boolean };
}

/**
 * What each upload should look like on the recipient's phone when files are sent as they came
 * (the pass-through preparer). A converting preparer changes some of these (voice notes become
 * Ogg Opus, videos are re-muxed): give it its own table and `expectMedia` and run the same cases.
 */
const PASS_THROUGH_CASES: MediaCase[] = [
  { kind: 'image', fileName: 'photo.png', file: (f) => f.png, caption: 'Foto produk 📦', expected: { mimetype: 'image/png' } },
  {
    kind: 'document',
    fileName: 'Invoice 42.pdf',
    file: (f) => f.pdf,
    caption: 'Invoice bulan ini',
    expected: { mimetype: 'application/pdf', fileName: 'Invoice 42.pdf' },
  },
  { kind: 'audio', fileName: 'tone.mp3', file: (f) => f.mp3, caption: 'ignored for audio', expected: { mimetype: 'audio/mpeg', ptt: true } },
  { kind: 'video', fileName: 'clip.mp4', file: (f) => f.mp4, caption: 'Video demo', expected: { mimetype: 'video/mp4' } },
  { kind: 'sticker', fileName: 'sticker.webp', file: (f) => f.webp, caption: 'ignored for stickers', expected: { mimetype: 'image/webp' } },
];

/** Pass-through: the recipient decrypts exactly the bytes that were uploaded. */
function expectPassThroughMedia(received: ReceivedMessage, uploaded: Buffer, c: MediaCase): void {
  expect(received.mediaError).toBeUndefined();
  const media = received.media!;
  expect(media).toBeDefined();
  expect(media.bytes.equals(uploaded)).toBe(true);
  expect(media.mimetype).toBe(c.expected.mimetype);
  if (c.expected.fileName !== undefined) expect(media.fileName).toBe(c.expected.fileName);
  if (c.expected.ptt !== undefined) expect(media.ptt).toBe(c.expected.ptt);
}

describe('send endpoints deliver to the recipient (files sent as uploaded)', () => {
  let h: E2EHarness;
  let fixtureDir: string;
  let files: MediaFiles;

  /** The copy the contact's phone decrypted (not the account's own-device copy). */
  const delivered = (id: string) => h.emu.waitForMessage((m) => m.id === id && !m.isOwnDeviceCopy);

  beforeAll(async () => {
    fixtureDir = await mkdtemp(path.join(tmpdir(), 'wa-gateway-e2e-media-'));
    [files, h] = await Promise.all([createMediaFiles(fixtureDir), E2EHarness.start({ mediaPreparer: createPassThroughPreparer() })]);
    await h.pair();
  });

  afterAll(async () => {
    await h?.stop();
    if (fixtureDir) await rm(fixtureDir, { recursive: true, force: true });
  });

  test('POST /api/send-message delivers the exact text to the right number', async () => {
    const text = 'Halo! Pesanan #42 sudah dikirim ✓ 👋\nBaris kedua.';
    const res = await h.api.post('/api/send-message').send({ phone: RECIPIENT, message: text }).expect(200);
    expect(res.body).toMatchObject({ status: 'success', message: 'Text message sent successfully', data: { phone: RECIPIENT, message: text, type: 'text' } });
    const messageId = (res.body as { data: { message_id: string } }).data.message_id;
    expect(typeof messageId).toBe('string');

    const received = await delivered(messageId);
    expect(received).toMatchObject({ type: 'text', text, to: RECIPIENT_JID, chat: RECIPIENT_JID });
  });

  test('a local number (leading 0) is sent to the default country code', async () => {
    const res = await h.api.post('/api/send-message').send({ phone: '081234567890', message: 'nomor lokal' }).expect(200);
    expect(res.body).toMatchObject({ data: { phone: RECIPIENT } });
    const received = await delivered((res.body as { data: { message_id: string } }).data.message_id);
    expect(received).toMatchObject({ type: 'text', text: 'nomor lokal', to: RECIPIENT_JID });
  });

  test.each(PASS_THROUGH_CASES)('sending a $kind ($fileName): the recipient decrypts the uploaded bytes', async (c) => {
    const policy = DEFAULT_UPLOAD_POLICIES[c.kind];
    const uploaded = c.file(files);
    const res = await h.api.post(policy.endpoint).field('phone', RECIPIENT).field('caption', c.caption).attach('file', uploaded, c.fileName).expect(200);
    expect(res.body).toMatchObject({
      status: 'success',
      message: policy.successMessage,
      data: { phone: RECIPIENT, filename: c.fileName, type: c.kind, file_size_kb: Math.round((uploaded.length / 1024) * 100) / 100 },
    });
    const data = (res.body as { data: { message_id: string; caption?: string | null } }).data;
    if (policy.acceptsCaption) expect(data.caption).toBe(c.caption);
    else expect(data).not.toHaveProperty('caption');

    const received = await delivered(data.message_id);
    expect(received).toMatchObject({ type: c.kind, to: RECIPIENT_JID, chat: RECIPIENT_JID });
    // Audio and stickers take no caption: what the client sent must not reach the recipient.
    expect(received.caption).toBe(policy.acceptsCaption ? c.caption : undefined);
    expectPassThroughMedia(received, uploaded, c);

    // No upload outlives its request.
    expect((await h.uploadFiles()).filter((f) => !f.startsWith('.'))).toEqual([]);
  });
});
