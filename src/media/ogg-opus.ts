/**
 * Just enough Ogg and Opus (RFC 3533, RFC 6716, RFC 7845) to make a voice note look like the ones
 * WhatsApp's own apps record. ffmpeg's libopus wrapper writes one 20 ms frame per packet (TOC
 * code 0); WhatsApp's recorders pack three 20 ms SILK frames into each packet (code 3), and iOS
 * WhatsApp refuses PTT audio framed otherwise. ffmpeg has no option for that, so
 * opus-repacketize.ts regroups the frames, losslessly: no re-encode, the Opus frames are copied
 * byte for byte. This module reads what an Ogg Opus file holds (its heads, framing and duration).
 */
import { OggFormatError, readOggPackets } from './ogg-pages.js';
import { opusFrames } from './opus-packets.js';

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

export function parseOpusHead(packet: Buffer): OpusHead | null {
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
