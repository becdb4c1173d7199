/**
 * One small, real file per input format the gateway converts, generated at test time with the
 * bundled ffmpeg and sharp (no binaries in the repo). Audio is 2 s and video 2 s at 160×120 (3gp:
 * 176×144, the smallest size H.263 allows): long enough that `seconds` = 2 tells a real duration
 * from the 1 s floor, small enough that every conversion takes a fraction of a second.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { animatedImage, ffmpeg, makeWhatsAppVoiceNote, rgbaImage } from '../../media/fixtures.js';
import { tinyPdf } from './media-files.js';

export const AUDIO_SECONDS = 2;
export const VIDEO_SECONDS = 2;
/** makeWhatsAppVoiceNote records 3 s. */
export const VOICE_NOTE_SECONDS = 3;

const SINE = (seconds: number): string[] => [
  '-f',
  'lavfi',
  '-i',
  `sine=frequency=440:sample_rate=44100:duration=${seconds}`,
  // Stereo input, so "mono" in the output is something the conversion did.
  '-af',
  'pan=stereo|c0=c0|c1=c0',
];

const AUDIO: Record<string, string[]> = {
  'tone.mp3': [...SINE(AUDIO_SECONDS), '-c:a', 'libmp3lame', '-b:a', '64k'],
  'tone.wav': [...SINE(AUDIO_SECONDS), '-c:a', 'pcm_s16le'],
  'tone.ogg': [...SINE(AUDIO_SECONDS), '-c:a', 'libvorbis', '-q:a', '2'],
  'tone.m4a': [...SINE(AUDIO_SECONDS), '-c:a', 'aac', '-b:a', '64k', '-f', 'ipod'],
  'tone.aac': [...SINE(AUDIO_SECONDS), '-c:a', 'aac', '-b:a', '64k', '-f', 'adts'],
  'tone.flac': [...SINE(AUDIO_SECONDS), '-c:a', 'flac'],
};

const CLIP = (size = '160x120', rate = 15): string[] => [
  '-f',
  'lavfi',
  '-i',
  `testsrc=duration=${VIDEO_SECONDS}:size=${size}:rate=${rate}`,
  '-f',
  'lavfi',
  '-i',
  `sine=frequency=440:sample_rate=44100:duration=${VIDEO_SECONDS}`,
  '-af',
  'pan=stereo|c0=c0|c1=c0',
  '-shortest',
];

