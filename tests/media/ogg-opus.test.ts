import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readOggOpusInfo } from '../../src/media/ogg-opus.js';
import { code3Packet, opusFrames } from '../../src/media/opus-packets.js';
import { repacketizeOggOpus } from '../../src/media/opus-repacketize.js';
import { WaveformBuilder } from '../../src/media/waveform.js';
import { ffmpeg, FFMPEG, makeTempDir, readBytes, removeDir, run } from './fixtures.js';

let dir: string;

beforeAll(async () => {
  dir = makeTempDir('ogg');
  // Speech-like input: a tone with noise, so SILK frames differ in size (VBR code 3 packets).
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=300:duration=2.5',
    '-f',
    'lavfi',
    '-i',
    'anoisesrc=duration=2.5:amplitude=0.2',
    '-filter_complex',
    'amix=inputs=2',
    '-ac',
    '1',
    '-ar',
    '16000',
    '-c:a',
    'libopus',
    '-b:a',
    '16k',
    '-application',
    'voip',
    '-f',
    'ogg',
    join(dir, 'ffmpeg.ogg'),
  ]);
});

afterAll(() => removeDir(dir));

async function decodedWithLibopus(path: string): Promise<string> {
  const result = await run(FFMPEG, ['-v', 'error', '-c:a', 'libopus', '-i', path, '-f', 's16le', 'pipe:1']);
  expect(result.code).toBe(0);
  return createHash('sha256').update(result.stdout).digest('hex');
}

describe('Ogg Opus repacketizing', () => {
  test('regroups one-frame packets into 60 ms code 3 packets without changing a single decoded sample', async () => {
    const before = await readOggOpusInfo(join(dir, 'ffmpeg.ogg'));
    expect([...(before?.tocCodes ?? [])]).toEqual([0]);

    const after = await repacketizeOggOpus(join(dir, 'ffmpeg.ogg'), join(dir, 'whatsapp.ogg'));
    const reread = await readOggOpusInfo(join(dir, 'whatsapp.ogg'));
    expect(reread).toMatchObject({ vendor: 'WhatsApp', maxFramesPerPacket: 3, finalGranule: before?.finalGranule });
    expect([...(reread?.tocCodes ?? [])]).toEqual([3]);
    expect(reread?.packetCount).toBe(Math.ceil((before?.packetCount ?? 0) / 3));
    expect(after.durationSeconds).toBeCloseTo(before?.durationSeconds ?? 0, 6);
    expect(reread?.head.preSkip).toBe(before?.head.preSkip);

    expect(await decodedWithLibopus(join(dir, 'whatsapp.ogg'))).toBe(await decodedWithLibopus(join(dir, 'ffmpeg.ogg')));
  });

  test('code 3 packets round-trip through the frame parser (CBR and VBR, long frames)', () => {
    const frames = [Buffer.alloc(40, 1), Buffer.alloc(300, 2), Buffer.alloc(7, 3)];
    const vbr = code3Packet(0x48, frames);
    expect(vbr[0]).toBe(0x4b);
    expect(opusFrames(vbr)?.frames).toEqual(frames);
    const cbr = code3Packet(0x48, [Buffer.alloc(20, 1), Buffer.alloc(20, 2)]);
    expect(cbr.length).toBe(2 + 40);
    expect(opusFrames(cbr)?.frames.map((f) => f.length)).toEqual([20, 20]);
  });

  test('files that are not Ogg Opus, or are damaged, are not described as such', async () => {
    const bytes = readBytes(join(dir, 'whatsapp.ogg'));
    const damaged = Buffer.from(bytes);
    damaged.writeUInt8(damaged.readUInt8(damaged.length - 10) ^ 0xff, damaged.length - 10); // breaks the last page CRC
    writeFileSync(join(dir, 'damaged.ogg'), damaged);
    writeFileSync(join(dir, 'text.ogg'), 'hello');
    await expect(readOggOpusInfo(join(dir, 'damaged.ogg'))).resolves.toBeNull();
    await expect(readOggOpusInfo(join(dir, 'text.ogg'))).resolves.toBeNull();
  });
});

describe('waveform', () => {
  function pcm(samples: number[]): Buffer {
    const buffer = Buffer.alloc(samples.length * 2);
    samples.forEach((s, i) => buffer.writeInt16LE(s, i * 2));
    return buffer;
  }

  test('64 bars of 0-100 following the loudness, fed in odd-sized chunks', () => {
    const builder = new WaveformBuilder();
    // 6.4 s at 8 kHz: loud first half, quiet second half.
    const samples = Array.from({ length: 51_200 }, (_, i) => (i % 2 ? 1 : -1) * (i < 25_600 ? 20_000 : 5_000));
    const bytes = pcm(samples);
    for (let offset = 0; offset < bytes.length; offset += 333) builder.push(bytes.subarray(offset, offset + 333));
    const bars = builder.finish();
    expect(bars).toHaveLength(64);
    expect(bars[0]).toBe(100);
    expect(bars[63]).toBe(25);
  });

  test('silence is all zeros, not NaN', () => {
    const builder = new WaveformBuilder();
    builder.push(pcm(new Array(8000).fill(0)));
    expect([...builder.finish()]).toEqual(new Array(64).fill(0));
  });
});
