/**
 * Issue 8, D2 and D7: files the client got wrong are the client's 400, in words about the file,
 * through the real converting preparer; no internal error text (TypeError, library messages,
 * paths) ever reaches a response body, and nothing is left in the upload or conversion folders.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { createMediaPreparer } from '../../src/media/index.js';
import { blackPng, hugeCanvasGif, truncatedJpeg } from '../support/hostile-media.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

let t: TestApp;
let tempDir: string;
beforeAll(async () => {
  tempDir = await mkdtemp(path.join(tmpdir(), 'wa-media-errors-'));
  t = await buildTestApp({}, { mediaPreparer: createMediaPreparer({ tempDir }) });
});
afterAll(async () => {
  await t.cleanup();
  await rm(tempDir, { recursive: true, force: true });
});

const INTERNALS = /TypeError|Cannot read properties|undefined|Vips|sharp|ffmpeg|\/tmp\/|\bat \w/;

async function sendImage(bytes: Buffer, name: string) {
  const res = await request(t.app).post('/api/send-image').field('phone', '6281234567890').attach('file', bytes, name);
  expect(await t.uploadsLeft()).toEqual([]);
  expect(await readdir(tempDir)).toEqual([]);
  expect(t.transport.sent).toHaveLength(0);
  expect(res.body.message).not.toMatch(INTERNALS);
  return res;
}

describe('bad media files are the client’s 400, never a 500 with internals', () => {
  test('D2: an 85-byte animated GIF with a 65535×65535 screen is MEDIA_UNDECODABLE', async () => {
    const gif = hugeCanvasGif();
    expect(gif.length).toBe(85);
    const res = await sendImage(gif, 'tiny.gif');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      status: 'error',
      message: 'Could not decode image file: the file is corrupt or not really gif',
      timestamp: expect.any(String),
      code: 'MEDIA_UNDECODABLE',
    });
  });

  test('D7: a valid PNG over the pixel limit is "too large", naming the limit', async () => {
    const res = await sendImage(blackPng(17_000, 17_000), 'poster.png');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      status: 'error',
      message: 'The image is too large to process: 17000×17000 pixels (289.0 megapixels); the limit is 268.4 megapixels (e.g. 16383×16383)',
      timestamp: expect.any(String),
      code: 'MEDIA_DIMENSIONS_TOO_LARGE',
    });
    expect(res.body.message).not.toMatch(/corrupt/);
  });

  test('a JPEG whose pixels are cut short is MEDIA_UNDECODABLE, not a conversion failure', async () => {
    const res = await sendImage(await truncatedJpeg(), 'cut.jpg');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ status: 'error', code: 'MEDIA_UNDECODABLE' });
  });
});

describe('a bug below the HTTP layer keeps its text to the log', () => {
  test('a TypeError from the transport is "Failed to send message: internal error"', async () => {
    t.transport.nextFailure = new TypeError("Cannot read properties of undefined (reading 'width')");
    const res = await request(t.app).post('/api/send-message').send({ phone: '6281234567890', message: 'hi' });
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ status: 'error', message: 'Failed to send message: internal error', timestamp: expect.any(String), code: 'SEND_FAILED' });
  });

  test('WhatsApp’s own reasons still reach the client, as the contract says', async () => {
    t.transport.nextFailure = new Error('Media upload failed on all hosts');
    const res = await request(t.app).post('/api/send-message').send({ phone: '6281234567890', message: 'hi' });
    expect(res.status).toBe(500);
    expect(res.body.message).toBe('Failed to send message: Media upload failed on all hosts');
  });
});
