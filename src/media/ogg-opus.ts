/**
 * Just enough Ogg and Opus (RFC 3533, RFC 6716, RFC 7845) to make a voice note look like the ones
 * WhatsApp's own apps record. ffmpeg's libopus wrapper writes one 20 ms frame per packet (TOC
 * code 0); WhatsApp's recorders pack three 20 ms SILK frames into each packet (code 3), and iOS
 * WhatsApp refuses PTT audio framed otherwise. ffmpeg has no option for that, so we regroup the
 * frames here, losslessly: no re-encode, the Opus frames are copied byte for byte.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { randomInt } from 'node:crypto';

const OGG_MAGIC = 0x4f676753; // "OggS"
const FLAG_CONTINUED = 0x01;
const FLAG_BOS = 0x02;
const FLAG_EOS = 0x04;
const READ_CHUNK = 64 * 1024;
/** Opus granule positions always count 48 kHz samples, whatever the input rate. */
export const OPUS_GRANULE_RATE = 48_000;

export interface OpusHead {
  channels: number;
  preSkip: number;
  inputSampleRate: number;
  outputGain: number;
  mappingFamily: number;
  raw: Buffer;
}

export interface OggOpusInfo {
  head: OpusHead;
  vendor: string;
  /** Audio packets (after the two header packets). */
  packetCount: number;
  /** The TOC codes (0-3) and configurations (0-31) seen in the audio packets. */
  tocCodes: Set<number>;
  tocConfigs: Set<number>;
  /** Largest number of frames in one packet. */
  maxFramesPerPacket: number;
  finalGranule: bigint;
  durationSeconds: number;
}

// ---------------------------------------------------------------------------------------------
// CRC and pages

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let j = 0; j < 8; j++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

function oggCrc(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) ^ (CRC_TABLE[((crc >>> 24) ^ byte) & 0xff] ?? 0)) >>> 0;
  return crc >>> 0;
}

interface OggPacket {
  data: Buffer;
  serial: number;
  /** Granule of the page on which this packet ends; meaningful for a page's last packet. */
  pageGranule: bigint;
  lastOnPage: boolean;
  pageFlags: number;
}

export class OggFormatError extends Error {}

/** Streams the packets of an Ogg file page by page, checking every page's CRC. */
async function* readOggPackets(path: string): AsyncGenerator<OggPacket> {
  const file = await open(path, 'r');
  try {
    let buffered = Buffer.alloc(0);
    let eof = false;
    let pending: Buffer[] = [];
    const fill = async (needed: number): Promise<boolean> => {
      while (buffered.length < needed && !eof) {
        const chunk = Buffer.alloc(READ_CHUNK);
        const { bytesRead } = await file.read(chunk, 0, READ_CHUNK, null);
        if (bytesRead === 0) eof = true;
        else buffered = Buffer.concat([buffered, chunk.subarray(0, bytesRead)]);
      }
      return buffered.length >= needed;
    };
    for (;;) {
      if (!(await fill(27))) {
        if (buffered.length > 0) throw new OggFormatError('trailing bytes after the last Ogg page');
        return;
      }
      if (buffered.readUInt32BE(0) !== OGG_MAGIC || buffered[4] !== 0) throw new OggFormatError('not an Ogg page');
      const segments = buffered[26] ?? 0;
      if (!(await fill(27 + segments))) throw new OggFormatError('truncated Ogg page header');
      const lacing = buffered.subarray(27, 27 + segments);
      const bodyLength = lacing.reduce((sum, v) => sum + v, 0);
      const pageLength = 27 + segments + bodyLength;
      if (!(await fill(pageLength))) throw new OggFormatError('truncated Ogg page');
      const page = Buffer.from(buffered.subarray(0, pageLength));
      buffered = buffered.subarray(pageLength);

      const storedCrc = page.readUInt32LE(22);
      page.writeUInt32LE(0, 22);
      if (oggCrc(page) !== storedCrc) throw new OggFormatError('Ogg page checksum mismatch');

      const flags = page[5] ?? 0;
      const granule = page.readBigInt64LE(6);
      const serial = page.readUInt32LE(14);
      if (!(flags & FLAG_CONTINUED) && pending.length > 0) throw new OggFormatError('packet cut short between pages');
      let offset = 27 + segments;
      const completed: Buffer[] = [];
      for (const value of lacing) {
        pending.push(page.subarray(offset, offset + value));
        offset += value;
        if (value < 255) {
          completed.push(Buffer.concat(pending));
          pending = [];
        }
      }
      for (let i = 0; i < completed.length; i++) {
        yield { data: completed[i]!, serial, pageGranule: granule, lastOnPage: i === completed.length - 1, pageFlags: flags };
      }
    }
  } finally {
    await file.close();
  }
}

