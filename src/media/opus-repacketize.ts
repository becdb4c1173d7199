/**
 * Regrouping a voice note's Opus frames the way WhatsApp's recorders do (three 20 ms frames per
 * code 3 packet), written to a fresh Ogg Opus file: see ogg-opus.ts for why iOS needs it.
 */
import { open } from 'node:fs/promises';
import { OPUS_GRANULE_RATE, parseOpusHead, type OggOpusInfo, type OpusHead } from './ogg-opus.js';
import { FLAG_BOS, FLAG_EOS, OggFormatError, OggPageWriter, readOggPackets } from './ogg-pages.js';
import { code3Packet, opusFrames, samplesPerFrame } from './opus-packets.js';

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
