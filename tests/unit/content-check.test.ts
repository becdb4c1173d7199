import { MEDIA_KINDS } from '../../src/domain/vocabulary.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { AppError } from '../../src/errors/app-error.js';
import { checkUploadContent } from '../../src/messaging/content-check.js';
import { DEFAULT_UPLOAD_POLICIES } from '../../src/messaging/upload-policy.js';
import { SAMPLE_FILES, sampleFor } from '../support/fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'wa-content-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function fileWith(name: string, bytes: Buffer): Promise<string> {
  const p = path.join(dir, name);
  await writeFile(p, bytes);
  return p;
}

describe('checkUploadContent', () => {
  for (const kind of MEDIA_KINDS) {
    for (const ext of DEFAULT_UPLOAD_POLICIES[kind].extensions) {
      test(`accepts a real .${ext} as ${kind}`, async () => {
        const p = await fileWith(`${kind}-ok.${ext}`, sampleFor(kind, ext));
        await expect(checkUploadContent(kind, ext, p)).resolves.toBeDefined();
      });
    }
  }

  test.each([
    ['image', 'jpg', 'exe'],
    ['image', 'png', 'elf'],
    ['sticker', 'webp', 'png'],
    ['document', 'pdf', 'txt'],
    ['document', 'pdf', 'exe'],
    ['document', 'docx', 'pdf'],
    ['document', 'txt', 'exe'],
    ['document', 'txt', 'png'],
    ['audio', 'mp3', 'exe'],
    ['video', 'mp4', 'txt'],
    ['video', 'mkv', 'pdf'],
  ] as const)('rejects %s .%s whose bytes are %s', async (kind, ext, actual) => {
    const p = await fileWith(`${kind}-bad-${actual}.${ext}`, SAMPLE_FILES[actual]!);
    const error = await checkUploadContent(kind, ext, p).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).status).toBe(400);
    expect((error as AppError).message).toMatch(new RegExp(`does not match its \\.${ext} extension`));
  });

  test('reports the detected mimetype so a PNG named .jpg goes out as PNG', async () => {
    const p = await fileWith('really-png.jpg', SAMPLE_FILES.png!);
    await expect(checkUploadContent('image', 'jpg', p)).resolves.toEqual({ detectedMime: 'image/png' });
  });
});