function parseOpusHead(packet: Buffer): OpusHead | null {
  if (packet.length < 19 || packet.toString('latin1', 0, 8) !== 'OpusHead') return null;
  if ((packet[8] ?? 0) >> 4 !== 0) return null; // major version must be 0
  return {
    channels: packet[9] ?? 0,
    preSkip: packet.readUInt16LE(10),
    inputSampleRate: packet.readUInt32LE(12),
    outputGain: packet.readInt16LE(16),
    mappingFamily: packet[18] ?? 0,
    raw: packet,
  };
}

function parseOpusTagsVendor(packet: Buffer): string | null {
  if (packet.length < 12 || packet.toString('latin1', 0, 8) !== 'OpusTags') return null;
  const length = packet.readUInt32LE(8);
  if (12 + length > packet.length) return null;
  return packet.toString('utf8', 12, 12 + length);
}

// ---------------------------------------------------------------------------------------------
// Opus packets (RFC 6716 §3)

/** Duration of one frame of this TOC configuration, in 48 kHz samples. */
export function samplesPerFrame(toc: number): number {
  const config = toc >> 3;
  if (config < 12) return [480, 960, 1920, 2880][config % 4]!;
  if (config < 16) return [480, 960][config % 2]!;
  return [120, 240, 480, 960][config % 4]!;
}

function readFrameLength(packet: Buffer, offset: number): { length: number; bytes: number } | null {
  const first = packet[offset];
  if (first === undefined) return null;
  if (first < 252) return { length: first, bytes: 1 };
  const second = packet[offset + 1];
  if (second === undefined) return null;
  return { length: first + 4 * second, bytes: 2 };
}

function writeFrameLength(length: number): number[] {
  if (length < 252) return [length];
  const first = 252 + (length & 3);
  return [first, (length - first) >> 2];
}

/** Splits a packet into its TOC byte and frames; null when it is malformed. */
export function opusFrames(packet: Buffer): { toc: number; frames: Buffer[] } | null {
  const toc = packet[0];
  if (toc === undefined) return null;
  const body = packet.subarray(1);
  switch (toc & 3) {
    case 0:
      return { toc, frames: [body] };
    case 1:
      if (body.length % 2 !== 0) return null;
      return { toc, frames: [body.subarray(0, body.length / 2), body.subarray(body.length / 2)] };
    case 2: {
      const first = readFrameLength(packet, 1);
      if (!first || 1 + first.bytes + first.length > packet.length) return null;
      const start = 1 + first.bytes;
      return { toc, frames: [packet.subarray(start, start + first.length), packet.subarray(start + first.length)] };
    }
    default: {
      const header = packet[1];
      if (header === undefined) return null;
      const count = header & 0x3f;
      if (count === 0) return null;
      let offset = 2;
      let padding = 0;
      if (header & 0x40) {
        for (;;) {
          const value = packet[offset++];
          if (value === undefined) return null;
          padding += value === 255 ? 254 : value;
          if (value !== 255) break;
        }
      }
      const end = packet.length - padding;
      const frames: Buffer[] = [];
      if (header & 0x80) {
        const lengths: number[] = [];
        for (let i = 0; i < count - 1; i++) {
          const length = readFrameLength(packet, offset);
          if (!length) return null;
          lengths.push(length.length);
          offset += length.bytes;
        }
        for (const length of lengths) {
          frames.push(packet.subarray(offset, offset + length));
          offset += length;
        }
        if (offset > end) return null;
        frames.push(packet.subarray(offset, end));
      } else {
        const total = end - offset;
        if (total < 0 || total % count !== 0) return null;
        const size = total / count;
        for (let i = 0; i < count; i++) frames.push(packet.subarray(offset + i * size, offset + (i + 1) * size));
      }
      return { toc, frames };
    }
  }
}

