import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { createMediaPreparer, MediaError, type MediaPreparer } from '../../src/media/index.js';
import { readOggOpusInfo } from '../../src/media/ogg-opus.js';
import { AUDIO_FIXTURES, filesIn, generate, makeTempDir, makeWhatsAppVoiceNote, probe, readBytes, removeDir, streamOf, writeRandomBytes } from './fixtures.js';

let inputs: string;
let tempDir: string;
let preparer: MediaPreparer;

beforeAll(async () => {
  inputs = makeTempDir('audio-in');
  tempDir = makeTempDir('audio-tmp');
  await generate(inputs, AUDIO_FIXTURES);
  await makeWhatsAppVoiceNote(inputs, 'voice.ogg');
  await writeRandomBytes(join(inputs, 'corrupt.mp3'));
  preparer = createMediaPreparer({ tempDir });
});

afterAll(() => {
  removeDir(inputs);
  removeDir(tempDir);
});

describe('voice notes: every accepted audio format becomes a WhatsApp PTT', () => {
  test.each(Object.keys(AUDIO_FIXTURES))('%s → Ogg Opus mono 16 kHz, 3 frames a packet, real duration and waveform', async (name) => {
    const prepared = await preparer.prepare({ kind: 'audio', path: join(inputs, name), originalName: name });
    const { media } = prepared;
    try {
      expect(media).toMatchObject({ kind: 'audio', ptt: true, mimetype: 'audio/ogg; codecs=opus' });
      expect(media.fileName).toMatch(/\.ogg$/);
      expect(media.path).not.toBe(join(inputs, name));

      const probed = await probe(media.path);
      const audio = streamOf(probed, 'audio');
      expect(probed.format.format_name).toBe('ogg');
      expect(probed.streams).toHaveLength(1);
      expect(audio).toMatchObject({ codec_name: 'opus', channels: 1 });
      expect(Math.abs(Number(probed.format.duration) - (media.seconds ?? 0))).toBeLessThan(0.6);
      expect(media.seconds).toBe(2);

      // ffprobe always reports 48000 for Opus (its decode rate); the encoded rate is in OpusHead.
      const ogg = await readOggOpusInfo(media.path);
      expect(ogg?.head.inputSampleRate).toBe(16000);
      expect(ogg?.head.channels).toBe(1);
      expect(ogg?.vendor).toBe('WhatsApp');
      expect([...(ogg?.tocCodes ?? [])]).toEqual([3]);
      expect([...(ogg?.tocConfigs ?? [])]).toEqual([9]); // SILK wideband, 20 ms frames
      expect(ogg?.maxFramesPerPacket).toBe(3);
      expect(ogg?.durationSeconds).toBeCloseTo(2, 1);

      expect(media.waveform).toBeInstanceOf(Uint8Array);
      expect(media.waveform).toHaveLength(64);
      expect(Math.max(...(media.waveform ?? []))).toBe(100);
      expect(Math.min(...(media.waveform ?? []))).toBeGreaterThanOrEqual(0);
    } finally {
      await prepared.cleanup();
    }
    expect(filesIn(tempDir)).toEqual([]);
  });

  test('a file that already is a WhatsApp voice note passes through untouched', async () => {
    const path = join(inputs, 'voice.ogg');
    const before = createHash('sha256').update(readBytes(path)).digest('hex');
    const prepared = await preparer.prepare({ kind: 'audio', path, originalName: 'voice.ogg' });
    expect(prepared.media).toMatchObject({ kind: 'audio', path, ptt: true, mimetype: 'audio/ogg; codecs=opus', seconds: 3 });
    expect(prepared.media.waveform).toHaveLength(64);
    await prepared.cleanup();
    expect(createHash('sha256').update(readBytes(path)).digest('hex')).toBe(before);
    expect(filesIn(tempDir)).toEqual([]);
  });

  test("a corrupt mp3 is the client's fault: 400 that says so, and no temp files left", async () => {
    const attempt = preparer.prepare({ kind: 'audio', path: join(inputs, 'corrupt.mp3'), originalName: 'song.mp3' });
    await expect(attempt).rejects.toBeInstanceOf(MediaError);
    await expect(attempt).rejects.toMatchObject({
      status: 400,
      code: 'MEDIA_UNDECODABLE',
      message: 'Could not decode audio file: the file is corrupt or not really mp3',
    });
    expect(filesIn(tempDir)).toEqual([]);
  });

  test('a video file sent as audio has no audio to decode: 400', async () => {
    await generate(inputs, { 'silent-video.mkv': ['-f', 'lavfi', '-i', 'testsrc=duration=1:size=64x64', '-c:v', 'mpeg4'] });
    const attempt = preparer.prepare({ kind: 'audio', path: join(inputs, 'silent-video.mkv'), originalName: 'clip.mp3' });
    await expect(attempt).rejects.toMatchObject({ status: 400, code: 'MEDIA_UNDECODABLE' });
    expect(filesIn(tempDir)).toEqual([]);
  });
});
