/**
 * Image sends against a media host that ends idle keep-alive connections without saying when (no
 * Keep-Alive hint). An upload that reuses a connection the host has just closed is reset: one such
 * unlucky reuse must not fail the send (it once surfaced as a 500 "Media upload failed on all
 * hosts"). The gateway's upload agent drops idle connections before a 5 s server would, and retries
 * an upload once, on a fresh connection, when a reused one is reset.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from '@jest/globals';
import { createPassThroughPreparer } from '../../src/messaging/media-preparation.js';
import { E2EHarness, sleep } from './support/harness.js';
import { createMediaFiles } from './support/media-files.js';

const RECIPIENT = '6281234567890';

let h: E2EHarness | undefined;
let fixtureDir: string | undefined;

afterEach(async () => {
  await h?.stop();
  h = undefined;
  if (fixtureDir) await rm(fixtureDir, { recursive: true, force: true });
});

/** Sends `count` images one after another, `gapMs` apart; every answer, and what the recipient decrypted. */
async function sendImagesApart(idleCutoffMs: number, count: number, gapMs: number) {
  fixtureDir = await mkdtemp(path.join(tmpdir(), 'wa-gateway-e2e-keepalive-'));
  const [files, harness] = await Promise.all([
    createMediaFiles(fixtureDir),
    // Pass-through, so the time between two uploads is the gap, not a conversion.
    E2EHarness.start({ emulator: { media: { idleCutoffMs } }, mediaPreparer: createPassThroughPreparer() }),
  ]);
  h = harness;
  await h.pair();
  const statuses: number[] = [];
  const delivered: boolean[] = [];
  for (let i = 0; i < count; i++) {
    if (i > 0) await sleep(gapMs);
    const res = await h.api
      .post('/api/send-image')
      .field('phone', RECIPIENT)
      .field('caption', `image ${i + 1}`)
      .attach('file', files.png, 'photo.png');
    statuses.push(res.status);
    if (res.status !== 200) continue;
    const id = (res.body as { data: { message_id: string } }).data.message_id;
    const received = await h.emu.waitForMessage((m) => m.id === id && !m.isOwnDeviceCopy);
    delivered.push(received.mediaError === undefined && received.media?.bytes.equals(files.png) === true);
  }
  return { statuses, delivered, cut: h.emu.mediaConnectionsCut };
}

describe('image sends survive a media host closing idle keep-alive connections', () => {
  test('a reused connection reset by the host is retried once on a fresh one: every image arrives', async () => {
    // The host cuts after 400 ms idle; 800 ms between sends is inside the gateway's own idle limit,
    // so each upload after the first reuses a connection the host has already given up.
    const { statuses, delivered, cut } = await sendImagesApart(400, 4, 800);
    expect(statuses).toEqual([200, 200, 200, 200]);
    expect(delivered).toEqual([true, true, true, true]);
    // The race really happened (and was survived), not avoided by luck.
    expect(cut).toBeGreaterThanOrEqual(1);
  }, 60_000);

  test('idle connections are dropped before a 2.5 s host drops them: no reset at all', async () => {
    // 3 s between sends: past the host's cut-off, and past the gateway's own idle limit (2 s), so
    // each upload opens a fresh connection instead of reusing one the host has closed.
    const { statuses, delivered, cut } = await sendImagesApart(2500, 3, 3000);
    expect(statuses).toEqual([200, 200, 200]);
    expect(delivered).toEqual([true, true, true]);
    expect(cut).toBe(0);
  }, 60_000);
});