/** A code 3 packet holding `frames` (all of the TOC's configuration); CBR when sizes agree. */
export function code3Packet(toc: number, frames: readonly Buffer[]): Buffer {
  const sameSize = frames.every((f) => f.length === frames[0]?.length);
  const header = [(toc & 0xfc) | 3, (sameSize ? 0 : 0x80) | frames.length];
  if (!sameSize) for (const frame of frames.slice(0, -1)) header.push(...writeFrameLength(frame.length));
  return Buffer.concat([Buffer.from(header), ...frames]);
}

// ---------------------------------------------------------------------------------------------
// Reading and rewriting whole files

/** Describes an Ogg Opus file; null when it is not a single-stream Ogg Opus file. */
export async function readOggOpusInfo(path: string): Promise<OggOpusInfo | null> {
  try {
    let head: OpusHead | null = null;
    let vendor: string | null = null;
    let serial: number | undefined;
    let index = 0;
    let finalGranule = 0n;
    const tocCodes = new Set<number>();
    const tocConfigs = new Set<number>();
    let maxFrames = 0;
    for await (const packet of readOggPackets(path)) {
      if (serial === undefined) serial = packet.serial;
      if (packet.serial !== serial) return null; // chained or multiplexed: not a plain voice note
      if (index === 0) head = parseOpusHead(packet.data);
      else if (index === 1) vendor = parseOpusTagsVendor(packet.data);
      else {
        const parsed = opusFrames(packet.data);
        if (!parsed) return null;
        tocCodes.add(parsed.toc & 3);
        tocConfigs.add(parsed.toc >> 3);
        maxFrames = Math.max(maxFrames, parsed.frames.length);
      }
      if (index === 0 && !head) return null;
      if (index === 1 && vendor === null) return null;
      if (packet.lastOnPage && index >= 2) finalGranule = packet.pageGranule;
      index++;
    }
    if (!head || vendor === null) return null;
    const durationSeconds = Math.max(0, Number(finalGranule - BigInt(head.preSkip)) / OPUS_GRANULE_RATE);
    return { head, vendor, packetCount: Math.max(0, index - 2), tocCodes, tocConfigs, maxFramesPerPacket: maxFrames, finalGranule, durationSeconds };
  } catch (error) {
    if (error instanceof OggFormatError) return null;
    throw error;
  }
}

class OggPageWriter {
  private sequence = 0;
  private readonly serial = randomInt(0, 2 ** 32);
  private packets: Buffer[] = [];
  private segmentCount = 0;

  constructor(private readonly file: FileHandle) {}

  /** True when the packet fits on the current page (255 lacing values at most). */
  fits(packet: Buffer): boolean {
    return this.segmentCount + Math.floor(packet.length / 255) + 1 <= 255;
  }

  add(packet: Buffer): void {
    if (Math.floor(packet.length / 255) + 1 > 255) throw new OggFormatError('packet too large for one page');
    this.packets.push(packet);
    this.segmentCount += Math.floor(packet.length / 255) + 1;
  }

  get empty(): boolean {
    return this.packets.length === 0;
  }

  async flush(granule: bigint, flags: number): Promise<void> {
    const lacing: number[] = [];
    for (const packet of this.packets) {
      for (let left = packet.length; ; left -= 255) {
        lacing.push(Math.min(left, 255));
        if (left < 255) break;
      }
    }
    const header = Buffer.alloc(27 + lacing.length);
    header.writeUInt32BE(OGG_MAGIC, 0);
    header[4] = 0;
    header[5] = flags;
    header.writeBigInt64LE(granule, 6);
    header.writeUInt32LE(this.serial, 14);
    header.writeUInt32LE(this.sequence++, 18);
    header[26] = lacing.length;
    Buffer.from(lacing).copy(header, 27);
    const page = Buffer.concat([header, ...this.packets]);
    page.writeUInt32LE(oggCrc(page), 22);
    await this.file.write(page);
    this.packets = [];
    this.segmentCount = 0;
  }
}

