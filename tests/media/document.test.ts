import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_UPLOAD_POLICIES } from '../../src/messaging/upload-policy.js';
import { createMediaPreparer, DOCUMENT_MIME_TYPES, type MediaPreparer } from '../../src/media/index.js';
import { filesIn, makeTempDir, removeDir } from './fixtures.js';

let inputs: string;
let tempDir: string;
let preparer: MediaPreparer;

beforeAll(() => {
  inputs = makeTempDir('doc-in');
  tempDir = makeTempDir('doc-tmp');
  preparer = createMediaPreparer({ tempDir });
});

afterAll(() => {
  removeDir(inputs);
  removeDir(tempDir);
});

const EXPECTED: Record<string, string> = {
  pdf: 'application/pdf',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  txt: 'text/plain',
  zip: 'application/zip',
  rar: 'application/vnd.rar',
  '7z': 'application/x-7z-compressed',
};

describe('documents: original name and the right mimetype, no conversion', () => {
  test('every document extension of the upload table has a registered mimetype', () => {
    for (const extension of DEFAULT_UPLOAD_POLICIES.document.extensions) expect(DOCUMENT_MIME_TYPES[extension]).toBe(EXPECTED[extension]);
  });

  test.each(DEFAULT_UPLOAD_POLICIES.document.extensions.map((e) => [e]))('.%s goes out as is, named as the client named it', async (extension) => {
    const path = join(inputs, `upload-${extension}`);
    writeFileSync(path, 'content');
    const originalName = `Quarterly Report 2025.${extension.toUpperCase()}`;
    const prepared = await preparer.prepare({ kind: 'document', path, originalName, caption: 'see attached' });
    expect(prepared.media).toEqual({ kind: 'document', path, mimetype: EXPECTED[extension], fileName: originalName, caption: 'see attached' });
    await prepared.cleanup();
    expect(filesIn(tempDir)).toEqual([]);
  });

  test('directories in a client-supplied name are dropped; unknown extensions go out as bytes', async () => {
    const path = join(inputs, 'upload-odd');
    writeFileSync(path, 'content');
    const prepared = await preparer.prepare({ kind: 'document', path, originalName: 'C:\\Users\\me\\notes.xyz' });
    expect(prepared.media).toMatchObject({ fileName: 'notes.xyz', mimetype: 'application/octet-stream' });
  });
});
