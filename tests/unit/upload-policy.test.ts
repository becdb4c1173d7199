import { MEDIA_KINDS } from '../../src/domain/vocabulary.js';
import { describe, expect, test } from '@jest/globals';
import { DEFAULT_UPLOAD_POLICIES, extensionOf, formatSize } from '../../src/messaging/upload-policy.js';

describe('upload policy table', () => {
  test('matches the contract table', () => {
    const summary = Object.fromEntries(
      MEDIA_KINDS.map((k) => [
        k,
        [DEFAULT_UPLOAD_POLICIES[k].extensions.join(','), formatSize(DEFAULT_UPLOAD_POLICIES[k].maxBytes), DEFAULT_UPLOAD_POLICIES[k].acceptsCaption],
      ]),
    );
    expect(summary).toEqual({
      image: ['jpg,jpeg,png,gif,webp', '16MB', true],
      document: ['pdf,doc,docx,xls,xlsx,ppt,pptx,txt,zip,rar,7z', '32MB', true],
      audio: ['mp3,wav,ogg,m4a,aac,flac', '16MB', false],
      video: ['mp4,avi,mov,mkv,webm,3gp,flv', '64MB', true],
      sticker: ['webp', '1MB', false],
    });
  });

  test.each([
    ['photo.JPG', 'jpg'],
    ['archive.tar.7z', '7z'],
    ['noext', ''],
    ['.hidden', 'hidden'],
  ])('extensionOf(%s) = %s', (name, ext) => expect(extensionOf(name)).toBe(ext));

  test.each([
    [1024 * 1024, '1MB'],
    [512 * 1024, '512KB'],
    [1.5 * 1024 * 1024, '1.5MB'],
  ])('formatSize(%d) = %s', (bytes, text) => expect(formatSize(bytes)).toBe(text));
});