export interface VoiceNoteFraming {
  /** Longest packet to build, in 48 kHz samples: 2880 = 60 ms, three 20 ms frames. */
  maxPacketSamples: number;
  /** OpusTags vendor string. */
  vendor: string;
  /** Audio per Ogg page before it is flushed, in 48 kHz samples. */
  pageSamples: number;
}

export const WHATSAPP_VOICE_FRAMING: VoiceNoteFraming = {
  maxPacketSamples: 2880,
  // WhatsApp's recorders write "WhatsApp" as the encoder vendor and no comments.
  vendor: 'WhatsApp',
  pageSamples: OPUS_GRANULE_RATE,
};

/**
 * Rewrites an Ogg Opus file with the frames regrouped into code 3 packets of up to
 * `maxPacketSamples`, fresh header pages and the original pre-skip and end trimming.
 */
export async function repacketizeOggOpus(inputPath: string, outputPath: string, framing: VoiceNoteFraming = WHATSAPP_VOICE_FRAMING): Promise<OggOpusInfo> {
  const file = await open(outputPath, 'w');
  try {
    const writer = new OggPageWriter(file);
    let head: OpusHead | null = null;
    let index = 0;
    let finalGranule = 0n;
    let written = 0n; // samples in packets already placed on pages
    let pageStart = 0n;
    let group: { toc: number; frames: Buffer[]; samples: number } | null = null;
    let packetCount = 0;
    let maxFrames = 0;
    const tocConfigs = new Set<number>();

    const emitGroup = async (): Promise<void> => {
      if (!group) return;
      const packet = code3Packet(group.toc, group.frames);
      // Pages are closed lazily, before the packet that would overfill them, so the last page
      // always carries packets and can hold the end-trimming granule.
      if (!writer.empty && (written - pageStart >= BigInt(framing.pageSamples) || !writer.fits(packet))) {
        await writer.flush(written, 0);
        pageStart = written;
      }
      writer.add(packet);
      written += BigInt(group.samples);
      packetCount++;
      maxFrames = Math.max(maxFrames, group.frames.length);
      tocConfigs.add(group.toc >> 3);
      group = null;
    };

    for await (const packet of readOggPackets(inputPath)) {
      if (index === 0) {
        head = parseOpusHead(packet.data);
        if (!head) throw new OggFormatError('first packet is not OpusHead');
        writer.add(head.raw);
        await writer.flush(0n, FLAG_BOS);
      } else if (index === 1) {
        const vendor = Buffer.from(framing.vendor, 'utf8');
        const tags = Buffer.alloc(8 + 4 + vendor.length + 4);
        tags.write('OpusTags', 0, 'latin1');
        tags.writeUInt32LE(vendor.length, 8);
        vendor.copy(tags, 12);
        tags.writeUInt32LE(0, 12 + vendor.length);
        writer.add(tags);
        await writer.flush(0n, 0);
      } else {
        const parsed = opusFrames(packet.data);
        if (!parsed) throw new OggFormatError('malformed Opus packet');
        const frameSamples = samplesPerFrame(parsed.toc);
        for (const frame of parsed.frames) {
          const current = group as { toc: number; frames: Buffer[]; samples: number } | null;
          const joinable = current !== null && (current.toc & 0xfc) === (parsed.toc & 0xfc) && current.samples + frameSamples <= framing.maxPacketSamples;
          if (!joinable) {
            await emitGroup();
            group = { toc: parsed.toc, frames: [], samples: 0 };
          }
          group!.frames.push(frame);
          group!.samples += frameSamples;
        }
        if (packet.lastOnPage) finalGranule = packet.pageGranule;
      }
      index++;
    }
    await emitGroup();
    if (!head) throw new OggFormatError('empty Ogg file');
    // The last page keeps the encoder's final granule: that is what trims the padding of the
    // last frame, so the duration stays exact.
    const lastGranule = finalGranule > pageStart && finalGranule <= written ? finalGranule : written;
    await writer.flush(lastGranule, FLAG_EOS);
    return {
      head,
      vendor: framing.vendor,
      packetCount,
      tocCodes: new Set([3]),
      tocConfigs,
      maxFramesPerPacket: maxFrames,
      finalGranule: lastGranule,
      durationSeconds: Math.max(0, Number(lastGranule - BigInt(head.preSkip)) / OPUS_GRANULE_RATE),
    };
  } finally {
    await file.close();
  }
}