const VIDEO: Record<string, string[]> = {
  // Already what phones play: H.264 Main 4:2:0 + AAC, moov first. Must go out untouched.
  'clip.mp4': [...CLIP(), '-c:v', 'libx264', '-preset', 'ultrafast', '-profile:v', 'main', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-movflags', '+faststart'],
  'clip.avi': [...CLIP(), '-c:v', 'mpeg4', '-c:a', 'libmp3lame'],
  // 4:4:4 H.264 in QuickTime: most phones cannot decode it, so it must be re-encoded.
  'clip.mov': [...CLIP(), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv444p', '-c:a', 'aac'],
  'clip.mkv': [...CLIP(), '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'libvorbis'],
  'clip.webm': [...CLIP(), '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '200k', '-c:a', 'libvorbis'],
  'clip.3gp': [...CLIP('176x144'), '-c:v', 'h263', '-c:a', 'aac', '-ac', '1', '-ar', '22050'],
  'clip.flv': [...CLIP(), '-c:v', 'flv', '-c:a', 'libmp3lame', '-ar', '22050'],
};

export interface ConversionFixtures {
  /** Every generated file by name (tone.mp3, clip.mkv, voice.ogg, photo.png, ...). */
  files: Record<string, Buffer>;
  /** A file by name; throws for a name that was not generated (a typo in a test table). */
  get(name: string): Buffer;
}

/** Runs the jobs with at most `limit` at once: the machine has two cores. */
async function inBatches(jobs: Array<() => Promise<void>>, limit: number): Promise<void> {
  const queue = [...jobs];
  const worker = async (): Promise<void> => {
    for (let job = queue.shift(); job; job = queue.shift()) await job();
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

export async function createConversionFixtures(dir: string): Promise<ConversionFixtures> {
  const at = (name: string) => path.join(dir, name);
  const jobs: Array<() => Promise<void>> = [
    ...Object.entries({ ...AUDIO, ...VIDEO }).map(
      ([name, args]) =>
        () =>
          ffmpeg([...args, at(name)]),
    ),
    async () => void (await makeWhatsAppVoiceNote(dir, 'voice.ogg')),
    async () => void (await rgbaImage(96, 64).png().toFile(at('photo.png'))),
    async () => void (await rgbaImage(120, 80).flatten({ background: '#ffffff' }).jpeg({ quality: 80 }).toFile(at('photo.jpg'))),
    // EXIF orientation 6 (rotate 90° clockwise): stored 120×80, shown 80×120.
    async () => void (await rgbaImage(120, 80).flatten({ background: '#ffffff' }).jpeg().withMetadata({ orientation: 6 }).toFile(at('rotated.jpg'))),
    async () => void (await animatedImage(at('anim.gif'), 64, 48, 20, 'gif')),
    async () => void (await rgbaImage(80, 60).webp({ quality: 80 }).toFile(at('still.webp'))),
    async () => void (await rgbaImage(80, 60).flatten({ background: '#336699' }).webp({ quality: 80 }).toFile(at('opaque.webp'))),
    // 10 frames of 200 ms: a 2 s animation sent to the image endpoint.
    async () => void (await animatedImage(at('anim.webp'), 64, 48, 10, 'webp', Array(10).fill(200))),
    // Not 512×512: the gateway has to fit it into a sticker.
    async () => void (await rgbaImage(200, 100).webp({ quality: 80 }).toFile(at('sticker.webp'))),
    async () => void (await animatedImage(at('sticker-animated.webp'), 128, 128, 3, 'webp')),
  ];
  await inBatches(jobs, 3);

  const names = [
    ...Object.keys(AUDIO),
    ...Object.keys(VIDEO),
    'voice.ogg',
    'photo.png',
    'photo.jpg',
    'rotated.jpg',
    'anim.gif',
    'anim.webp',
    'still.webp',
    'opaque.webp',
    'sticker.webp',
    'sticker-animated.webp',
  ];
  const files: Record<string, Buffer> = Object.fromEntries(await Promise.all(names.map(async (name) => [name, await readFile(at(name))] as const)));
  Object.assign(files, {
    'Invoice 42.pdf': tinyPdf(),
    'Laporan Q3.docx': tinyDocx(),
    'Anggaran.xlsx': tinyXlsx(),
    'catatan.txt': Buffer.from('Catatan rapat ✓\nBaris kedua: ünïcödé 👋\n', 'utf8'),
    'arsip.zip': storedZip([{ name: 'readme.txt', data: Buffer.from('isi arsip\n') }]),
    'corrupt.mp3': corruptMp3(16 * 1024),
    'corrupt-long.mp3': corruptMp3(200 * 1024),
  });
  return {
    files,
    get(name) {
      const file = files[name];
      if (!file) throw new Error(`no fixture named ${name}`);
      return file;
    },
  };
}

/**
 * Pseudo-random bytes behind an ID3v2 header: file-type calls it audio/mpeg, so it passes the
 * magic-number check and only decoding can tell it is garbage. Seeded (SHA-256 in counter mode) so
 * a failure reproduces. 16 KB is refused by ffprobe already; at 200 KB ffprobe "finds" an mp3
 * stream (0 Hz, 0 channels) and only ffmpeg's decode fails, the path a naive check would miss.
 */
export function corruptMp3(size: number): Buffer {
  const header = Buffer.from([0x49, 0x44, 0x33, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
  const blocks: Buffer[] = [];
  for (let counter = 0; blocks.length * 32 < size; counter++) blocks.push(createHash('sha256').update(`corrupt-mp3-${counter}`).digest());
  return Buffer.concat([header, Buffer.concat(blocks).subarray(0, size)]);
}

interface ZipEntry {
  name: string;
  data: Buffer;
}

/** A ZIP with stored (uncompressed) entries: all an OOXML reader or file-type needs. */
export function storedZip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt32LE(0, 10); // time + date
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt32LE(0, 12);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + data.length;
  }
  const centralBytes = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, centralBytes, end]);
}

const xml = (body: string) => Buffer.from(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n${body}`, 'utf8');
const RELS = xml(
  '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="%TARGET%"/>' +
    '</Relationships>',
);

/** A one-paragraph Word document: [Content_Types].xml, the package relationship, the body. */
export function tinyDocx(): Buffer {
  return storedZip([
    {
      name: '[Content_Types].xml',
      data: xml(
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
          '<Default Extension="xml" ContentType="application/xml"/>' +
          '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>' +
          '</Types>',
      ),
    },
    { name: '_rels/.rels', data: Buffer.from(RELS.toString('utf8').replace('%TARGET%', 'word/document.xml'), 'utf8') },
    {
      name: 'word/document.xml',
      data: xml(
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Laporan Q3</w:t></w:r></w:p></w:body></w:document>',
      ),
    },
  ]);
}

/** A one-cell spreadsheet, the same way. */
export function tinyXlsx(): Buffer {
  return storedZip([
    {
      name: '[Content_Types].xml',
      data: xml(
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
          '<Default Extension="xml" ContentType="application/xml"/>' +
          '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
          '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' +
          '</Types>',
      ),
    },
    { name: '_rels/.rels', data: Buffer.from(RELS.toString('utf8').replace('%TARGET%', 'xl/workbook.xml'), 'utf8') },
    {
      name: 'xl/workbook.xml',
      data: xml(
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">' +
          '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
      ),
    },
    {
      name: 'xl/_rels/workbook.xml.rels',
      data: xml(
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
          '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>' +
          '</Relationships>',
      ),
    },
    {
      name: 'xl/worksheets/sheet1.xml',
      data: xml(
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>42</t></is></c></row></sheetData></worksheet>',
      ),
    },
  ]);
}
